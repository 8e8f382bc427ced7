/**
 * What the store persists: sessions, training runs and their checkpoints.
 * Times are epoch milliseconds; the wire format is made in `wire.ts`.
 * @module
 */
import type { CheckpointKind } from "../../protocol/paths.ts";

/** A session (made by create_session). */
export interface SessionRecord {
  id: string;
  owner: string;
  created: number;
  tags: string[];
  user_metadata: Record<string, string> | null;
  sdk_version: string | null;
  sampler_ids: string[];
  /** The project the session (and its runs) belong to; absent in older records. */
  project_id?: string | null;
  /** Base model and loaded path of each sampler (absent in older stores). */
  samplers?: Record<string, { base_model: string; model_path: string | null }>;
  /** How the session ended (`sessions/{id}/finish`; the first reason wins). */
  finished?: { reason: string; detail: string | null; at: number };
}

/** LoRA settings of a run, shared by its checkpoints. */
export interface LoraSettings {
  base_model: string;
  lora_rank: number;
  train_attn: boolean;
  train_mlp: boolean;
  train_unembed: boolean;
}

/** A checkpoint of a run. */
export interface CheckpointRecord {
  kind: CheckpointKind;
  name: string;
  created: number;
  /** Tie-breaker for ordering: larger is newer. */
  seq: number;
  public: boolean;
  expires_at: number | null;
  size_bytes: number;
  /** Id of the archive object (`objects/<id>.tar`); new on every save. */
  object_id: string;
  /** False while the archive is still to be built (cheap benchmark records). */
  built: boolean;
  /** Width of the synthetic tensors (sizes the archive). */
  hidden: number;
  /** Optimizer step saved with a training checkpoint; null for sampler checkpoints. */
  optimizer_step: number | null;
  /** The LoRA settings the weights were saved with. */
  lora: LoraSettings;
  /** External checkpoints only: the files under `objects/<object_id>/`, in serving order. */
  files?: { path: string; size: number }[];
  /** Metadata the user attached when saving (absent in older stores). */
  user_metadata?: Record<string, string> | null;
}

/** A training run (a LoRA training client); its id is `<session>:train:<n>`. */
export interface RunRecord {
  id: string;
  owner: string;
  session_id: string;
  created: number;
  last_request_time: number;
  lora: LoraSettings;
  seed: number | null;
  user_metadata: Record<string, string> | null;
  corrupted: boolean;
  /** Current optimizer step of the training client. */
  optimizer_step: number;
  /** Highest `seq_id` seen from the training client. */
  last_seq_id: number;
  /** The tinker path last loaded into this run, if any. */
  loaded_from: string | null;
  /** Checkpoints by id (`weights/<name>`, `sampler_weights/<name>`). */
  checkpoints: Record<string, CheckpointRecord>;
  /** For a run made by copy_weights: the tinker path it holds a copy of (it cannot be trained). */
  copy_of?: string;
}

/** The wire checkpoint id of a record: `<kind>/<name>`. */
export function checkpointKey(kind: CheckpointKind, name: string): string {
  return `${kind}/${name}`;
}

/** Whether a checkpoint is still alive at `now` (not past its TTL). */
export function isLive(ckpt: CheckpointRecord, now: number): boolean {
  return ckpt.expires_at === null || ckpt.expires_at > now;
}

/** A new run record with no checkpoints, optimizer step 0. */
export function newRunRecord(init: {
  id: string;
  owner: string;
  session_id: string;
  lora: LoraSettings;
  created: number;
  seed?: number | null;
  user_metadata?: Record<string, string> | null;
}): RunRecord {
  return {
    id: init.id,
    owner: init.owner,
    session_id: init.session_id,
    created: init.created,
    last_request_time: init.created,
    lora: init.lora,
    seed: init.seed ?? null,
    user_metadata: init.user_metadata ?? null,
    corrupted: false,
    optimizer_step: 0,
    last_seq_id: 0,
    loaded_from: null,
    checkpoints: {},
  };
}

/** A new checkpoint record with a fresh archive object id (size filled in by the caller). */
export function newCheckpointRecord(
  kind: CheckpointKind,
  name: string,
  lora: LoraSettings,
  extra:
    & Pick<CheckpointRecord, "created" | "seq" | "hidden" | "optimizer_step">
    & Partial<Pick<CheckpointRecord, "public" | "expires_at" | "built">>,
): CheckpointRecord {
  return {
    kind,
    name,
    public: false,
    expires_at: null,
    size_bytes: 0,
    object_id: crypto.randomUUID(),
    built: false,
    lora,
    ...extra,
  };
}
