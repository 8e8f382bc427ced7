/**
 * The prune policy: which checkpoints to delete so that each run keeps its newest N of each
 * kind. Pure selection, no requests: list with `iterateCheckpoints`, choose here, delete with
 * `deleteCheckpoint`.
 * @module
 */
import { parseTinkerPath, type TinkerPath } from "../protocol/paths.ts";
import type { Checkpoint } from "../protocol/types.ts";

/** Options of {@link selectPrunable}. */
export interface PruneOptions {
  /** How many of the newest checkpoints to keep per run and kind (≥ 0). */
  keep: number;
  /** Only prune checkpoints created before this time (newer ones are kept beyond `keep`). */
  before?: Date;
  /** Only prune checkpoints of at least this many bytes (unknown sizes are kept). */
  minBytes?: number;
}

/** What {@link selectPrunable} chose. */
export interface PruneSelection {
  /** Checkpoints to delete, grouped by run and kind, newest first within each group. */
  prune: Checkpoint[];
  /** How many of the given checkpoints are kept. */
  kept: number;
}

/**
 * Choose the checkpoints to prune: in every run, the newest `keep` of each kind (training,
 * sampler, …) stay; of the older ones, those matching every filter go. Checkpoints whose path
 * or time cannot be read are always kept.
 *
 * @example
 * ```ts
 * import { configFromEnv, deleteCheckpoint, iterateCheckpoints, selectPrunable } from "@tinkex/tinkex";
 * const config = configFromEnv();
 * const all = await Array.fromAsync(iterateCheckpoints(config));
 * const { prune, kept } = selectPrunable(all, { keep: 3, before: new Date(Date.now() - 7 * 86_400_000) });
 * console.log(`deleting ${prune.length}, keeping ${kept}`);
 * for (const c of prune) await deleteCheckpoint(config, c.tinker_path);
 * ```
 */
export function selectPrunable(
  checkpoints: readonly Checkpoint[],
  options: PruneOptions,
): PruneSelection {
  const groups = new Map<string, Checkpoint[]>();
  for (const c of checkpoints) {
    const key = groupKey(c);
    if (key === undefined) continue;
    const group = groups.get(key);
    if (group) group.push(c);
    else groups.set(key, [c]);
  }
  const keep = Math.max(0, Math.floor(options.keep));
  const prune: Checkpoint[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => timeOf(b) - timeOf(a) || b.checkpoint_id.localeCompare(a.checkpoint_id));
    prune.push(...group.slice(keep).filter((c) => matches(c, options)));
  }
  return { prune, kept: checkpoints.length - prune.length };
}

function matches(c: Checkpoint, options: PruneOptions): boolean {
  if (options.before !== undefined && !(timeOf(c) < options.before.getTime())) return false;
  if (options.minBytes !== undefined && !((c.size_bytes ?? -1) >= options.minBytes)) return false;
  return true;
}

function groupKey(c: Checkpoint): string | undefined {
  const p = pathOf(c);
  return p && `${p.runId}\n${p.kind}`;
}

/** The parsed path of a listed checkpoint; undefined when the service sent an unreadable one. */
function pathOf(c: Checkpoint): TinkerPath | undefined {
  try {
    return parseTinkerPath(c.tinker_path);
  } catch {
    return undefined;
  }
}

/** Creation time in ms; unknown times sort as newest, so they are kept. */
function timeOf(c: Checkpoint): number {
  const t = Date.parse(c.time);
  return Number.isFinite(t) ? t : Infinity;
}
