/**
 * `tinkex serve`: start the local server, print how to use it (or one JSON line with `--json`),
 * run until SIGINT or SIGTERM. The server module is loaded only now, so the other commands
 * start fast.
 * @module
 */
import process from "node:process";
import { isJson, note, printJson, printLine } from "./output.ts";
import type { CommandContext, GroupModule } from "./spec.ts";

async function serve(ctx: CommandContext): Promise<number> {
  const { serve: start } = await import("../../server.ts");
  const { options } = ctx;
  const dataDir = options.data as string | undefined;
  const server = await start({
    dataDir,
    port: (options.port as number | undefined) ?? 8080,
    hostname: options.host as string | undefined,
    apiKeys: options["api-key"] as string[] | undefined,
    seed: options.seed === true,
    corsOrigins: options.cors as string[] | undefined,
  });
  if (isJson(ctx)) {
    printJson(ctx, {
      base_url: server.baseUrl,
      data_dir: server.dataDir,
      api_keys: server.apiKeys,
    });
  } else {
    printLine(ctx, `tinkex local server listening on ${server.baseUrl}`);
    printLine(
      ctx,
      `data: ${server.dataDir}${dataDir ? "" : " (temporary: pass --data DIR to keep it)"}`,
    );
    const keys = server.apiKeys;
    printLine(ctx, `API key${keys.length > 1 ? "s (one user each)" : ""}: ${keys.join(" ")}`);
    printLine(ctx, `\nexport TINKER_BASE_URL=${server.baseUrl} TINKER_API_KEY=${keys[0]}\n`);
    printLine(ctx, "Press Ctrl+C to stop.");
  }
  await untilSignalled();
  note(ctx, "Stopping…");
  await server.close();
  return 0;
}

function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** Handlers of `tinkex serve`. */
export const handlers: GroupModule["handlers"] = { serve };
