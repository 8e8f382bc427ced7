/**
 * Access control: runs belong to their owner; others may read and download a checkpoint only
 * while it is public, and never change it. Anything a caller may not see is a 404, exactly as if
 * it did not exist (no existence leak).
 * @module
 */
import type { AccessScope } from "../../protocol/types.ts";
import { formatTinkerPath, type TinkerPath } from "../../protocol/paths.ts";
import { checkpointKey, type CheckpointRecord, isLive, type RunRecord } from "../store/records.ts";
import { notFound } from "../http/responses.ts";
import type { CheckpointRef, Store } from "../store/record_store.ts";

/** Whether `user` may read (list, inspect, download) this checkpoint now. */
export function canRead(
  user: string,
  run: RunRecord,
  ckpt: CheckpointRecord,
  now: number,
): boolean {
  return isLive(ckpt, now) && (run.owner === user || ckpt.public);
}

/** Whether `user` sees the run in `scope`: their own, or (accessible) one with a public checkpoint. */
export function canSeeRun(user: string, run: RunRecord, scope: AccessScope, now: number): boolean {
  if (run.owner === user) return true;
  return scope === "accessible" &&
    Object.values(run.checkpoints).some((c) => c.public && isLive(c, now));
}

/** A run `user` may see, or a 404. */
export function visibleRun(
  store: Store,
  user: string,
  runId: string,
  scope: AccessScope,
  now: number,
): RunRecord {
  const run = store.run(runId);
  if (!run || !canSeeRun(user, run, scope, now)) {
    throw notFound(`Training run ${JSON.stringify(runId)} not found`);
  }
  return run;
}

/**
 * The checkpoint at `at`, if `user` may read it (`write`: only if they own it), or a 404 that
 * names the tinker path.
 */
export function findCheckpoint(
  store: Store,
  user: string,
  at: TinkerPath,
  mode: "read" | "write",
  now: number,
): CheckpointRef {
  const run = store.run(at.runId);
  const ckpt = run?.checkpoints[checkpointKey(at.kind, at.name)];
  const allowed = run && ckpt &&
    (mode === "read" ? canRead(user, run, ckpt, now) : run.owner === user && isLive(ckpt, now));
  if (!allowed) throw notFound(`Checkpoint ${formatTinkerPath(at)} not found`);
  return { run: run!, ckpt: ckpt! };
}
