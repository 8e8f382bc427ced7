/**
 * What the service offers (`get_server_capabilities`, its client config) and what it knows of a
 * training client's model (`get_info`).
 * @module
 */
import { resolveConfig, type TinkerConfig } from "./config.ts";
import { clientConfigOf } from "./http/auth.ts";
import { requestJson, type RequestOptions } from "./http/request.ts";
import type { TrainingClient } from "./training/client.ts";
import type {
  ClientConfigResponse,
  GetInfoResponse,
  GetServerCapabilitiesResponse,
} from "../protocol/types.ts";

/**
 * The service's client config (`POST /api/v1/client/config`) as tinkex's auth follows it: whether
 * credentials are exchanged for JWTs (`pjwt_auth_enabled`) and where the exchanged one comes from
 * (`credential_default_source`), other flags as sent. Asked once per process for each base URL
 * and credential, shared with the `auth: "auto"` discovery, sent with the usual credential. A
 * server without the route (or refusing it with anything but 401/403) gives the defaults.
 *
 * @example
 * ```ts
 * import { configFromEnv, getClientConfig } from "@tinkex/tinkex";
 * const flags = await getClientConfig(configFromEnv());
 * console.log(flags.pjwt_auth_enabled, flags.credential_default_source); // false "api_key"
 * ```
 */
export async function getClientConfig(
  config: TinkerConfig,
  opts: Pick<RequestOptions, "signal"> = {},
): Promise<ClientConfigResponse> {
  return await clientConfigOf(resolveConfig(config), opts.signal);
}

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
