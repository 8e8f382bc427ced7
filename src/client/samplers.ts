/**
 * Samplers: opening a sampling session on a sampler checkpoint or a base model, and reading a
 * sampler's facts back.
 * @module
 */
import { resolveConfig, type TinkerConfig } from "./config.ts";
import { requestJson, type RequestOptions } from "./http/request.ts";
import { createSession, nextSamplingSeqId, type Session } from "./sessions.ts";
import { InvalidTinkerPathError } from "../protocol/errors.ts";
import { parseTinkerPath } from "../protocol/paths.ts";
import type { GetSamplerResponse } from "../protocol/types.ts";
import { idSegment } from "./id_segment.ts";

/** What to sample from: a sampler checkpoint, or a base model. */
export type SamplerSource = { modelPath: string; baseModel?: string } | { baseModel: string };

/** Options of {@link createSamplingSession}. */
export interface SamplingSessionOptions extends RequestOptions {
  /** Open it in this session (its next `sampling_session_seq_id`); default: a new session. */
  session?: Session;
}

/**
 * Open a sampling session (`create_sampling_session`) on a sampler checkpoint
 * (`tinker://…/sampler_weights/…`) or a base model; resolves to its `sampling_session_id`, which
 * {@link getSampler} describes. The service checks that the checkpoint exists, is readable by
 * you and is a sampler checkpoint.
 *
 * @example
 * ```ts
 * import { configFromEnv, createSamplingSession, getSampler } from "@tinkex/tinkex";
 * const config = configFromEnv();
 * const id = await createSamplingSession(config, {
 *   modelPath: "tinker://run-1:train:0/sampler_weights/final",
 * });
 * console.log((await getSampler(config, id)).base_model);
 * ```
 * @throws {InvalidTinkerPathError} before any request when `modelPath` is not a sampler path.
 */
export async function createSamplingSession(
  config: TinkerConfig,
  source: SamplerSource,
  opts: SamplingSessionOptions = {},
): Promise<string> {
  const modelPath = "modelPath" in source ? source.modelPath : undefined;
  if (modelPath !== undefined && parseTinkerPath(modelPath).kind !== "sampler_weights") {
    throw new InvalidTinkerPathError(
      modelPath,
      "sampling needs a sampler checkpoint (tinker://<run>/sampler_weights/<name>)",
    );
  }
  if (modelPath === undefined && !source.baseModel) {
    throw new RangeError("Cannot create a sampling session: give modelPath or baseModel");
  }
  const resolved = resolveConfig(config);
  const session = opts.session ?? await createSession(resolved, opts);
  const body: Record<string, unknown> = {
    session_id: session.sessionId,
    sampling_session_seq_id: nextSamplingSeqId(session),
    type: "create_sampling_session",
  };
  if (source.baseModel) body.base_model = source.baseModel;
  if (modelPath !== undefined) body.model_path = modelPath;
  const created = await requestJson<{ sampling_session_id: string }>(resolved, {
    method: "POST",
    path: "/api/v1/create_sampling_session",
    body,
  }, opts);
  return created.sampling_session_id;
}

/**
 * A sampler's base model and the checkpoint it was opened on (`GET /samplers/{id}`).
 *
 * @example
 * ```ts
 * import { configFromEnv, getSampler } from "@tinkex/tinkex";
 * const s = await getSampler(configFromEnv(), "session-1:sample:0");
 * console.log(s.base_model, s.model_path ?? "(base model)");
 * ```
 */
export async function getSampler(
  config: TinkerConfig,
  samplerId: string,
  opts: RequestOptions = {},
): Promise<GetSamplerResponse> {
  return await requestJson<GetSamplerResponse>(config, {
    method: "GET",
    path: `/api/v1/samplers/${idSegment(samplerId, "sampler id")}`,
  }, opts);
}
