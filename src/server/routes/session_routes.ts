/**
 * Sessions, samplers and model facts as newer SDKs use them (protocol §9): finishing a session,
 * creating a sampling session from a sampler checkpoint or a base model, reading a sampler,
 * the server's capabilities (its base models) and a training client's model info.
 * @module
 */
import type {
  GetInfoResponse,
  GetSamplerResponse,
  GetServerCapabilitiesResponse,
} from "../../protocol/types.ts";
import { findCheckpoint } from "../auth/access.ts";
import type { RequestContext, Route } from "../http/context.ts";
import {
  checkType,
  intField,
  type JsonObject,
  optionalString,
  readJsonBody,
  stringField,
} from "../http/input.ts";
import { badRequest, HttpError, json, notFound, unprocessable } from "../http/responses.ts";
import { checkBaseModel } from "./base_models.ts";
import { addressFromPath } from "./checkpoint_params.ts";
import { ownModel, ownSession } from "./training_routes.ts";
import { iso } from "./wire.ts";

const FINISH_REASONS = ["success", "errored", "interrupted"];

/** The session, sampler, capabilities and info routes. */
export const sessionRoutes: Route[] = [
  { method: "POST", pattern: "/api/v1/sessions/:id/finish", auth: true, handler: finishSession },
  {
    method: "POST",
    pattern: "/api/v1/create_sampling_session",
    auth: true,
    handler: createSamplingSession,
  },
  { method: "GET", pattern: "/api/v1/samplers/:id", auth: true, handler: getSampler },
  {
    method: "GET",
    pattern: "/api/v1/get_server_capabilities",
    auth: true,
    handler: capabilities,
  },
  { method: "POST", pattern: "/api/v1/get_info", auth: true, handler: getInfo },
];

async function finishSession(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  const reason = body.reason as JsonObject | undefined;
  const type = reason && typeof reason === "object" ? reason.type : undefined;
  if (typeof type !== "string" || !FINISH_REASONS.includes(type)) {
    throw unprocessable(
      `Field "reason" must be {"type": "success" | "errored" | "interrupted"}, got ${
        JSON.stringify(body.reason ?? null)
      }`,
    );
  }
  const detail = optionalString(body, "detail") ?? null;
  const id = ctx.params.id;
  ownSession(ctx, id);
  // First wins: a later finish changes nothing and answers with the recorded one.
  const finished = await ctx.server.store.updateSession(id, (s) => {
    s.finished ??= { reason: type, detail, at: Date.now() };
    return s.finished;
  });
  return json({
    session_id: id,
    reason: { type: finished.reason },
    detail: finished.detail,
    finished_at: iso(finished.at),
  });
}

async function createSamplingSession(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  checkType(body, "create_sampling_session");
  const sessionId = stringField(body, "session_id");
  const seq = intField(body, "sampling_session_seq_id", { min: 0, max: 1_000_000 });
  const modelPath = optionalString(body, "model_path");
  let baseModel = optionalString(body, "base_model");
  ownSession(ctx, sessionId, { open: true });
  if (modelPath === undefined && baseModel === undefined) {
    throw badRequest('Give "model_path" (a sampler checkpoint) or "base_model"');
  }
  if (modelPath !== undefined) {
    const at = addressFromPath(modelPath);
    const { ckpt } = findCheckpoint(ctx.server.store, ctx.user, at, "read", Date.now());
    if (at.kind !== "sampler_weights") {
      throw badRequest(
        `Cannot sample from ${modelPath}: it is not a sampler checkpoint (${at.kind}); ` +
          "save one with save_weights_for_sampler",
      );
    }
    if (baseModel !== undefined && baseModel !== ckpt.lora.base_model) {
      throw badRequest(
        `Cannot sample from ${modelPath} with base model ${baseModel}: it was trained on ` +
          ckpt.lora.base_model,
      );
    }
    baseModel = ckpt.lora.base_model;
  } else {
    checkBaseModel(ctx.server, baseModel!);
  }
  const samplerId = `${sessionId}:sample:${seq}`;
  await ctx.server.store.updateSession(sessionId, (s) => {
    if (s.sampler_ids.includes(samplerId)) {
      throw new HttpError(
        409,
        `Sampling session ${samplerId} already exists: use another sampling_session_seq_id`,
      );
    }
    s.sampler_ids.push(samplerId);
    (s.samplers ??= {})[samplerId] = { base_model: baseModel!, model_path: modelPath ?? null };
  });
  return json({ sampling_session_id: samplerId, type: "create_sampling_session" });
}

function getSampler(ctx: RequestContext): Promise<Response> {
  const { store } = ctx.server;
  const id = ctx.params.id;
  const session = store.sessions().find((s) => s.owner === ctx.user && s.sampler_ids.includes(id));
  if (!session) throw notFound(`Sampler ${JSON.stringify(id)} not found`);
  const known = session.samplers?.[id];
  // Samplers of older stores: the base model of the session's first run.
  const fallback = store.runs().find((r) => r.session_id === session.id)?.lora.base_model;
  const body: GetSamplerResponse = {
    sampler_id: id,
    base_model: known?.base_model ?? fallback ?? "unknown",
    model_path: known?.model_path ?? null,
  };
  return Promise.resolve(json(body));
}

function capabilities(ctx: RequestContext): Promise<Response> {
  const body: GetServerCapabilitiesResponse = {
    supported_models: ctx.server.options.baseModels.names.map((model_name) => ({ model_name })),
  };
  return Promise.resolve(json(body));
}

async function getInfo(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  checkType(body, "get_info");
  const run = ownModel(ctx, stringField(body, "model_id"));
  const name = run.lora.base_model;
  const info: GetInfoResponse = {
    type: "get_info",
    model_data: { arch: archOf(name), model_name: name, tokenizer_id: name },
    model_id: run.id,
    is_lora: true,
    lora_rank: run.lora.lora_rank,
    model_name: name,
  };
  return json(info);
}

/** A plausible architecture name from a model name (`Qwen/Qwen3-8B` → `qwen3`). */
function archOf(name: string): string {
  const base = name.split("/").pop()!.toLowerCase();
  return /^[a-z]+\d*/.exec(base.replace(/^llama-?/, "llama"))?.[0] ?? "unknown";
}
