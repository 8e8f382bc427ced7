/**
 * Stored records → wire objects (protocol §6): ISO datetimes with `Z`, kinds as
 * `checkpoint_type`, `tinker_path` via {@link formatTinkerPath}.
 * @module
 */
import { checkpointTypeOf, formatTinkerPath } from "../../protocol/paths.ts";
import type { Checkpoint, TrainingRun } from "../../protocol/types.ts";
import { checkpointKey, type CheckpointRecord, type RunRecord } from "../store/records.ts";
import { canRead } from "../auth/access.ts";

/** ISO 8601 with `Z`. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The tinker path of a checkpoint. */
export function tinkerPathOf(runId: string, ckpt: CheckpointRecord): string {
  return formatTinkerPath({ runId, kind: ckpt.kind, name: ckpt.name });
}

/**
 * Wire objects by record. A stored record is never changed in place (the store edits a clone
 * and swaps it in), so its wire object is made once, not on every listing page.
 */
const wireOf = new WeakMap<CheckpointRecord, Readonly<Checkpoint>>();

/** A checkpoint as the wire shows it (shared and frozen: do not modify it). */
export function checkpointWire(runId: string, ckpt: CheckpointRecord): Checkpoint {
  let wire = wireOf.get(ckpt);
  if (wire === undefined) {
    wire = Object.freeze({
      checkpoint_id: checkpointKey(ckpt.kind, ckpt.name),
      checkpoint_type: checkpointTypeOf(ckpt.kind),
      time: iso(ckpt.created),
      tinker_path: tinkerPathOf(runId, ckpt),
      size_bytes: ckpt.size_bytes,
      public: ckpt.public,
      expires_at: ckpt.expires_at === null ? null : iso(ckpt.expires_at),
      user_metadata: ckpt.user_metadata ?? null,
      base_model: ckpt.lora.base_model,
    });
    wireOf.set(ckpt, wire);
  }
  return wire;
}

/**
 * A run as `viewer` sees it. The owner sees everything. Anyone else (who sees the run at all
 * because it has a public checkpoint) sees only what publishing shows, field by field:
 * - as stored: `training_run_id`, `base_model`, `model_owner`, `is_lora`, `lora_rank`,
 *   `corrupted` (what loading a public checkpoint needs);
 * - `last_checkpoint` / `last_sampler_checkpoint`: the newest *public* checkpoint of each kind;
 * - `last_request_time`: the creation time of the newest public checkpoint, not the owner's
 *   private activity;
 * - `user_metadata`: null;
 * - no `session_id`, `optimizer_step`, `last_seq_id` or `loaded_from` (which may name a private
 *   checkpoint).
 */
export function runWire(run: RunRecord, viewer: string, now: number): TrainingRun {
  const newest = (kind: CheckpointRecord["kind"] | undefined): CheckpointRecord | undefined => {
    let best: CheckpointRecord | undefined;
    for (const c of Object.values(run.checkpoints)) {
      if ((kind && c.kind !== kind) || !canRead(viewer, run, c, now)) continue;
      if (!best || c.created > best.created || (c.created === best.created && c.seq > best.seq)) {
        best = c;
      }
    }
    return best;
  };
  const wire = (c: CheckpointRecord | undefined): Checkpoint | null =>
    c ? checkpointWire(run.id, c) : null;
  const shared = {
    training_run_id: run.id,
    base_model: run.lora.base_model,
    model_owner: run.owner,
    is_lora: true,
    corrupted: run.corrupted,
    lora_rank: run.lora.lora_rank,
    last_checkpoint: wire(newest("weights")),
    last_sampler_checkpoint: wire(newest("sampler_weights")),
  };
  if (viewer !== run.owner) {
    const newestPublic = newest(undefined);
    return {
      ...shared,
      last_request_time: iso(newestPublic?.created ?? run.created),
      user_metadata: null,
    };
  }
  return {
    ...shared,
    last_request_time: iso(run.last_request_time),
    user_metadata: run.user_metadata,
    session_id: run.session_id,
    optimizer_step: run.optimizer_step,
    last_seq_id: run.last_seq_id,
    loaded_from: run.loaded_from,
  };
}
