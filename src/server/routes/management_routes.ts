/**
 * Management endpoints (protocol §3): listings, runs, sessions, weights info, publish,
 * unpublish, TTL and delete.
 * @module
 */
import type {
  Checkpoint,
  CheckpointsListResponse,
  SessionResponse,
  SessionsListResponse,
  TrainingRunsResponse,
  WeightsInfoResponse,
} from "../../protocol/types.ts";
import { canRead, canSeeRun, findCheckpoint, visibleRun } from "../auth/access.ts";
import { addressFromParams, addressFromPath } from "./checkpoint_params.ts";
import type { RequestContext, Route } from "../http/context.ts";
import { pageQuery, readJsonBody, scopeQuery, stringField } from "../http/input.ts";
import { checkpointKey, type CheckpointRecord } from "../store/records.ts";
import { conflict, json, notFound, unprocessable } from "../http/responses.ts";
import { checkTtlRange, ttlShape } from "./ttl_field.ts";
import { newestFirst } from "../store/record_store.ts";
import { checkpointWire, runWire, tinkerPathOf } from "./wire.ts";
import { projectOf } from "../account/usage.ts";

const CKPT = "/api/v1/training_runs/:run/checkpoints/:kind/:name";

/** The management routes. */
export const managementRoutes: Route[] = [
  { method: "GET", pattern: "/api/v1/checkpoints", auth: true, handler: listUserCheckpoints },
  { method: "GET", pattern: "/api/v1/training_runs", auth: true, handler: listRuns },
  { method: "GET", pattern: "/api/v1/training_runs/:run", auth: true, handler: getRun },
  {
    method: "GET",
    pattern: "/api/v1/training_runs/:run/checkpoints",
    auth: true,
    handler: listRunCheckpoints,
  },
  { method: "GET", pattern: CKPT, auth: true, handler: getCheckpoint },
  { method: "DELETE", pattern: CKPT, auth: true, handler: deleteCheckpoint },
  { method: "POST", pattern: `${CKPT}/publish`, auth: true, handler: (c) => setPublic(c, true) },
  { method: "DELETE", pattern: `${CKPT}/publish`, auth: true, handler: (c) => setPublic(c, false) },
  { method: "PUT", pattern: `${CKPT}/ttl`, auth: true, handler: setTtl },
  { method: "POST", pattern: "/api/v1/weights_info", auth: true, handler: weightsInfo },
  { method: "GET", pattern: "/api/v1/sessions", auth: true, handler: listSessions },
  { method: "GET", pattern: "/api/v1/sessions/:id", auth: true, handler: getSession },
];

function listUserCheckpoints(ctx: RequestContext): Promise<Response> {
  const { limit, offset } = pageQuery(ctx.url, 100);
  const live = ctx.server.store.liveCheckpointsOf(ctx.user, Date.now());
  const body: CheckpointsListResponse = {
    checkpoints: live.slice(offset, offset + limit).map((r) => checkpointWire(r.run.id, r.ckpt)),
    cursor: { offset, limit, total_count: live.length },
  };
  return Promise.resolve(json(body));
}

function listRuns(ctx: RequestContext): Promise<Response> {
  const { limit, offset } = pageQuery(ctx.url, 20);
  const scope = scopeQuery(ctx.url);
  const now = Date.now();
  const project = ctx.url.searchParams.get("project_id");
  const runs = ctx.server.store.runs().filter((r) => canSeeRun(ctx.user, r, scope, now))
    .filter((r) => project === null || projectOf(ctx.server, r) === project)
    .sort(newestRecordFirst);
  const body: TrainingRunsResponse = {
    training_runs: runs.slice(offset, offset + limit).map((r) => runWire(r, ctx.user, now)),
    cursor: { offset, limit, total_count: runs.length },
  };
  return Promise.resolve(json(body));
}

function getRun(ctx: RequestContext): Promise<Response> {
  const now = Date.now();
  const run = visibleRun(ctx.server.store, ctx.user, ctx.params.run, scopeQuery(ctx.url), now);
  return Promise.resolve(json(runWire(run, ctx.user, now)));
}

function listRunCheckpoints(ctx: RequestContext): Promise<Response> {
  const now = Date.now();
  const run = visibleRun(ctx.server.store, ctx.user, ctx.params.run, "accessible", now);
  const checkpoints: Checkpoint[] = Object.values(run.checkpoints)
    .filter((c) => canRead(ctx.user, run, c, now))
    .map((ckpt) => ({ run, ckpt }))
    .sort(newestFirst)
    .map((r) => checkpointWire(run.id, r.ckpt));
  return Promise.resolve(json({ checkpoints, cursor: null }));
}

function getCheckpoint(ctx: RequestContext): Promise<Response> {
  const ref = findCheckpoint(
    ctx.server.store,
    ctx.user,
    addressFromParams(ctx.params),
    "read",
    Date.now(),
  );
  return Promise.resolve(json(checkpointWire(ref.run.id, ref.ckpt)));
}

/** Apply `change` to a checkpoint the caller owns, under the store's lock; answer with it. */
async function changeCheckpoint(
  ctx: RequestContext,
  change: (record: CheckpointRecord, tinkerPath: string, now: number) => void,
): Promise<Response> {
  const at = addressFromParams(ctx.params);
  const { store } = ctx.server;
  const updated = await store.exclusive(() => {
    findCheckpoint(store, ctx.user, at, "write", Date.now());
    return store.updateRunLocked(at.runId, (draft, now) => {
      const record = draft.checkpoints[checkpointKey(at.kind, at.name)];
      change(record, tinkerPathOf(draft.id, record), now);
      return checkpointWire(draft.id, record);
    });
  });
  return json(updated);
}

function setPublic(ctx: RequestContext, value: boolean): Promise<Response> {
  return changeCheckpoint(ctx, (record, path) => {
    if (record.public === value) {
      throw conflict(`Checkpoint ${path} is already ${value ? "public" : "private"}`);
    }
    record.public = value;
  });
}

async function setTtl(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  if (!("ttl_seconds" in body)) {
    throw unprocessable(
      'Field "ttl_seconds" is required: a positive integer, or null to remove the TTL',
    );
  }
  const ttl = ttlShape(body, "400");
  // Not the caller's: a 404 whatever the TTL, as for every other change.
  findCheckpoint(ctx.server.store, ctx.user, addressFromParams(ctx.params), "write", Date.now());
  checkTtlRange(ttl, ctx.server.options.minTtlSeconds);
  return await changeCheckpoint(ctx, (record, _path, now) => {
    record.expires_at = ttl === null ? null : now + ttl * 1000;
  });
}

async function deleteCheckpoint(ctx: RequestContext): Promise<Response> {
  const at = addressFromParams(ctx.params);
  const { store } = ctx.server;
  const deleted = await store.exclusive(() => {
    findCheckpoint(store, ctx.user, at, "write", Date.now());
    return store.updateRunLocked(at.runId, (draft) => {
      const key = checkpointKey(at.kind, at.name);
      const wire = checkpointWire(draft.id, draft.checkpoints[key]);
      delete draft.checkpoints[key];
      return wire;
    });
  });
  return json(deleted);
}

async function weightsInfo(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  const at = addressFromPath(stringField(body, "tinker_path"));
  const { ckpt } = findCheckpoint(ctx.server.store, ctx.user, at, "read", Date.now());
  const info: WeightsInfoResponse = {
    base_model: ckpt.lora.base_model,
    is_lora: true,
    lora_rank: ckpt.lora.lora_rank,
    train_unembed: ckpt.lora.train_unembed,
    train_mlp: ckpt.lora.train_mlp,
    train_attn: ckpt.lora.train_attn,
  };
  return json(info);
}

function listSessions(ctx: RequestContext): Promise<Response> {
  const { limit, offset } = pageQuery(ctx.url, 20);
  const scope = scopeQuery(ctx.url);
  const { store } = ctx.server;
  const now = Date.now();
  const visibleSessions = new Set(
    store.runs().filter((r) => canSeeRun(ctx.user, r, scope, now)).map((r) => r.session_id),
  );
  const sessions = store.sessions()
    .filter((s) => s.owner === ctx.user || visibleSessions.has(s.id))
    .sort(newestRecordFirst);
  const body: SessionsListResponse = {
    sessions: sessions.slice(offset, offset + limit).map((s) => s.id),
  };
  return Promise.resolve(json(body));
}

function getSession(ctx: RequestContext): Promise<Response> {
  const { store } = ctx.server;
  const scope = scopeQuery(ctx.url);
  const now = Date.now();
  const session = store.session(ctx.params.id);
  const runs = store.runs().filter((r) =>
    r.session_id === ctx.params.id && canSeeRun(ctx.user, r, scope, now)
  ).sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
  const owned = session?.owner === ctx.user;
  if (!session || (!owned && runs.length === 0)) {
    throw notFound(`Session ${JSON.stringify(ctx.params.id)} not found`);
  }
  const body: SessionResponse = {
    training_run_ids: runs.map((r) => r.id),
    sampler_ids: owned ? session.sampler_ids : [],
  };
  // The owner's own metadata only: another user sees the runs, not the session's notes.
  if (owned && session.user_metadata) body.user_metadata = session.user_metadata;
  return Promise.resolve(json(body));
}

/** Runs and sessions: newest first, then by id (descending) for a stable order. */
function newestRecordFirst(a: { created: number; id: string }, b: typeof a): number {
  return b.created - a.created || (a.id < b.id ? 1 : -1);
}
