/**
 * `tinkex serve` / `deno task serve`: parse flags, start the server, print how to use it, run
 * until SIGINT or SIGTERM.
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { serve } from "./serve.ts";

const USAGE = `Usage: tinkex serve [--data DIR] [--port N] [--host H] [--api-key KEY ...] [--seed]

Run a local Tinker-compatible server.
  --data DIR       data directory (kept across restarts); default: a temporary one
  --port N         port to listen on (default 8080; 0 picks a free port)
  --host H         interface to listen on (default 127.0.0.1)
  --api-key KEY    accepted API key, one user per key (repeatable; must start with tml-);
                   default tml-local-dev-key
  --seed           fill an empty data directory with sample runs and checkpoints
  -h, --help       show this help`;

/** Run the server CLI with `args`; resolves to the exit code once the server has stopped. */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      // `deno task serve -- --seed` passes the `--` on: it only separates, so drop it.
      args: args[0] === "--" ? args.slice(1) : args,
      options: {
        data: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        "api-key": { type: "string", multiple: true },
        seed: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    console.error(`Error: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!/^\d+$/.test(values.port ?? "0") || port > 65535) {
    console.error(
      `Error: --port must be a number from 0 to 65535, got "${values.port}"\n\n${USAGE}`,
    );
    return 2;
  }
  let server;
  try {
    server = await serve({
      dataDir: values.data,
      port,
      hostname: values.host,
      apiKeys: values["api-key"],
      seed: values.seed ?? false,
    });
  } catch (e) {
    console.error(`Error: cannot start the server: ${(e as Error).message}`);
    return 1;
  }
  const key = server.apiKeys[0];
  console.log(`tinkex local server listening on ${server.baseUrl}`);
  console.log(
    `data: ${server.dataDir}${values.data ? "" : " (temporary: pass --data DIR to keep it)"}`,
  );
  console.log(
    `API key${server.apiKeys.length > 1 ? "s (one user each)" : ""}: ${server.apiKeys.join(" ")}`,
  );
  console.log(`\nexport TINKER_BASE_URL=${server.baseUrl} TINKER_API_KEY=${key}\n`);
  console.log("Press Ctrl+C to stop.");
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  console.error("Stopping…");
  await server.close();
  return 0;
}
