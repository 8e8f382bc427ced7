/**
 * `copy_weights` (protocol §9): copy a checkpoint the caller may read (theirs, or another user's
 * public one) into a new training run of the caller's session, which holds only the copy and
 * cannot be trained on. The answer is direct (no future): `{tinker_path}`. The copy keeps the
 * kind, name, weights and metadata; it is private and takes the TTL given, not the source's.
 * @module
 */
import { copyFile, link, mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { formatTinkerPath, type TinkerPath } from "../../protocol/paths.ts";
import { findCheckpoint } from "../auth/access.ts";
import { DIR_MODE, tempPath } from "../store/atomic_fs.ts";
import type { RequestContext, Route } from "../http/context.ts";
import { checkType, intField, optionalString, readJsonBody, stringField } from "../http/input.ts";
import { HttpError, json } from "../http/responses.ts";
import type { CheckpointRef, Store } from "../store/record_store.ts";
import { checkpointKey, newRunRecord } from "../store/records.ts";
import { addressFromPath } from "./checkpoint_params.ts";
import { ownSession } from "./training_routes.ts";
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
  ownSession(ctx, sessionId, { open: true });
  const { store } = ctx.server;
  const at = addressFromPath(sourcePath);
  findCheckpoint(store, ctx.user, at, "read", Date.now());
  const runId = `${sessionId}:train:${modelSeq}`;
  if (store.run(runId)) {
    throw new HttpError(409, `Model ${runId} already exists: use another model_seq_id`);
  }
  const objectId = crypto.randomUUID();
  const source = await linkSource(ctx, at, objectId);
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
    await store.removeObjectFiles(objectId);
    throw e;
  });
  if (!created) {
    await store.removeObjectFiles(objectId);
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
 * Give the copy its own stored form, as the source is at that moment: under the store's lock
 * (so no delete or overwrite removes the source's files half-way), the source is looked up
 * again (a 404 if it went away meanwhile) and its archive, or each of its external files, is
 * hard-linked (no bytes duplicated; deleting either side leaves the other intact). A lazily
 * built archive is built first, outside the lock.
 */
async function linkSource(
  ctx: RequestContext,
  at: TinkerPath,
  objectId: string,
): Promise<CheckpointRef> {
  const { store, archives } = ctx.server;
  for (let attempt = 0;; attempt++) {
    const before = findCheckpoint(store, ctx.user, at, "read", Date.now());
    if (!before.ckpt.files) await archives.ensure(before);
    const linked = await store.exclusive(async () => {
      const source = findCheckpoint(store, ctx.user, at, "read", Date.now());
      try {
        await linkStoredForm(store, source, objectId);
        return source;
      } catch (e) {
        await store.removeObjectFiles(objectId);
        // Replaced by a checkpoint whose archive is still to be built: build it, then retry.
        if (isMissing(e) && attempt === 0) return undefined;
        throw e;
      }
    });
    if (linked) return linked;
  }
}

async function linkStoredForm(
  store: Store,
  source: CheckpointRef,
  objectId: string,
): Promise<void> {
  if (!source.ckpt.files) {
    // The digest file first, as a build writes it: the same bytes, so the same digest (a copy
    // of the bytes is another file version: its digest is then computed once, on first use).
    await linkOrCopy(store.digestPath(source.ckpt.object_id), store.digestPath(objectId))
      .catch((e) => {
        if (!isMissing(e)) throw e; // none yet: the archive of an older server
      });
    await linkOrCopy(store.objectPath(source.ckpt.object_id), store.objectPath(objectId));
    return;
  }
  const tmp = tempPath(store.tmpDir, "copy");
  try {
    for (const file of source.ckpt.files) {
      const parts = file.path.split("/");
      const to = join(tmp, ...parts);
      await mkdir(dirname(to), { recursive: true, mode: DIR_MODE });
      await linkOrCopy(join(store.objectDir(source.ckpt.object_id), ...parts), to);
    }
    await rename(tmp, store.objectDir(objectId));
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** A hard link, else (another file system) a byte copy. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (e) {
    if (isMissing(e)) throw e;
    await copyFile(from, to);
  }
}

function isMissing(e: unknown): boolean {
  return (e as { code?: string }).code === "ENOENT";
}
