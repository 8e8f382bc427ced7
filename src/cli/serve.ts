/**
 * `tinkex serve`: start the local server, print how to use it (or one JSON line with `--json`),
 * run until SIGINT or SIGTERM. The server module is loaded only now, so the other commands
 * start fast.
 * @module
 */
import process from "node:process";
import { formatSize, plural } from "./format.ts";
import { isJson, note, printJson, printLine, warn } from "./output.ts";
import { serveKeys } from "./serve_keys.ts";
import type { CommandContext, GroupModule } from "./spec.ts";

async function serve(ctx: CommandContext): Promise<number> {
  const { serve: start } = await import("../../server.ts");
  const { options } = ctx;
  const dataDir = options.data as string | undefined;
  const keys = serveKeys(ctx);
  const server = await start({
    dataDir,
    port: (options.port as number | undefined) ?? 8080,
    hostname: options.host as string | undefined,
    apiKeys: keys.apiKeys,
    apiKeyFile: keys.apiKeyFile,
    publicUrl: options["public-url"] as string | undefined,
    seed: options.seed === true,
    jwtAuth: options.jwt as "off" | "on" | "required" | undefined,
    adminKeys: options["admin-key"] as string[] | undefined,
    baseModels: options["base-model"] as string[] | undefined,
    corsOrigins: options.cors as string[] | undefined,
  });
  // Listen for the stop signal before the banner: a SIGTERM right after it must stop cleanly.
  const signalled = untilSignalled();
  for (const warning of server.startup.warnings) warn(ctx, warning);
  const { reclaimed } = server.startup;
  if (isJson(ctx)) {
    printJson(ctx, {
      base_url: server.baseUrl,
      data_dir: server.dataDir,
      api_keys: keys.shown,
      reclaimed,
    });
  } else {
    printLine(ctx, `tinkex local server listening on ${server.baseUrl}`);
    printLine(
      ctx,
      `data: ${server.dataDir}${dataDir ? "" : " (temporary: pass --data DIR to keep it)"}`,
    );
    if (dataDir) {
      printLine(
        ctx,
        `reclaimed at start-up: ${plural(reclaimed.objects, "orphaned archive")}, ${
          plural(reclaimed.tempFiles, "temp file")
        } (${formatSize(reclaimed.bytes)})`,
      );
    }
    const count = server.apiKeys.length;
    const hidden = count - keys.shown.length;
    printLine(
      ctx,
      `API key${count > 1 ? "s (one user each)" : ""}: ${
        [
          ...keys.shown,
          ...(hidden > 0 ? [`${hidden} from ${keys.hiddenSources.join(" and ")} (not shown)`] : []),
        ].join(" ")
      }`,
    );
    const keyHint = keys.shown[0] ?? "<one of your keys>";
    printLine(ctx, `\nexport TINKER_BASE_URL=${server.baseUrl} TINKER_API_KEY=${keyHint}\n`);
    printLine(ctx, "Press Ctrl+C to stop.");
  }
  await signalled;
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
