/**
 * `tinkex serve`: start the local server, print how to use it (or one JSON line with `--json`),
 * run until SIGINT or SIGTERM. The server module is loaded only now, so the other commands
 * start fast.
 * @module
 */
import { resolve } from "node:path";
import process from "node:process";
import { CliError } from "./errors.ts";
import { fileErrorOf } from "./failure.ts";
import { formatSize, plural } from "./format.ts";
import { isJson, note, printJson, printLine, warn } from "./output.ts";
import { serveKeys } from "./serve_keys.ts";
import type { CommandContext, GroupModule } from "./spec.ts";

async function serve(ctx: CommandContext): Promise<number> {
  const { serve: start } = await import("../../server.ts");
  const { options } = ctx;
  const dataDir = options.data as string | undefined;
  const keys = serveKeys(ctx);
  const port = (options.port as number | undefined) ?? 8080;
  const hostname = options.host as string | undefined;
  if (options["credential-source"] === "credential_cmd" && (options.jwt ?? "off") === "off") {
    throw new CliError(
      "Cannot start the local server: --credential-source credential_cmd needs JWT auth",
      "Add --jwt on or --jwt required (clients read credential_default_source only with JWT auth).",
    );
  }
  const server = await start({
    dataDir,
    port,
    hostname,
    apiKeys: keys.apiKeys,
    apiKeyFile: keys.apiKeyFile,
    publicUrl: options["public-url"] as string | undefined,
    seed: options.seed === true,
    jwtAuth: options.jwt as "off" | "on" | "required" | undefined,
    credentialDefaultSource: options["credential-source"] as
      | "api_key"
      | "credential_cmd"
      | undefined,
    adminKeys: options["admin-key"] as string[] | undefined,
    baseModels: options["base-model"] as string[] | undefined,
    corsOrigins: options.cors as string[] | undefined,
  }).catch((e) => {
    throw startFailure(e, { host: hostname ?? "127.0.0.1", port, dataDir });
  });
  // Listen for the stop signal before the banner: a SIGTERM right after it must stop cleanly.
  const signalled = untilSignalled(ctx.cancellation());
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
    // A server requiring dynamic credentials exchanges only what the command prints.
    const credential = options["credential-source"] === "credential_cmd"
      ? `TINKER_CREDENTIAL_CMD='printf %s ${keyHint}'`
      : `TINKER_API_KEY=${keyHint}`;
    printLine(ctx, `\nexport TINKER_BASE_URL=${server.baseUrl} ${credential}\n`);
    printLine(ctx, "Press Ctrl+C to stop.");
  }
  await signalled;
  note(ctx, "Stopping…");
  await server.close();
  return 0;
}

/** Until Ctrl-C (which aborts `interrupted`) or SIGTERM. */
function untilSignalled(interrupted: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off("SIGTERM", stop);
      interrupted.removeEventListener("abort", stop);
      resolve();
    };
    process.on("SIGTERM", stop);
    interrupted.addEventListener("abort", stop);
  });
}

/**
 * A failure to start, worded for the command line: a busy port says what to do, a bad data
 * directory or address names the flag; anything else passes through.
 */
function startFailure(
  error: unknown,
  where: { host: string; port: number; dataDir?: string },
): unknown {
  const { code, name, message, path } = error as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    path?: unknown;
  };
  const text = String(message ?? error);
  const { host, port } = where;
  if (code === "EADDRINUSE" || name === "AddrInUse" || /address already in use/i.test(text)) {
    return new CliError(
      `Cannot start the local server: port ${port} on ${host} is already in use`,
      `Pass --port 0 to pick a free port, or --port N for another one (another tinkex serve may be running on ${port}).`,
    );
  }
  if (
    typeof path === "string" && where.dataDir !== undefined &&
    resolve(path).startsWith(resolve(where.dataDir))
  ) {
    // mkdir on a file: EEXIST for the directory itself, ENOTDIR below it.
    const why = code === "EEXIST"
      ? "it is a file, not a directory"
      : code === "ENOTDIR"
      ? "a part of it is a file, not a directory"
      : fileErrorOf(code)?.[0] ?? text;
    return new CliError(
      `Cannot use --data ${where.dataDir}: ${why}`,
      "Pass a directory (created if missing) that this user may write.",
    );
  }
  if (/api key/i.test(text)) {
    return new CliError(text, "Pass keys such as --api-key tml-local-dev-key (one per user).");
  }
  if (code !== undefined || name === "AddrNotAvailable" || name === "PermissionDenied") {
    return new CliError(
      `Cannot start the local server on ${host}:${port}: ${text}`,
      "Check --host (an address of this machine) and --port (below 1024 needs privileges).",
    );
  }
  return error;
}

/** Handlers of `tinkex serve`. */
export const handlers: GroupModule["handlers"] = { serve };
