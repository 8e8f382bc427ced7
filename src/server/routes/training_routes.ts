/**
 * Training-state endpoints (protocol §5 and §7): sessions, create_model, save_weights,
 * save_weights_for_sampler, load_weights, unload_model, optim_step (an extension that advances the optimizer
 * step), retrieve_future, session_heartbeat. Request-shape problems are HTTP 4xx at once;
 * failures of the operation itself (name taken, mismatch, wrong kind) are future errors with
 * category `user`.
 * @module
 */
import { type CheckpointKind, formatTinkerPath } from "../../protocol/paths.ts";
import { findCheckpoint } from "../auth/access.ts";
import { DEFAULT_HIDDEN } from "../archive/build_archive.ts";
import { buildStoredArchive } from "../archive/archive_store.ts";
import { addressFromPath } from "./checkpoint_params.ts";
import type { RequestContext, Route, ServerContext } from "../http/context.ts";
import {
  boolField,
  checkType,
  intField,
  type JsonObject,
  optionalString,
  readJsonBody,
  stringArrayField,
  stringField,
  stringMapField,
} from "../http/input.ts";
import {
  checkpointKey,
  type CheckpointRecord,
  isLive,
  type LoraSettings,
  newCheckpointRecord,
  newRunRecord,
  type RunRecord,
  type SessionRecord,
} from "../store/records.ts";
import { badRequest, HttpError, json, notFound, unprocessable } from "../http/responses.ts";
import { ttlField } from "./ttl_field.ts";
import { checkBaseModel } from "./base_models.ts";

const MAX_RANK = 1024;
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** The training routes. */
export const trainingRoutes: Route[] = [
  { method: "POST", pattern: "/api/v1/create_session", auth: true, handler: createSession },
  { method: "POST", pattern: "/api/v1/session_heartbeat", auth: true, handler: heartbeat },
  { method: "POST", pattern: "/api/v1/create_model", auth: true, handler: createModel },
  {
    method: "POST",
    pattern: "/api/v1/save_weights",
    auth: true,
    handler: (c) => saveWeights(c, "weights"),
  },
  {
    method: "POST",
    pattern: "/api/v1/save_weights_for_sampler",
    auth: true,
    handler: (c) => saveWeights(c, "sampler_weights"),
  },
  { method: "POST", pattern: "/api/v1/load_weights", auth: true, handler: loadWeights },
  { method: "POST", pattern: "/api/v1/optim_step", auth: true, handler: optimStep },
  { method: "POST", pattern: "/api/v1/unload_model", auth: true, handler: unloadModel },
  { method: "POST", pattern: "/api/v1/retrieve_future", auth: true, handler: retrieveFuture },
];

async function createSession(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request, false);
  checkType(body, "create_session");
  const session = {
    id: crypto.randomUUID(),
    owner: ctx.user,
    created: Date.now(),
    tags: stringArrayField(body, "tags"),
    user_metadata: stringMapField(body, "user_metadata"),
    sdk_version: optionalString(body, "sdk_version") ?? null,
    sampler_ids: [],
    project_id: optionalString(body, "project_id") ?? null,
  };
  await ctx.server.store.createSession(session);
  return json({ session_id: session.id, type: "create_session" });
}

async function heartbeat(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  checkType(body, "session_heartbeat");
  const id = stringField(body, "session_id");
  ownSession(ctx, id);
  if (ctx.server.store.session(id)?.finished) {
    // What the service answers: the SDK stops its heartbeat loop on a 410.
    throw new HttpError(410, `Session ${id} has finished; it takes no more heartbeats`);
  }
  return json({ type: "session_heartbeat" });
}

async function createModel(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  checkType(body, "create_model");
  const sessionId = stringField(body, "session_id");
  const modelSeq = intField(body, "model_seq_id", { min: 0, max: 1_000_000 });
  const lora = loraSettings(body);
  const seed = loraConfig(body).seed;
  const userMetadata = stringMapField(body, "user_metadata");
  ownSession(ctx, sessionId, { open: true });
  checkBaseModel(ctx.server, lora.base_model);
  const modelId = `${sessionId}:train:${modelSeq}`;
  return submit(ctx, modelId, async () => {
    const run = newRunRecord({
      id: modelId,
      owner: ctx.user,
      session_id: sessionId,
      lora,
      created: Date.now(),
      seed: typeof seed === "number" ? seed : null,
      user_metadata: userMetadata,
    });
    if (!(await ctx.server.store.createRun(run))) {
      throw new HttpError(409, `Model ${modelId} already exists: use another model_seq_id`);
    }
    return { model_id: modelId, type: "create_model" };
  });
}

async function saveWeights(ctx: RequestContext, kind: CheckpointKind): Promise<Response> {
  const type = kind === "weights" ? "save_weights" : "save_weights_for_sampler";
  const body = await readJsonBody(ctx.request);
  checkType(body, type);
  const run = ownModel(ctx, stringField(body, "model_id"));
  const seqId = intField(body, "seq_id", { min: 1, max: MAX_SEQ, fallback: 0 });
  const ttl = ttlField(body, ctx.server.options.minTtlSeconds) ?? 0;
  const overwrite = boolField(body, "overwrite", false);
  const name = optionalString(body, "path");
  if (name === undefined && kind === "sampler_weights") {
    return submit(ctx, run.id, () => makeSampler(ctx.server, run, seqId));
  }
  if (name === undefined) throw unprocessable('Field "path" (the checkpoint name) is required');
  checkName(name);
  const userMetadata = stringMapField(body, "user_metadata");
  return submit(ctx, run.id, async () => {
    const saved = await saveCheckpoint(ctx.server, run.id, {
      kind,
      name,
      seqId,
      ttl,
      overwrite,
      userMetadata,
    });
    return { path: saved.path, type };
  });
}

/** One save: where to, and how its stored form (archive or files) is made. */
export interface SaveRequest {
  kind: CheckpointKind;
  name: string;
  seqId: number;
  ttl: number;
  overwrite: boolean;
  /** Metadata to attach (an overwrite replaces the old metadata, as the service does). */
  userMetadata?: Record<string, string> | null;
  /** Write the stored form of `ckpt`, setting its size (default: build its archive). */
  materialize?: (ckpt: CheckpointRecord) => Promise<void>;
}

/**
 * Save a checkpoint of a run: refuse a taken name (unless overwriting), write its stored form
 * outside the lock, then commit the record (removing what was written if the commit fails).
 */
export async function saveCheckpoint(
  server: ServerContext,
  runId: string,
  req: SaveRequest,
): Promise<{ path: string; size_bytes: number }> {
  const { store } = server;
  const key = checkpointKey(req.kind, req.name);
  const path = formatTinkerPath({ runId, kind: req.kind, name: req.name });
  const taken = (run: RunRecord, now: number): void => {
    const existing = run.checkpoints[key];
    if (!req.overwrite && existing && isLive(existing, now)) {
      // save_weights_external has no overwrite: there the way out is a delete.
      const way = req.kind === "external_weights" ? "delete it first" : "save with overwrite: true";
      throw new HttpError(409, `Checkpoint ${path} already exists; choose another name or ${way}`);
    }
  };
  const current = store.run(runId)!;
  taken(current, Date.now());
  const ckpt = newCheckpointRecord(req.kind, req.name, current.lora, {
    created: 0,
    seq: 0,
    hidden: DEFAULT_HIDDEN,
    optimizer_step: req.kind === "weights" ? current.optimizer_step : null,
    built: true,
  });
  if (req.userMetadata) ckpt.user_metadata = req.userMetadata;
  const materialize = req.materialize ?? (async (c: CheckpointRecord) => {
    c.size_bytes = await buildStoredArchive(store, c);
  });
  try {
    await materialize(ckpt);
    await store.updateRun(runId, (draft, now) => {
      taken(draft, now);
      draft.checkpoints[key] = {
        ...ckpt,
        created: now,
        seq: store.nextSeq(),
        expires_at: req.ttl > 0 ? now + req.ttl * 1000 : null,
      };
      touch(draft, req.seqId, now);
    });
  } catch (e) {
    await store.removeObjectFiles(ckpt.object_id);
    throw e;
  }
  return { path, size_bytes: ckpt.size_bytes };
}

async function makeSampler(server: ServerContext, run: RunRecord, seqId: number): Promise<unknown> {
  const samplerId = `${run.session_id}:sample:${crypto.randomUUID().slice(0, 8)}`;
  await server.store.updateSession(run.session_id, (s) => {
    s.sampler_ids.push(samplerId);
    (s.samplers ??= {})[samplerId] = { base_model: run.lora.base_model, model_path: null };
  });
  await server.store.updateRun(run.id, (draft, now) => touch(draft, seqId, now));
  return { path: null, sampling_session_id: samplerId, type: "save_weights_for_sampler" };
}

async function loadWeights(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  checkType(body, "load_weights");
  const run = ownModel(ctx, stringField(body, "model_id"));
  const path = stringField(body, "path");
  const seqId = intField(body, "seq_id", { min: 1, max: MAX_SEQ, fallback: 0 });
  const withOptimizer = boolField(body, "optimizer", false);
  checkLoadIsFirst(run, seqId);
  const { store } = ctx.server;
  return submit(ctx, run.id, async () => {
    const { ckpt } = findCheckpoint(store, ctx.user, addressFromPath(path), "read", Date.now());
    if (ckpt.kind !== "weights") {
      const what = ckpt.kind === "sampler_weights"
        ? "a sampler checkpoint (sampler_weights)"
        : "an external checkpoint (external_weights)";
      throw unprocessable(
        `Cannot load ${path}: it is ${what}; only training checkpoints (weights) hold training state`,
      );
    }
    const target = store.run(run.id)!;
    const mismatches = [
      ckpt.lora.base_model !== target.lora.base_model &&
      `base model: checkpoint has ${ckpt.lora.base_model}, model has ${target.lora.base_model}`,
      ckpt.lora.lora_rank !== target.lora.lora_rank &&
      `LoRA rank: checkpoint has ${ckpt.lora.lora_rank}, model has ${target.lora.lora_rank}`,
    ].filter((m): m is string => typeof m === "string");
    if (mismatches.length) {
      throw unprocessable(`Cannot load ${path} into ${run.id}: ${mismatches.join("; ")}`);
    }
    const step = withOptimizer ? ckpt.optimizer_step ?? 0 : 0;
    await store.updateRun(run.id, (draft, now) => {
      draft.optimizer_step = step;
      draft.loaded_from = path;
      touch(draft, seqId, now);
    });
    return { path, model_id: run.id, optimizer_step: step, type: "load_weights" };
  });
}

/**
 * The service's rule: a load addressed by `model_id` must be the model's first request after
 * create_model (`seq_id` 1); later it is a 400. To resume from a checkpoint, create a new training
 * client and load first (create_training_client_from_state does).
 */
function checkLoadIsFirst(run: RunRecord, seqId: number): void {
  const seq = seqId === 0 ? run.last_seq_id + 1 : seqId;
  if (seq !== 1 || run.last_seq_id !== 0) {
    throw badRequest(`LoadWeights is not permitted with seq_id ${seq}`);
  }
}

async function optimStep(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  checkType(body, "optim_step");
  const run = ownModel(ctx, stringField(body, "model_id"));
  const seqId = intField(body, "seq_id", { min: 1, max: MAX_SEQ, fallback: 0 });
  return submit(ctx, run.id, async () => {
    const step = await ctx.server.store.updateRun(run.id, (draft, now) => {
      draft.optimizer_step += 1;
      touch(draft, seqId, now);
      return draft.optimizer_step;
    });
    return { metrics: { optimizer_step: step }, type: "optim_step" };
  });
}

async function retrieveFuture(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  const requestId = stringField(body, "request_id");
  const metadataOnly = boolField(body, "allow_metadata_only", false);
  return await ctx.server.futures.retrieve(ctx.user, requestId, metadataOnly);
}

/** Release a training client (the official SDKs' `unload_model`); its run and checkpoints stay. */
async function unloadModel(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  checkType(body, "unload_model");
  const run = ownModel(ctx, stringField(body, "model_id"));
  return submit(ctx, run.id, () => Promise.resolve({ model_id: run.id, type: "unload_model" }));
}

/** Run `work` as a future of the caller's; answer `{request_id, model_id}` at once. */
export function submit(
  ctx: RequestContext,
  modelId: string,
  work: () => Promise<unknown>,
): Response {
  const key = ctx.request.headers.get("x-idempotency-key");
  const requestId = ctx.server.futures.submit(ctx.user, key, work);
  return json({ request_id: requestId, model_id: modelId });
}

/** A checkpoint name: 1-255 characters, no `/`, no control characters, not `.` or `..`. */
export function checkName(name: string): void {
  // deno-lint-ignore no-control-regex
  const bad = /[\/\x00-\x1f\x7f]/.test(name) || name === "." || name === ".." ||
    name.length > 255 || name.trim() !== name;
  if (bad) {
    throw unprocessable(
      `Field "path" must be a checkpoint name (1-255 characters, no "/", control characters or surrounding spaces), got ${
        JSON.stringify(name)
      }`,
    );
  }
}

/** Note a request of a run: its time and highest `seq_id`. */
export function touch(run: RunRecord, seqId: number, now: number): void {
  run.last_request_time = now;
  run.last_seq_id = Math.max(run.last_seq_id, seqId);
}

/**
 * The caller's session, or a 404. With `open`, a finished one is a 410: nothing new (a model, a
 * copy, a sampling session) is made in a session that has ended.
 */
export function ownSession(
  ctx: RequestContext,
  id: string,
  opts: { open?: boolean } = {},
): SessionRecord {
  const session = ctx.server.store.session(id);
  if (!session || session.owner !== ctx.user) {
    throw notFound(`Session ${JSON.stringify(id)} not found`);
  }
  if (opts.open && session.finished) {
    throw new HttpError(
      410,
      `Session ${id} has finished (${session.finished.reason}); start a new session`,
    );
  }
  return session;
}

/** The caller's model (training run) of that id, or a 404. */
export function ownModel(ctx: RequestContext, id: string): RunRecord {
  const run = ctx.server.store.run(id);
  if (!run || run.owner !== ctx.user) throw notFound(`Model ${JSON.stringify(id)} not found`);
  if (run.copy_of !== undefined) {
    throw badRequest(
      `Cannot use model ${id} for training: it holds a copy of ${run.copy_of}, which cannot be ` +
        "trained on; create a training client from the checkpoint instead",
    );
  }
  return run;
}

function loraConfig(body: JsonObject): JsonObject {
  const v = body.lora_config;
  if (v === undefined || v === null) throw unprocessable('Field "lora_config" is required');
  if (typeof v !== "object" || Array.isArray(v)) {
    throw unprocessable('Field "lora_config" must be an object');
  }
  return v as JsonObject;
}

function loraSettings(body: JsonObject): LoraSettings {
  const cfg = loraConfig(body);
  const lora: LoraSettings = {
    base_model: stringField(body, "base_model"),
    lora_rank: intField(cfg, "rank", { min: 1, max: MAX_RANK }),
    train_attn: boolField(cfg, "train_attn", true),
    train_mlp: boolField(cfg, "train_mlp", true),
    train_unembed: boolField(cfg, "train_unembed", true),
  };
  if (cfg.seed !== undefined && cfg.seed !== null) intField(cfg, "seed", { min: 0 });
  if (!lora.train_attn && !lora.train_mlp && !lora.train_unembed) {
    throw unprocessable("lora_config must train something: train_attn, train_mlp or train_unembed");
  }
  return lora;
}
