/**
 * Running one action over many checkpoints with a concurrency bound, and reporting what
 * succeeded and what failed (exit 1 when anything failed).
 * @module
 */
import { ConflictError, NotFoundError } from "../../mod.ts";
import { stylesFor } from "./color.ts";
import { CliError } from "./errors.ts";
import { plural } from "./format.ts";
import { isJson, printJson, printLine } from "./output.ts";
import type { CommandContext } from "./spec.ts";

/** At most this many requests of a bulk action run at once. */
export const BULK_CONCURRENCY = 8;

/** One item that failed, with the reason. */
export interface BulkFailure {
  /** The checkpoint path. */
  tinker_path: string;
  /** Why it failed. */
  error: string;
}

/** What a bulk action did, in input order. */
export interface BulkOutcome {
  /** Paths it succeeded for. */
  done: string[];
  /** Paths it failed for. */
  failed: BulkFailure[];
}

/**
 * Run `action` for every path, at most `concurrency` at once. Never throws for a single item:
 * failures are collected, their text made by `describe`.
 */
export async function runBulk(
  paths: readonly string[],
  action: (path: string) => Promise<void>,
  describe: (error: unknown) => string,
  concurrency: number = BULK_CONCURRENCY,
): Promise<BulkOutcome> {
  const results: (string | undefined)[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      try {
        await action(paths[i]);
      } catch (e) {
        results[i] = describe(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  return {
    done: paths.filter((_, i) => results[i] === undefined),
    failed: paths.flatMap((p, i) =>
      results[i] === undefined ? [] : [{ tinker_path: p, error: results[i]! }]
    ),
  };
}

/** The reason a single checkpoint action failed, worded for a list of failures. */
export function itemError(error: unknown, conflict = "it is already in that state"): string {
  if (error instanceof ConflictError) return conflict;
  if (error instanceof NotFoundError) return "not found (or not yours)";
  return error instanceof Error ? error.message : String(error);
}

/** How to word a bulk action's report. */
export interface BulkWords {
  /** Past tense, capitalized, e.g. `Deleted`. */
  past: string;
  /** Key of the succeeded list in JSON, e.g. `deleted`. */
  jsonKey: string;
  /** Extra fields for the JSON output. */
  extra?: Record<string, unknown>;
  /** Summary line after the per-item lines (table format). */
  summary?: string;
}

/**
 * Print the outcome (JSON on stdout, or one line per path plus failures on stderr) and throw a
 * {@link CliError} when anything failed, so the exit code is 1.
 */
export function reportBulk(ctx: CommandContext, outcome: BulkOutcome, words: BulkWords): number {
  if (isJson(ctx)) {
    printJson(ctx, { [words.jsonKey]: outcome.done, failed: outcome.failed, ...words.extra });
  } else {
    for (const path of outcome.done) printLine(ctx, `${words.past} ${path}`);
    if (words.summary) printLine(ctx, words.summary);
  }
  if (outcome.failed.length === 0) return 0;
  const s = stylesFor(ctx.io, "stderr");
  for (const f of outcome.failed) {
    ctx.io.stderr(`${s.red("Failed:")} ${f.tinker_path}: ${f.error}\n`);
  }
  const total = outcome.done.length + outcome.failed.length;
  throw new CliError(
    `${outcome.failed.length} of ${plural(total, "checkpoint")} failed`,
    `The others were ${words.past.toLowerCase()}. Fix the cause and run the command again for the failed ones.`,
  );
}
