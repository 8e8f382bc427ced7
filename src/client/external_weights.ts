/**
 * External checkpoints (`tinker://<run>/external_weights/<name>`): the service's own HF-format
 * export, a set of files each behind its own signed URL.
 * @module
 */
import type { TinkerConfig } from "./config.ts";
import { requestJson, type RequestOptions } from "./http/request.ts";
import { InvalidTinkerPathError } from "../protocol/errors.ts";
import { checkpointApiPath, parseTinkerPath, type TinkerPath } from "../protocol/paths.ts";
import type { ExternalWeightsUrlsResponse } from "../protocol/types.ts";

/** Parse a tinker path that must name an external checkpoint. */
export function parseExternalPath(tinkerPath: string): TinkerPath {
  const p = parseTinkerPath(tinkerPath);
  if (p.kind !== "external_weights") {
    throw new InvalidTinkerPathError(
      tinkerPath,
      `only external checkpoints (tinker://<run>/external_weights/<name>) have per-file URLs, ` +
        `this is ${p.kind}; use getArchiveUrl or download() for it`,
    );
  }
  return p;
}

/**
 * The signed download URL of every file of an external checkpoint (keyed by the file's path
 * relative to the checkpoint root) and when they expire. Fetch them without the API key;
 * `download()` does that for you, in parallel, resumably and verified.
 *
 * @example
 * ```ts
 * import { configFromEnv, getExternalWeightsUrls } from "@tinkex/tinkex";
 * const { urls, expires } = await getExternalWeightsUrls(
 *   configFromEnv(),
 *   "tinker://run-1:train:0/external_weights/hf-export",
 * );
 * for (const [file, url] of Object.entries(urls)) console.log(file, url.slice(0, 40), expires);
 * ```
 * @throws {InvalidTinkerPathError} before any request when the path is not an external one.
 */
export async function getExternalWeightsUrls(
  config: TinkerConfig,
  tinkerPath: string,
  opts: RequestOptions = {},
): Promise<ExternalWeightsUrlsResponse> {
  const p = parseExternalPath(tinkerPath);
  return await requestJson<ExternalWeightsUrlsResponse>(config, {
    method: "GET",
    path: `${checkpointApiPath(p)}/external_weights_urls`,
  }, opts);
}
