/**
 * Tinker paths: `tinker://<training_run_id>/<weights|sampler_weights|external_weights>/<name>`.
 * @module
 */
import { InvalidTinkerPathError } from "./errors.ts";

/**
 * The path segment naming a checkpoint's kind: `weights` (training state), `sampler_weights` (a
 * PEFT adapter) or `external_weights` (the service's own HF-format export: a set of files).
 */
export type CheckpointKind = "weights" | "sampler_weights" | "external_weights";

/** A parsed tinker path. */
export interface TinkerPath {
  /** The training run id (may contain `:`). */
  runId: string;
  /** `weights` (training state), `sampler_weights` (sampler adapter) or `external_weights`. */
  kind: CheckpointKind;
  /** The checkpoint name. */
  name: string;
}

const SCHEME = "tinker://";
const TYPES: Readonly<Record<CheckpointKind, "training" | "sampler" | "external">> = {
  weights: "training",
  sampler_weights: "sampler",
  external_weights: "external",
};

/** Whether `kind` is a checkpoint kind segment of a tinker path. */
export function isCheckpointKind(kind: string): kind is CheckpointKind {
  return Object.hasOwn(TYPES, kind);
}

/** The kinds, worded for messages: `"weights", "sampler_weights" or "external_weights"`. */
export const KINDS_TEXT = '"weights", "sampler_weights" or "external_weights"';

/**
 * Parse a tinker path, saying exactly which part is wrong when it is invalid.
 *
 * @example
 * ```ts
 * import { parseTinkerPath } from "@tinkex/tinkex";
 * const p = parseTinkerPath("tinker://run-1:train:0/weights/0001");
 * console.log(p.runId, p.kind, p.name); // run-1:train:0 weights 0001
 * ```
 * @throws {InvalidTinkerPathError} when the scheme, part count, kind, run id or name is wrong.
 */
export function parseTinkerPath(path: string): TinkerPath {
  if (typeof path !== "string" || !path.startsWith(SCHEME)) {
    throw new InvalidTinkerPathError(String(path), `it must start with "${SCHEME}"`);
  }
  const parts = path.slice(SCHEME.length).split("/");
  if (parts.length !== 3) {
    throw new InvalidTinkerPathError(
      path,
      `expected 3 parts after "${SCHEME}" (<run>/<kind>/<name>), got ${parts.length}`,
    );
  }
  const [runId, kind, name] = parts;
  if (runId === "") throw new InvalidTinkerPathError(path, "the training run id is empty");
  if (!isCheckpointKind(kind)) {
    throw new InvalidTinkerPathError(path, `unknown kind "${kind}" (expected ${KINDS_TEXT})`);
  }
  if (name === "") throw new InvalidTinkerPathError(path, "the checkpoint name is empty");
  return { runId, kind, name };
}

/**
 * Format a tinker path from its parts (the inverse of {@link parseTinkerPath}).
 *
 * @example
 * ```ts
 * import { formatTinkerPath } from "@tinkex/tinkex";
 * formatTinkerPath({ runId: "r1", kind: "sampler_weights", name: "final" });
 * // "tinker://r1/sampler_weights/final"
 * ```
 * @throws {InvalidTinkerPathError} when a part is empty, contains `/`, or the kind is unknown.
 */
export function formatTinkerPath(parts: TinkerPath): string {
  const path = `${SCHEME}${parts.runId}/${parts.kind}/${parts.name}`;
  if (parts.runId.includes("/") || parts.name.includes("/")) {
    throw new InvalidTinkerPathError(path, "run id and name must not contain '/'");
  }
  parseTinkerPath(path); // validates every part
  return path;
}

/**
 * The `checkpoint_type` of a kind: `weights` → `training`, `sampler_weights` → `sampler`,
 * `external_weights` → `external`.
 *
 * @example
 * ```ts
 * import { checkpointTypeOf } from "@tinkex/tinkex";
 * checkpointTypeOf("weights"); // "training"
 * ```
 */
export function checkpointTypeOf(kind: CheckpointKind): "training" | "sampler" | "external" {
  return TYPES[kind];
}

/**
 * The API path of a checkpoint, each segment percent-encoded, the kind kept as its own segment:
 * `/api/v1/training_runs/<run>/checkpoints/<kind>/<name>`.
 */
export function checkpointApiPath(path: TinkerPath): string {
  return `/api/v1/training_runs/${encodeURIComponent(path.runId)}/checkpoints/${path.kind}/${
    encodeURIComponent(path.name)
  }`;
}

/**
 * The directory name both official clients download a checkpoint into:
 * the path without `tinker://`, with `/` replaced by `_` (`<run>_<kind>_<name>`).
 *
 * @example
 * ```ts
 * import { downloadDirName } from "@tinkex/tinkex";
 * downloadDirName("tinker://r1/weights/0001"); // "r1_weights_0001"
 * ```
 */
export function downloadDirName(tinkerPath: string): string {
  const p = parseTinkerPath(tinkerPath);
  return `${p.runId}_${p.kind}_${p.name}`;
}
