/**
 * What command handlers share: the config from flags and environment, and printing results as
 * JSON or tables on stdout, notes and warnings on stderr.
 * @module
 */
import {
  ConfigError,
  configFromEnv,
  ConnectionError,
  resolveCredential,
  type ResolvedConfig,
  type ResolvedCredential,
  TimeoutError,
} from "../../mod.ts";
import { CliError } from "./errors.ts";
import { rememberSecret } from "./secrets.ts";
import { stylesFor } from "./color.ts";
import type { CommandContext } from "./spec.ts";
import { renderPairs, renderTable, type Table } from "./table.ts";

/**
 * The config of a command: `--api-key` / `--base-url`, falling back to the environment and the
 * official credential order (`TINKER_CREDENTIAL_CMD`, `~/.tinker/credentials.json`). It follows
 * the server's auth (JWT when it asks). Retries are announced on stderr (through `notes`, e.g. a
 * progress display, when the first call for this run gives it), so a slow or failing server does
 * not look like a hang. Config errors are worded for flags and variables.
 */
export function configOf(
  ctx: CommandContext,
  notes: (text: string) => void = (text) => note(ctx, text),
): ResolvedConfig {
  const known = configs.get(ctx);
  if (known) return known;
  try {
    const config = configFromEnvFor(ctx, notes);
    configs.set(ctx, config);
    return config;
  } catch (e) {
    throw e instanceof ConfigError ? configFailure(ctx, e) : e;
  }
}

function configFromEnvFor(ctx: CommandContext, notes: (text: string) => void): ResolvedConfig {
  const onWarning = (message: string) => warn(ctx, message);
  // Without a flag or TINKER_API_KEY the credential comes from the command or the file: found at
  // the first request, in the SDK's order, and remembered so that errors redact it.
  const fromSources = !ctx.globals.apiKey && !ctx.io.env("TINKER_API_KEY");
  return configFromEnv({
    apiKey: ctx.globals.apiKey,
    getApiKey: fromSources
      ? async () => {
        const { apiKey } = await resolveCredential({ env: ctx.io.env, onWarning }).catch((e) => {
          throw e instanceof ConfigError ? configFailure(ctx, e) : e;
        });
        rememberSecret(apiKey);
        return apiKey;
      }
      : undefined,
    getDynamicCredential: async () => (await dynamicCredentialOf(ctx, onWarning)).apiKey,
    baseUrl: ctx.globals.baseUrl,
    auth: "auto",
    onRetry: ({ retry, delayMs, status, error }) => {
      notes(
        `${retryCause(status, error)}; retrying in ${
          (delayMs / 1000).toFixed(1)
        } s (retry ${retry})...`,
      );
    },
  }, { env: ctx.io.env, onWarning });
}

/**
 * The credential a server requiring dynamic credentials (`credential_default_source:
 * "credential_cmd"`) is sent, by the SDK's rule: a JWT key, else `TINKER_CREDENTIAL_CMD`'s output
 * (run each time). Remembered so that errors redact it.
 */
export async function dynamicCredentialOf(
  ctx: CommandContext,
  onWarning: (message: string) => void = (message) => warn(ctx, message),
): Promise<ResolvedCredential> {
  const found = await resolveCredential({
    apiKey: ctx.globals.apiKey,
    env: ctx.io.env,
    onWarning,
    credentialDefaultSource: "credential_cmd",
  }).catch((e) => {
    throw e instanceof ConfigError ? configFailure(ctx, e) : e;
  });
  rememberSecret(found.apiKey);
  return found;
}

/** Why a request is retried, in a few words: `HTTP 503`, `timed out`, `connection refused`. */
function retryCause(status: number | undefined, error: unknown): string {
  if (status !== undefined) return `HTTP ${status}`;
  if (error instanceof TimeoutError) return "timed out";
  if (error instanceof ConnectionError && error.failure === "refused") return "connection refused";
  return "no response";
}

/** A config error in the words of the command line: which flag or variable to fix. */
export function configFailure(ctx: CommandContext, error: ConfigError): CliError | ConfigError {
  const command = `tinkex ${ctx.command.join(" ")}`;
  const key = ctx.globals.apiKey ?? ctx.io.env("TINKER_API_KEY");
  if ((key === undefined || key === "") && /no API key/i.test(error.message)) {
    return new CliError(
      `Cannot run '${command}': no API key`,
      "Set TINKER_API_KEY=tml-… or pass --api-key tml-… (or set TINKER_CREDENTIAL_CMD, or run " +
        "'tinker auth login'); for 'tinkex serve' it is tml-local-dev-key. " +
        "'tinkex auth status' shows what is found.",
    );
  }
  if (/requires dynamic credentials/.test(error.message)) {
    return new CliError(
      error.message,
      "This server (credential_default_source: credential_cmd) exchanges only what " +
        "TINKER_CREDENTIAL_CMD prints, or a key that is a JWT (eyJ…): a tml- key in " +
        "TINKER_API_KEY or --api-key is not used. 'tinkex auth status' shows what is found.",
    );
  }
  if (/base URL/.test(error.message)) {
    const from = ctx.globals.baseUrl !== undefined ? "--base-url" : "TINKER_BASE_URL";
    return new CliError(
      error.message,
      `Fix ${from}: an http(s) URL such as http://127.0.0.1:8080 (tinkex serve's default).`,
    );
  }
  // Anything else (a credential command that failed, …) says what it is already.
  if (!/malformed/i.test(error.message)) return error;
  const from = ctx.globals.apiKey !== undefined
    ? "--api-key"
    : key
    ? "TINKER_API_KEY"
    : "TINKER_CREDENTIAL_CMD or the stored key";
  return new CliError(
    `Cannot run '${command}': the API key is malformed (from ${from}; Tinker keys start with 'tml-'); nothing was sent`,
    `Check ${from}.`,
  );
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
export function announceBuilding(
  ctx: CommandContext,
  notes: (text: string) => void = (text) => note(ctx, text),
): (info: { waitMs: number }) => void {
  return ({ waitMs }) =>
    notes(
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
