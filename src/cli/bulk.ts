/**
 * Running one action over many checkpoints with a concurrency bound, and reporting what
 * succeeded and what failed (exit 1 when anything failed).
 * @module
 */
import { ConflictError, NotFoundError, parseTinkerPath, type TinkerPath } from "../../mod.ts";
import { stylesFor } from "./color.ts";
import { CliError } from "./errors.ts";
import { describeFailure } from "./failure.ts";
import { plural } from "./format.ts";
import { isJson, printJson, printLine } from "./output.ts";
import type { CommandContext } from "./spec.ts";
import { escapeControls } from "./sanitize.ts";

/** At most this many requests of a bulk action run at once. */
export const BULK_CONCURRENCY = 8;

/** The command's one checkpoint path, checked before anything is sent. */
export function checkpointPathArg(ctx: CommandContext): string {
  const path = ctx.args[0];
  parseTinkerPath(path);
  return path;
}

/** Check every path before acting on any: the distinct paths, parsed, in the order given. */
export function parsePaths(paths: readonly string[]): Map<string, TinkerPath> {
  return new Map(paths.map((p) => [p, parseTinkerPath(p)]));
}

/**
 * Await promises that run at once, then throw the first rejection in the order given (not the
 * first to arrive), so a failure reads the same every time.
 */
export async function settledInOrder<T extends readonly unknown[]>(
  promises: { [K in keyof T]: Promise<T[K]> },
): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** One item that failed, with the reason. */
export interface BulkFailure {
  /** The checkpoint path. */
  tinker_path: string;
  /** Why it failed. */
  error: string;
  /** The error thrown. */
  cause: unknown;
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
  const results: ({ error: string; cause: unknown } | undefined)[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      try {
        await action(paths[i]);
      } catch (e) {
        results[i] = { error: describe(e), cause: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  return {
    done: paths.filter((_, i) => results[i] === undefined),
    failed: paths.flatMap((tinker_path, i) => {
      const r = results[i];
      return r === undefined ? [] : [{ tinker_path, ...r }];
    }),
  };
}

/** The reason a single checkpoint action failed, worded for a list of failures. */
export function itemError(error: unknown, conflict = "it is already in that state"): string {
  if (error instanceof ConflictError) return conflict;
  if (error instanceof NotFoundError) return "not found (or not yours)";
  return describeFailure(error).message;
}

/** How to word a bulk action's report. */
export interface BulkWords {
  /** The action, e.g. `delete`. */
  verb: string;
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
    const failed = outcome.failed.map(({ tinker_path, error }) => ({ tinker_path, error }));
    printJson(ctx, { [words.jsonKey]: outcome.done, failed, ...words.extra });
  } else {
    for (const path of outcome.done) printLine(ctx, `${words.past} ${path}`);
    if (words.summary && outcome.done.length > 0) printLine(ctx, words.summary);
  }
  const { done, failed } = outcome;
  if (failed.length === 0) return 0;
  if (failed.length === 1 && done.length === 0) {
    const { hint } = describeFailure(failed[0].cause);
    throw new CliError(`Cannot ${words.verb} ${failed[0].tinker_path}: ${failed[0].error}`, hint);
  }
  const s = stylesFor(ctx.io, "stderr");
  for (const f of failed) {
    ctx.io.stderr(`${s.red("Failed:")} ${f.tinker_path}: ${escapeControls(f.error)}\n`);
  }
  const total = done.length + failed.length;
  const past = words.past.toLowerCase();
  throw new CliError(
    `${failed.length} of ${plural(total, "checkpoint")} could not be ${past}`,
    done.length > 0
      ? `The other ${done.length} ${
        done.length === 1 ? "was" : "were"
      } ${past}. Run the command again for the failed ones once fixed.`
      : "Nothing was changed.",
  );
}
