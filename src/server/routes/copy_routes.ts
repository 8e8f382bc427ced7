/**
 * `copy_weights` (protocol §9): copy a checkpoint the caller may read (theirs, or another user's
 * public one) into a new training run of the caller's session, which holds only the copy and
 * cannot be trained on. The answer is direct (no future): `{tinker_path}`. The copy keeps the
 * kind, name, weights and metadata; it is private and takes the TTL given, not the source's.
 * @module
 */
import { copyFile, cp, link, rename, rm } from "node:fs/promises";
import { formatTinkerPath } from "../../protocol/paths.ts";
import { findCheckpoint } from "../auth/access.ts";
import { tempPath } from "../store/atomic_fs.ts";
import type { RequestContext, Route } from "../http/context.ts";
import { checkType, intField, optionalString, readJsonBody, stringField } from "../http/input.ts";
import { HttpError, json } from "../http/responses.ts";
import type { CheckpointRef, Store } from "../store/record_store.ts";
import { checkpointKey, newRunRecord } from "../store/records.ts";
import { addressFromPath } from "./checkpoint_params.ts";
import { callerSession } from "./session_routes.ts";
import { ttlField } from "./ttl_field.ts";

/** The copy route. */
export const copyRoutes: Route[] = [
  { method: "POST", pattern: "/api/v1/copy_weights", auth: true, handler: copyWeights },
];

async function copyWeights(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  checkType(body, "copy_weights");
  const sessionId = stringField(body, "session_id");
  const modelSeq = intField(body, "model_seq_id", { min: 0, max: 1_000_000 });
  const sourcePath = stringField(body, "source_path");
  optionalString(body, "weights_access_token"); // accepted; access here is by user
  const ttl = ttlField(body, ctx.server.options.minTtlSeconds);
  callerSession(ctx, sessionId, true);
  const { store, archives } = ctx.server;
  const source = findCheckpoint(store, ctx.user, addressFromPath(sourcePath), "read", Date.now());
  const runId = `${sessionId}:train:${modelSeq}`;
  if (store.run(runId)) {
    throw new HttpError(409, `Model ${runId} already exists: use another model_seq_id`);
  }
  if (!source.ckpt.files) await archives.ensure(source); // a lazily built archive: build it first
  const objectId = crypto.randomUUID();
  try {
    await copyStoredForm(store, source, objectId);
  } catch (e) {
    await removeStoredForm(store, objectId);
    throw e;
  }
  const now = Date.now();
  const run = newRunRecord({
    id: runId,
    owner: ctx.user,
    session_id: sessionId,
    lora: source.ckpt.lora,
    created: now,
  });
  run.copy_of = sourcePath;
  run.checkpoints[checkpointKey(source.ckpt.kind, source.ckpt.name)] = {
    ...structuredClone(source.ckpt),
    object_id: objectId,
    built: true,
    public: false,
    created: now,
    seq: store.nextSeq(),
    expires_at: ttl === null ? null : now + ttl * 1000,
  };
  const created = await store.createRun(run).catch(async (e) => {
    await removeStoredForm(store, objectId);
    throw e;
  });
  if (!created) {
    await removeStoredForm(store, objectId);
    throw new HttpError(409, `Model ${runId} already exists: use another model_seq_id`);
  }
  const tinkerPath = formatTinkerPath({
    runId,
    kind: source.ckpt.kind,
    name: source.ckpt.name,
  });
  return json({ tinker_path: tinkerPath });
}

/**
 * Give the copy its own stored form: a hard link of the archive (no bytes duplicated, and
 * deleting either leaves the other intact), else a byte copy; a directory copy for external
 * files, made in a temp dir and renamed into place.
 */
async function copyStoredForm(
  store: Store,
  source: CheckpointRef,
  objectId: string,
): Promise<void> {
  if (source.ckpt.files) {
    const tmp = tempPath(store.tmpDir, "copy");
    try {
      await cp(store.objectDir(source.ckpt.object_id), tmp, { recursive: true });
      await rename(tmp, store.objectDir(objectId));
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    return;
  }
  const from = store.objectPath(source.ckpt.object_id);
  const to = store.objectPath(objectId);
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

async function removeStoredForm(store: Store, objectId: string): Promise<void> {
  await rm(store.objectPath(objectId), { force: true });
  await rm(store.objectDir(objectId), { recursive: true, force: true });
}
