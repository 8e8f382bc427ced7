/**
 * Copying a checkpoint (`copy_weights`): the service makes a new training run holding a copy of
 * it (same kind and name, its own TTL), which cannot be trained on. A direct answer, no future.
 * @module
 */
import { resolveConfig, type TinkerConfig } from "./config.ts";
import { requestJson, type RequestOptions } from "./http/request.ts";
import { createSession, nextModelSeqId, type Session } from "./sessions.ts";
import { checkTtl } from "./ttl.ts";
import { parseTinkerPath } from "../protocol/paths.ts";

/** Options of {@link copyWeights}. */
export interface CopyWeightsOptions extends RequestOptions {
  /** Expiry of the copy in seconds (3600 to 315,360,000); the source's expiry is not inherited. */
  ttlSeconds?: number;
  /** Make the copy in this session (its next `model_seq_id`); default: a new session. */
  session?: Session;
  /** An access token the source's owner gave, when the service asks for one. */
  weightsAccessToken?: string;
}

/**
 * Copy a checkpoint you may read (yours, or another user's public one) into a new training run
 * of yours; resolves to the copy's tinker path. The copy keeps the kind and name, is private,
 * and expires only as `ttlSeconds` says.
 *
 * @example
 * ```ts
 * import { configFromEnv, copyWeights } from "@tinkex/tinkex";
 * const copy = await copyWeights(configFromEnv(), "tinker://run-1:train:0/sampler_weights/final", {
 *   ttlSeconds: 30 * 86_400,
 * });
 * console.log(copy); // tinker://<new run>/sampler_weights/final
 * ```
 * @throws {InvalidTinkerPathError} or {RangeError} before any request for a bad path or TTL.
 * @throws {NotFoundError} when the source does not exist or is not readable by you.
 */
export async function copyWeights(
  config: TinkerConfig,
  sourcePath: string,
  opts: CopyWeightsOptions = {},
): Promise<string> {
  parseTinkerPath(sourcePath);
  checkTtl(opts.ttlSeconds, `copy ${sourcePath}`);
  const resolved = resolveConfig(config);
  const session = opts.session ?? await createSession(resolved, opts);
  const body: Record<string, unknown> = {
    session_id: session.sessionId,
    model_seq_id: nextModelSeqId(session),
    source_path: sourcePath,
  };
  if (opts.ttlSeconds !== undefined) body.ttl_seconds = opts.ttlSeconds;
  if (opts.weightsAccessToken !== undefined) body.weights_access_token = opts.weightsAccessToken;
  const copied = await requestJson<{ tinker_path: string }>(resolved, {
    method: "POST",
    path: "/api/v1/copy_weights",
    body,
  }, opts);
  return copied.tinker_path;
}
