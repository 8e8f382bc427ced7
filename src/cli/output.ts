/**
 * What command handlers share: the config from flags and environment, and printing results as
 * JSON or tables on stdout, notes and warnings on stderr.
 * @module
 */
import { configFromEnv, resolveCredential, type ResolvedConfig } from "../../mod.ts";
import { rememberSecret } from "./secrets.ts";
import { stylesFor } from "./color.ts";
import type { CommandContext } from "./spec.ts";
import { renderPairs, renderTable, type Table } from "./table.ts";

/**
 * The config of a command: `--api-key` / `--base-url`, falling back to the environment and the
 * official credential order (`TINKER_CREDENTIAL_CMD`, `~/.tinker/credentials.json`). It follows
 * the server's auth (JWT when it asks). Retries are announced on stderr, so a slow or failing
 * server does not look like a hang.
 */
export function configOf(ctx: CommandContext): ResolvedConfig {
  const known = configs.get(ctx);
  if (known) return known;
  const onWarning = (message: string) => warn(ctx, message);
  // Without a flag or TINKER_API_KEY the credential comes from the command or the file: found at
  // the first request, in the SDK's order, and remembered so that errors redact it.
  const fromSources = !ctx.globals.apiKey && !ctx.io.env("TINKER_API_KEY");
  const config = configFromEnv({
    apiKey: ctx.globals.apiKey,
    getApiKey: fromSources
      ? async () => {
        const { apiKey } = await resolveCredential({ env: ctx.io.env, onWarning });
        rememberSecret(apiKey);
        return apiKey;
      }
      : undefined,
    baseUrl: ctx.globals.baseUrl,
    auth: "auto",
    onRetry: ({ retry, delayMs, status }) => {
      const cause = status === undefined ? "no response" : `HTTP ${status}`;
      note(ctx, `${cause}; retrying in ${(delayMs / 1000).toFixed(1)} s (retry ${retry})...`);
    },
  }, { env: ctx.io.env, onWarning });
  configs.set(ctx, config);
  return config;
}

/** One config per command run, so its auth state (discovery, JWT) is shared by its calls. */
const configs = new WeakMap<CommandContext, ResolvedConfig>();

/** Whether the output format is JSON. */
export function isJson(ctx: CommandContext): boolean {
  return ctx.globals.format === "json";
}

/** Print a value as pretty JSON on stdout (wire field names, parseable as a whole). */
export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.io.stdout(JSON.stringify(value, null, 2) + "\n");
}

/** Print a table on stdout. */
export function printTable(ctx: CommandContext, table: Table): void {
  ctx.io.stdout(renderTable(table, stylesFor(ctx.io, "stdout")));
}

/** Print labelled values on stdout. */
export function printPairs(
  ctx: CommandContext,
  pairs: readonly (readonly [string, string])[],
): void {
  ctx.io.stdout(renderPairs(pairs, stylesFor(ctx.io, "stdout")));
}

/** Print one line of result text on stdout (table format). */
export function printLine(ctx: CommandContext, text: string): void {
  ctx.io.stdout(text + "\n");
}

/** Print a note on stderr (never mixed into the results). */
export function note(ctx: CommandContext, text: string): void {
  ctx.io.stderr(text + "\n");
}

/** An `onBuilding` callback telling the user the service is still building the archive. */
export function announceBuilding(ctx: CommandContext): (info: { waitMs: number }) => void {
  return ({ waitMs }) =>
    note(
      ctx,
      `The service is still building the archive (this can take minutes); asking again in ${
        (waitMs / 1000).toFixed(waitMs < 10_000 ? 1 : 0)
      } s…`,
    );
}

/** Print a warning on stderr. */
export function warn(ctx: CommandContext, text: string): void {
  const s = stylesFor(ctx.io, "stderr");
  ctx.io.stderr(`${s.yellow("Warning:")} ${text}\n`);
}

/** Print a table or the JSON value, by the chosen format. */
export function printResult(ctx: CommandContext, json: unknown, table: () => Table): void {
  if (isJson(ctx)) printJson(ctx, json);
  else printTable(ctx, table());
}
