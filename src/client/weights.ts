/**
 * Weights info and compatibility checks.
 * @module
 */
import type { TinkerConfig } from "./config.ts";
import { CheckpointMismatchError } from "./errors.ts";
import { requestJson, type RequestOptions } from "./http/request.ts";
import { parseTinkerPath } from "../protocol/paths.ts";
import type { WeightsInfoResponse } from "../protocol/types.ts";

/**
 * What the service knows of a checkpoint's weights: base model, LoRA rank, trained parts.
 *
 * @example
 * ```ts
 * import { configFromEnv, getWeightsInfo } from "@tinkex/tinkex";
 * const info = await getWeightsInfo(configFromEnv(), "tinker://run-1:train:0/weights/0001");
 * console.log(info.base_model, info.lora_rank);
 * ```
 * @throws {InvalidTinkerPathError} before any request when the path is malformed.
 */
export async function getWeightsInfo(
  config: TinkerConfig,
  tinkerPath: string,
  opts: RequestOptions = {},
): Promise<WeightsInfoResponse> {
  parseTinkerPath(tinkerPath);
  return await requestJson<WeightsInfoResponse>(config, {
    method: "POST",
    path: "/api/v1/weights_info",
    body: { tinker_path: tinkerPath },
  }, opts);
}

/** What a caller expects of a checkpoint; unset fields are not checked. */
export interface CheckpointExpectations {
  /** The base model it must belong to. */
  baseModel?: string;
  /** The LoRA rank it must have. */
  loraRank?: number;
  /** Whether it must be (or must not be) LoRA. */
  isLora?: boolean;
}

/**
 * Check a checkpoint against expectations before loading it; resolve to its weights info, or
 * throw naming every mismatching field.
 *
 * @example
 * ```ts
 * import { CheckpointMismatchError, configFromEnv, validateCheckpoint } from "@tinkex/tinkex";
 * try {
 *   await validateCheckpoint(configFromEnv(), "tinker://run-1:train:0/weights/0001", {
 *     baseModel: "Qwen/Qwen3-8B",
 *     loraRank: 32,
 *   });
 * } catch (e) {
 *   if (e instanceof CheckpointMismatchError) console.error(e.mismatches.join("\n"));
 * }
 * ```
 * @throws {CheckpointMismatchError} listing each field that differs.
 */
export async function validateCheckpoint(
  config: TinkerConfig,
  tinkerPath: string,
  expected: CheckpointExpectations,
  opts: RequestOptions = {},
): Promise<WeightsInfoResponse> {
  const info = await getWeightsInfo(config, tinkerPath, opts);
  const mismatches: string[] = [];
  if (expected.baseModel !== undefined && info.base_model !== expected.baseModel) {
    mismatches.push(`base_model: expected ${expected.baseModel}, got ${info.base_model}`);
  }
  if (expected.isLora !== undefined && info.is_lora !== expected.isLora) {
    mismatches.push(`is_lora: expected ${expected.isLora}, got ${info.is_lora}`);
  }
  if (expected.loraRank !== undefined && info.lora_rank !== expected.loraRank) {
    mismatches.push(`lora_rank: expected ${expected.loraRank}, got ${info.lora_rank ?? "none"}`);
  }
  if (mismatches.length > 0) throw new CheckpointMismatchError(tinkerPath, mismatches);
  return info;
}
