/**
 * Saving a training client's weights as an external checkpoint: the service's own HF-format
 * export, `tinker://<run>/external_weights/<name>`, downloadable file by file.
 * @module
 */
import type { FutureOptions } from "./futures.ts";
import { checkSaveRequest, submitInOrder, type TrainingClient } from "./client.ts";

/** Options of {@link saveWeightsExternal}. */
export interface SaveExternalOptions extends FutureOptions {
  /** Expire the checkpoint this many seconds after saving (3600 to 315,360,000). */
  ttlSeconds?: number;
}

/** What {@link saveWeightsExternal} saved. */
export interface SaveExternalResult {
  /** `tinker://<run>/external_weights/<name>`. */
  path: string;
  /** Total size of its files, when the service says. */
  size_bytes?: number | null;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/**
 * Export the client's current weights in HF format as `tinker://<run>/external_weights/<name>`
 * (the `save_weights_external` future). Download it with `download()`, which fetches its files.
 *
 * @example
 * ```ts
 * import { configFromEnv, createTrainingClient, download, saveWeightsExternal } from "@tinkex/tinkex";
 * const config = configFromEnv();
 * const client = await createTrainingClient(config, { baseModel: "Qwen/Qwen3-8B" });
 * const { path, size_bytes } = await saveWeightsExternal(client, "hf-export");
 * console.log(path, size_bytes);
 * await download(config, path, { outputDir: "./exports" });
 * ```
 * @throws {RangeError} before any request for a bad name or an out-of-range `ttlSeconds`.
 * @throws {FutureFailedError} e.g. when the name is taken.
 */
export async function saveWeightsExternal(
  client: TrainingClient,
  name: string,
  opts: SaveExternalOptions = {},
): Promise<SaveExternalResult> {
  checkSaveRequest(name, opts.ttlSeconds);
  const body: Record<string, unknown> = {
    model_id: client.modelId,
    path: name,
    type: "save_weights_external",
  };
  if (opts.ttlSeconds !== undefined) body.ttl_seconds = opts.ttlSeconds;
  const result = await submitInOrder<SaveExternalResult>(
    client,
    "/api/v1/save_weights_external",
    body,
    opts,
  );
  const { type: _type, ...rest } = result;
  return rest;
}
