/**
 * How checkpoints, weights info and training runs look in tables and detail views.
 * @module
 */
import type { Checkpoint, TrainingRun, WeightsInfoResponse } from "../../mod.ts";
import { formatBool, formatExpiry, formatSize, formatTime } from "./format.ts";
import type { Table } from "./table.ts";

/** A table of checkpoints (list, delete and prune previews). */
export function checkpointTable(
  title: string,
  checkpoints: readonly Checkpoint[],
  now: number = Date.now(),
): Table {
  return {
    title,
    columns: ["Checkpoint ID", "Type", "Size", "Public", "Created", "Expires", "Path"],
    rows: checkpoints.map((c) => [
      c.checkpoint_id,
      c.checkpoint_type,
      formatSize(c.size_bytes),
      formatBool(c.public ?? false),
      formatTime(c.time, now),
      formatExpiry(c.expires_at, now),
      c.tinker_path,
    ]),
  };
}

/** A time as `3 hours ago (2026-01-01T09:00:00Z)`, or `N/A`. */
export function timeWithIso(iso: string | null | undefined, now: number = Date.now()): string {
  const relative = formatTime(iso, now);
  return relative === "N/A" ? relative : `${relative} (${iso})`;
}

/** Labelled fields of one checkpoint and, when known, its weights. */
export function checkpointPairs(
  c: Checkpoint,
  weights?: WeightsInfoResponse,
  now: number = Date.now(),
): [string, string][] {
  const pairs: [string, string][] = [
    ["Path", c.tinker_path],
    ["Checkpoint ID", c.checkpoint_id],
    ["Type", c.checkpoint_type],
    ["Size", formatSize(c.size_bytes)],
    ["Public", formatBool(c.public ?? false)],
    ["Created", timeWithIso(c.time, now)],
    ["Expires", c.expires_at ? timeWithIso(c.expires_at, now) : "Never"],
    ["Metadata", metadataText(c.user_metadata)],
  ];
  if (!weights && c.base_model) pairs.push(["Base model", c.base_model]);
  if (weights) {
    pairs.push(
      ["Base model", weights.base_model],
      ["LoRA", loraText(weights.is_lora, weights.lora_rank)],
      ["Trained", trainedParts(weights)],
    );
  }
  return pairs;
}

/** `Rank 32`, `Yes` (rank unknown) or `No`. */
export function loraText(isLora: boolean | undefined, rank: number | null | undefined): string {
  if (isLora && rank) return `Rank ${rank}`;
  return isLora ? "Yes" : "No";
}

function trainedParts(w: WeightsInfoResponse): string {
  const parts = [["attention", w.train_attn], ["MLP", w.train_mlp], [
    "unembedding",
    w.train_unembed,
  ]]
    .filter(([, on]) => on === true)
    .map(([name]) => name as string);
  const known = [w.train_attn, w.train_mlp, w.train_unembed].some((v) => typeof v === "boolean");
  if (!known) return "N/A";
  return parts.length > 0 ? parts.join(", ") : "none";
}

/** A table of training runs. */
export function runTable(
  title: string,
  runs: readonly TrainingRun[],
  now: number = Date.now(),
): Table {
  return {
    title,
    columns: ["Run ID", "Base Model", "Owner", "LoRA", "Last Update", "Status"],
    rows: runs.map((r) => [
      r.training_run_id,
      r.base_model,
      r.model_owner,
      loraText(r.is_lora, r.lora_rank),
      formatTime(r.last_request_time, now),
      runStatus(r),
    ]),
  };
}

/** `k=v, k2=v2`, or `None`. */
export function metadataText(meta: Record<string, string> | null | undefined): string {
  const pairs = Object.entries(meta ?? {}).map(([k, v]) => `${k}=${v}`);
  return pairs.length > 0 ? pairs.join(", ") : "None";
}

/** Labelled fields of one training run. */
export function runPairs(r: TrainingRun, now: number = Date.now()): [string, string][] {
  return [
    ["Run ID", r.training_run_id],
    ["Base model", r.base_model],
    ["Owner", r.model_owner],
    ["LoRA", loraText(r.is_lora, r.lora_rank)],
    ["Status", runStatus(r)],
    ["Last update", timeWithIso(r.last_request_time, now)],
    ["Last checkpoint", r.last_checkpoint?.tinker_path ?? "None"],
    ["Last sampler checkpoint", r.last_sampler_checkpoint?.tinker_path ?? "None"],
    ["Metadata", metadataText(r.user_metadata)],
  ];
}

function runStatus(r: TrainingRun): string {
  return r.corrupted ? "Failed" : "Active";
}
