/**
 * `tinkex checkpoint delete` and `tinkex checkpoint prune`: choose checkpoints, confirm
 * (count, size, "permanent") unless -y, delete with a concurrency bound, report failures.
 * @module
 */
import {
  type Checkpoint,
  checkpointTypeOf,
  deleteCheckpoint,
  iterateCheckpoints,
  listCheckpoints,
  NotFoundError,
  parseTinkerPath,
  type ResolvedConfig,
  selectPrunable,
  type TinkerPath,
} from "../../mod.ts";
import { itemError, parsePaths, reportBulk, runBulk, settledInOrder } from "./bulk.ts";
import { stylesFor } from "./color.ts";
import { confirm } from "./confirm.ts";
import { Cancelled, UsageError } from "./errors.ts";
import { formatSize, plural } from "./format.ts";
import { configOf, isJson, printJson, printLine, printTable, warn } from "./output.ts";
import type { CommandContext } from "./spec.ts";
import { renderTable } from "./table.ts";
import { parseSize } from "./units.ts";
import { checkpointTable } from "./views.ts";
import { matchesMeta, type MetaFilter, parseMetaFilter } from "./metadata_filter.ts";

/** At most this many checkpoints are listed in a confirmation. */
const PREVIEW_ROWS = 20;

/** `tinkex checkpoint delete (PATH… | --run-id R [--type T] [--before D] [--after D]) [-y]`. */
export async function deleteCommand(ctx: CommandContext): Promise<number> {
  const runId = ctx.options["run-id"] as string | undefined;
  const filters = ["type", "before", "after", "meta"].filter((f) => ctx.options[f] !== undefined);
  if (ctx.args.length > 0 && runId !== undefined) {
    throw new UsageError("Give checkpoint paths or --run-id, not both", ctx.command);
  }
  if (ctx.args.length === 0 && runId === undefined) {
    throw new UsageError("Missing checkpoint paths (PATH...) or --run-id RUN_ID", ctx.command);
  }
  if (runId === undefined && filters.length > 0) {
    throw new UsageError(`--${filters[0]} only applies with --run-id`, ctx.command);
  }
  const config = configOf(ctx);
  const targets = runId === undefined
    ? await selectByPaths(ctx, config)
    : await selectByRun(config, runId, ctx.options, parseMetaFilter(ctx.options.meta, ctx.command));
  return await deleteAll(ctx, config, targets);
}

/**
 * How many deletions prune runs at once by default. bench/prune_concurrency.ts: with 30 ms of
 * round trip, throughput grows with concurrency (1: 27/s, 8: 232/s, 32: 575/s); on loopback the
 * local server shows no consistent penalty up to 32. The official CLI saw the hosted service
 * slow down under 32 concurrent deletions, so the default stays moderate: 8 (as `delete`).
 */
export const PRUNE_CONCURRENCY = 8;

/**
 * `tinkex checkpoint prune --keep N [--older-than AGE] [--larger-than SIZE] [--run-id R]
 * [--concurrency N] [--dry-run] [-y]`.
 */
export async function pruneCommand(ctx: CommandContext): Promise<number> {
  const keep = ctx.options.keep as number | undefined;
  if (keep === undefined) throw new UsageError("Missing --keep N", ctx.command);
  const runId = ctx.options["run-id"] as string | undefined;
  const before = ctx.options["older-than"] as Date | undefined;
  const largerThan = ctx.options["larger-than"] as string | undefined;
  const minBytes = largerThan === undefined
    ? undefined
    : parseSize(largerThan, "larger-than", ctx.command) + 1;
  const concurrency = (ctx.options.concurrency as number | undefined) ?? PRUNE_CONCURRENCY;
  const config = configOf(ctx);
  const meta = parseMetaFilter(ctx.options.meta, ctx.command);
  const all = (await Array.fromAsync(iterateCheckpoints(config, { runId })))
    .filter((c) => matchesMeta(c, meta));
  const { prune, kept } = selectPrunable(all, { keep, before, minBytes });
  if (ctx.options["dry-run"] !== true) return await deleteAll(ctx, config, prune, concurrency);
  const bytes = totalBytes(prune);
  if (isJson(ctx)) {
    printJson(ctx, { dry_run: true, would_delete: prune, kept, bytes });
  } else {
    const title = prune.length === 0
      ? `Nothing to prune: every run has at most ${keep} of each kind (${kept} kept)`
      : `Would delete ${plural(prune.length, "checkpoint")} (${
        formatSize(bytes)
      }), keeping ${kept}`;
    printTable(ctx, checkpointTable(title, prune));
  }
  return 0;
}

/** The parsed path of a listed checkpoint; undefined when the service sent an unreadable one. */
function pathOf(c: Checkpoint): TinkerPath | undefined {
  try {
    return parseTinkerPath(c.tinker_path);
  } catch {
    return undefined;
  }
}

async function selectByPaths(ctx: CommandContext, config: ResolvedConfig): Promise<Checkpoint[]> {
  const paths = parsePaths(ctx.args);
  const runs = [...new Set([...paths.values()].map((p) => p.runId))];
  const listings = await settledInOrder(runs.map((runId) =>
    listCheckpoints(config, { runId }).then(
      (r) => r.checkpoints,
      (e) => {
        if (e instanceof NotFoundError) return [];
        throw e;
      },
    )
  ));
  const known = new Map(listings.flat().map((c) => [c.tinker_path, c]));
  return [...paths].map(([path, { kind, name }]) => {
    const found = known.get(path);
    if (found) return found;
    warn(ctx, `${path} is not in its run's checkpoint list; trying to delete it anyway`);
    return {
      checkpoint_id: `${kind}/${name}`,
      checkpoint_type: checkpointTypeOf(kind),
      time: "",
      tinker_path: path,
      size_bytes: null,
    };
  });
}

async function selectByRun(
  config: ResolvedConfig,
  runId: string,
  options: CommandContext["options"],
  meta: MetaFilter,
): Promise<Checkpoint[]> {
  const { checkpoints } = await listCheckpoints(config, { runId });
  const type = options.type as string | undefined;
  const before = (options.before as Date | undefined)?.getTime();
  const after = (options.after as Date | undefined)?.getTime();
  return checkpoints.filter((c) => {
    const t = Date.parse(c.time);
    if (type !== undefined && pathOf(c)?.kind !== type) return false;
    if (before !== undefined && !(t < before)) return false;
    if (after !== undefined && !(t > after)) return false;
    return matchesMeta(c, meta);
  });
}

function totalBytes(checkpoints: readonly Checkpoint[]): number {
  return checkpoints.reduce((sum, c) => sum + (c.size_bytes ?? 0), 0);
}

/** `3 checkpoints (1.2 GB)`, noting unknown sizes. */
function describeSet(checkpoints: readonly Checkpoint[]): string {
  const unknown = checkpoints.filter((c) => typeof c.size_bytes !== "number").length;
  const size = formatSize(totalBytes(checkpoints));
  const note = unknown > 0 ? `, size unknown for ${unknown}` : "";
  return `${plural(checkpoints.length, "checkpoint")} (${size}${note})`;
}

async function deleteAll(
  ctx: CommandContext,
  config: ResolvedConfig,
  targets: readonly Checkpoint[],
  concurrency?: number,
): Promise<number> {
  if (targets.length === 0) {
    if (isJson(ctx)) printJson(ctx, { deleted: [], failed: [], bytes: 0 });
    else printLine(ctx, "No checkpoints match: nothing to delete.");
    return 0;
  }
  if (ctx.options.yes !== true) await confirmDeletion(ctx, targets);
  const outcome = await runBulk(
    targets.map((c) => c.tinker_path),
    (path) => deleteCheckpoint(config, path),
    (e) => itemError(e),
    concurrency,
  );
  const done = new Set(outcome.done);
  const bytes = totalBytes(targets.filter((c) => done.has(c.tinker_path)));
  return reportBulk(ctx, outcome, {
    verb: "delete",
    past: "Deleted",
    jsonKey: "deleted",
    extra: { bytes },
    summary: `Deleted ${plural(done.size, "checkpoint")} (${formatSize(bytes)}).`,
  });
}

async function confirmDeletion(ctx: CommandContext, targets: readonly Checkpoint[]): Promise<void> {
  const shown = targets.slice(0, PREVIEW_ROWS);
  const more = targets.length - shown.length;
  const title = `To delete: ${plural(targets.length, "checkpoint")}` +
    (more > 0 ? ` (${more} more not shown)` : "");
  ctx.io.stderr(renderTable(checkpointTable(title, shown), stylesFor(ctx.io, "stderr")));
  const what = describeSet(targets);
  const them = targets.length === 1 ? "it cannot" : "they cannot";
  const yes = await confirm(
    ctx.io,
    `Delete ${what}? This is permanent: ${them} be recovered.`,
    `permanently delete ${what}`,
    ctx.cancellation(),
  );
  // Declining is not an error, but nothing that was asked for happened: exit 1, for scripts.
  if (!yes) throw new Cancelled("Nothing deleted.", 1);
}
