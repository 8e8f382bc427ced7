/**
 * External checkpoints (protocol §9): `save_weights_external` (a future whose result is
 * `{path, size_bytes}`), the per-file signed URLs of one (`…/external_weights_urls`), and the
 * signed file route those URLs point at (ranges, ETags, HEAD, as an object store).
 * @module
 */
import type { ExternalWeightsUrlsResponse } from "../../protocol/types.ts";
import { canRead, findCheckpoint } from "../auth/access.ts";
import { checkSignedQuery, signedQuery } from "../auth/signed_request.ts";
import { buildExternalFiles } from "../archive/external_files.ts";
import { objectResponse } from "../archive/serve_file.ts";
import type { RequestContext, Route } from "../http/context.ts";
import { checkType, intField, readJsonBody, stringArrayField, stringField } from "../http/input.ts";
import { badRequest, json, notFound } from "../http/responses.ts";
import { addressFromParams } from "./checkpoint_params.ts";
import { checkName, ownModel, saveCheckpoint, submit } from "./training_routes.ts";
import { ttlField } from "./ttl_field.ts";
import { iso } from "./wire.ts";
import { open } from "node:fs/promises";
import { join } from "node:path";

const FILE_ROUTE = "/api/v1/external_files";

/** The external-weights routes. */
export const externalRoutes: Route[] = [
  { method: "POST", pattern: "/api/v1/save_weights_external", auth: true, handler: saveExternal },
  {
    method: "GET",
    pattern: "/api/v1/training_runs/:run/checkpoints/:kind/:name/external_weights_urls",
    auth: true,
    handler: externalUrls,
  },
  // Signed: no key, as the object store the service signs URLs for.
  { method: "GET", pattern: `${FILE_ROUTE}/:object/:index`, auth: false, handler: serveExternal },
];

async function saveExternal(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.request);
  checkType(body, "save_weights_external");
  const run = ownModel(ctx, stringField(body, "model_id"));
  const name = stringField(body, "path");
  checkName(name);
  const seqId = intField(body, "seq_id", { min: 1, max: Number.MAX_SAFE_INTEGER, fallback: 0 });
  const ttl = ttlField(body, ctx.server.options.minTtlSeconds) ?? 0;
  // Asked to encrypt, a silent plaintext export would be worse than a clear refusal.
  if (stringArrayField(body, "age_encryption_recipients").length > 0) {
    throw badRequest(
      "Cannot encrypt an external checkpoint: tinkex serve does not implement age encryption; " +
        "leave age_encryption_recipients out (or empty) here",
    );
  }
  const { store } = ctx.server;
  return submit(ctx, run.id, async () => {
    const saved = await saveCheckpoint(ctx.server, run.id, {
      kind: "external_weights",
      name,
      seqId,
      ttl,
      overwrite: false,
      materialize: async (ckpt) => {
        const seed = parseInt(ckpt.object_id.slice(0, 8), 16);
        const target = store.objectDir(ckpt.object_id);
        ckpt.files = await buildExternalFiles(ckpt.lora, ckpt.hidden, seed, target, store.tmpDir);
        ckpt.size_bytes = ckpt.files.reduce((sum, f) => sum + f.size, 0);
      },
    });
    return { ...saved, type: "save_weights_external" };
  });
}

async function externalUrls(ctx: RequestContext): Promise<Response> {
  const { store, signer, options } = ctx.server;
  const at = addressFromParams(ctx.params);
  if (at.kind !== "external_weights") {
    throw badRequest(
      `Cannot list the files of ${at.kind}/${at.name}: only external_weights checkpoints have ` +
        "per-file URLs; download others through their archive",
    );
  }
  const { ckpt } = findCheckpoint(store, ctx.user, at, "read", Date.now());
  const expires = Math.floor(Date.now() / 1000) + options.signedUrlTtlSeconds;
  // The configured public URL (under serve(): the listen address), never the Host header.
  const base = `${options.publicUrl ?? ctx.url.origin}${ctx.prefix}${FILE_ROUTE}`;
  const urls: Record<string, string> = {};
  for (const [index, file] of (ckpt.files ?? []).entries()) {
    const objectId = `${ckpt.object_id}/${index}`;
    const query = await signedQuery(signer, { objectId, expires, user: ctx.user });
    urls[file.path] = `${base}/${objectId}?${query}`;
  }
  const body: ExternalWeightsUrlsResponse = { urls, expires: iso(expires * 1000) };
  return json(body, 200, { "cache-control": "no-store" });
}

async function serveExternal(ctx: RequestContext): Promise<Response> {
  const { store, signer, users } = ctx.server;
  const objectId = /^[0-9a-f-]{36}$/.exec(ctx.params.object)?.[0];
  const index = /^\d{1,6}$/.test(ctx.params.index) ? Number(ctx.params.index) : -1;
  if (!objectId || index < 0) throw notFound("No such file of an external checkpoint");
  const user = await checkSignedQuery(signer, ctx.url, `${objectId}/${index}`, {
    label: "File URL",
    source: "external_weights_urls",
  });
  // Access is checked again now, as for archives: a file of a checkpoint deleted, expired or
  // made private since the URL was issued is gone for whoever may no longer read it.
  const ref = store.objectOwner(objectId);
  const file = ref?.ckpt.files?.[index];
  const readable = ref && file && users.has(user) && canRead(user, ref.run, ref.ckpt, Date.now());
  const handle = readable
    ? await open(join(store.objectDir(objectId), ...file.path.split("/")), "r").catch(() =>
      undefined
    )
    : undefined;
  if (!handle || !file) {
    throw notFound(
      "This file no longer exists, or no longer for you: its checkpoint was deleted, replaced, " +
        "expired or made private. Ask external_weights_urls for new URLs",
    );
  }
  try {
    return await objectResponse(ctx.request, handle, {
      objectId: `${objectId}-${index}`,
      contentType: file.path.endsWith(".json") ? "application/json" : "application/octet-stream",
      filename: file.path.split("/").pop()!,
      noun: "file",
    });
  } catch (e) {
    await handle.close();
    throw e;
  }
}
