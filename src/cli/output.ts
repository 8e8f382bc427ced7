/**
 * What command handlers share: the config from flags and environment, and printing results as
 * JSON or tables on stdout, notes and warnings on stderr.
 * @module
 */
import {
  ConfigError,
  configFromEnv,
  ConnectionError,
  type ResolvedConfig,
  TimeoutError,
} from "../../mod.ts";
import { CliError } from "./errors.ts";
import { stylesFor } from "./color.ts";
import type { CommandContext } from "./spec.ts";
import { renderPairs, renderTable, type Table } from "./table.ts";

/**
 * The config of a command: `--api-key` / `--base-url`, falling back to the environment. Retries
 * are announced on stderr (through `notes`, e.g. a progress display, when given), so a slow or
 * failing server does not look like a hang.
 */
export function configOf(
  ctx: CommandContext,
  notes: (text: string) => void = (text) => note(ctx, text),
): ResolvedConfig {
  try {
    return configFromEnvFor(ctx, notes);
  } catch (e) {
    throw e instanceof ConfigError ? configFailure(ctx, e) : e;
  }
}

function configFromEnvFor(ctx: CommandContext, notes: (text: string) => void): ResolvedConfig {
  return configFromEnv({
    apiKey: ctx.globals.apiKey,
    baseUrl: ctx.globals.baseUrl,
    onRetry: ({ retry, delayMs, status, error }) => {
      notes(
        `${retryCause(status, error)}; retrying in ${
          (delayMs / 1000).toFixed(1)
        } s (retry ${retry})...`,
      );
    },
  }, { env: ctx.io.env });
}

/** Why a request is retried, in a few words: `HTTP 503`, `timed out`, `connection refused`. */
function retryCause(status: number | undefined, error: unknown): string {
  if (status !== undefined) return `HTTP ${status}`;
  if (error instanceof TimeoutError) return "timed out";
  if (error instanceof ConnectionError && error.failure === "refused") return "connection refused";
  return "no response";
}

/** A config error in the words of the command line: which flag or variable to fix. */
function configFailure(ctx: CommandContext, error: ConfigError): CliError {
  const command = `tinkex ${ctx.command.join(" ")}`;
  const key = ctx.globals.apiKey ?? ctx.io.env("TINKER_API_KEY");
  if (key === undefined || key === "") {
    return new CliError(
      `Cannot run '${command}': no API key`,
      "Set TINKER_API_KEY=tml-… or pass --api-key tml-… (for 'tinkex serve': tml-local-dev-key).",
    );
  }
  if (/base URL/.test(error.message)) {
    const from = ctx.globals.baseUrl !== undefined ? "--base-url" : "TINKER_BASE_URL";
    return new CliError(
      error.message,
      `Fix ${from}: an http(s) URL such as http://127.0.0.1:8080 (tinkex serve's default).`,
    );
  }
  const from = ctx.globals.apiKey !== undefined ? "--api-key" : "TINKER_API_KEY";
  return new CliError(
    `Cannot run '${command}': the API key is malformed (from ${from}; Tinker keys start with 'tml-'); nothing was sent`,
    `Check ${from}.`,
  );
}

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
