/**
 * What the service offers (`get_server_capabilities`) and what it knows of a training client's
 * model (`get_info`).
 * @module
 */
import type { TinkerConfig } from "./config.ts";
import { requestJson, type RequestOptions } from "./http/request.ts";
import type { TrainingClient } from "./training/client.ts";
import type { GetInfoResponse, GetServerCapabilitiesResponse } from "../protocol/types.ts";

/**
 * The base models the service supports (and their context lengths, when it says).
 *
 * @example
 * ```ts
 * import { configFromEnv, getServerCapabilities } from "@tinkex/tinkex";
 * const { supported_models } = await getServerCapabilities(configFromEnv());
 * console.log(supported_models.map((m) => m.model_name));
 * ```
 */
export async function getServerCapabilities(
  config: TinkerConfig,
  opts: RequestOptions = {},
): Promise<GetServerCapabilitiesResponse> {
  return await requestJson<GetServerCapabilitiesResponse>(config, {
    method: "GET",
    path: "/api/v1/get_server_capabilities",
  }, opts);
}

/**
 * What the service knows of a training client's model: architecture, model name, tokenizer,
 * LoRA rank (a direct answer, no future).
 *
 * @example
 * ```ts
 * import { configFromEnv, createTrainingClient, getInfo } from "@tinkex/tinkex";
 * const client = await createTrainingClient(configFromEnv(), { baseModel: "Qwen/Qwen3-8B" });
 * const info = await getInfo(client);
 * console.log(info.model_data.tokenizer_id, info.lora_rank);
 * ```
 */
export async function getInfo(
  client: TrainingClient,
  opts: RequestOptions = {},
): Promise<GetInfoResponse> {
  return await requestJson<GetInfoResponse>(client.config, {
    method: "POST",
    path: "/api/v1/get_info",
    body: { model_id: client.modelId, type: "get_info" },
  }, opts);
}
