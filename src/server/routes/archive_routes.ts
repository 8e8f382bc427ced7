/**
 * The archive endpoint (302 to a signed URL with `Expires`, the same as 200 JSON to browsers and
 * to `?format=json`, or 503 while "building") and the signed object route: the tar streamed from disk with
 * `Content-Length`, `ETag`, `Repr-Digest`, `Accept-Ranges`, `Range` / `If-Range` (206, 416) and
 * HEAD. Bad or expired signatures are 403.
 * @module
 */
import type { CheckpointArchiveUrlResponse } from "../../protocol/types.ts";
import { canRead, findCheckpoint } from "../auth/access.ts";
import { addressFromParams } from "./checkpoint_params.ts";
import type { RequestContext, Route } from "../http/context.ts";
import { objectResponse } from "../archive/serve_file.ts";
import { checkSignedQuery, signedQuery } from "../auth/signed_request.ts";
import { badRequest, HttpError, json, notFound } from "../http/responses.ts";
import { iso } from "./wire.ts";

/** The archive and signed object routes. */
export const objectRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/api/v1/training_runs/:run/checkpoints/:kind/:name/archive",
    auth: true,
    handler: archiveUrl,
  },
  { method: "GET", pattern: "/archives/:file", auth: false, handler: serveObject },
];

async function archiveUrl(ctx: RequestContext): Promise<Response> {
  const { store, archives, signer, options } = ctx.server;
  const now = Date.now();
  const at = addressFromParams(ctx.params);
  const ref = findCheckpoint(store, ctx.user, at, "read", now);
  if (at.kind === "external_weights") {
    throw badRequest(
      `Cannot make an archive of ${at.kind}/${at.name}: an external checkpoint is a set of files; ` +
        "fetch them from its external_weights_urls (download() does)",
    );
  }
  const objectId = ref.ckpt.object_id;
  const readyAt = archives.firstAsked(objectId, now) + options.archiveBuildDelayMs;
  if (now < readyAt) {
    const waitMs = readyAt - now;
    throw new HttpError(
      503,
      `The archive of ${ctx.params.kind}/${ctx.params.name} is still being built; ask again in ${
        Math.ceil(waitMs / 1000)
      } s`,
      {
        "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))),
        "retry-after-ms": String(waitMs),
      },
    );
  }
  await archives.ensure(ref);
  const expires = Math.floor(now / 1000) + options.signedUrlTtlSeconds;
  const query = await signedQuery(signer, { objectId, expires, user: ctx.user });
  // The configured public URL (under serve(): the listen address), never the Host header.
  const base = `${options.publicUrl ?? ctx.url.origin}${ctx.prefix}`;
  const url = `${base}/archives/${objectId}.tar?${query}`;
  const body: CheckpointArchiveUrlResponse = { url, expires: iso(expires * 1000) };
  // A browser cannot read a redirect's Location: it gets the JSON form of the answer (protocol
  // §4), and so never has to follow blindly with the key. Recognised by its Origin (sent from
  // another origin) or by asking (`format=json`: tinkex asks after a hidden redirect).
  if (ctx.request.headers.has("origin") || ctx.url.searchParams.get("format") === "json") {
    return json(body, 200, { "cache-control": "no-store" });
  }
  return json(body, 302, {
    location: url,
    expires: new Date(expires * 1000).toUTCString(),
    "cache-control": "no-store",
  });
}

async function serveObject(ctx: RequestContext): Promise<Response> {
  const { store, archives, signer, users } = ctx.server;
  const objectId = /^([0-9a-f-]{36})\.tar$/.exec(ctx.params.file)?.[1];
  if (!objectId) throw notFound(`No archive named ${JSON.stringify(ctx.params.file)}`);
  const user = await checkSignedQuery(signer, ctx.url, objectId, {
    label: "Archive URL",
    source: "the archive endpoint",
  });
  // Access is checked now, not only when the URL was issued: unpublishing, deleting, replacing
  // or expiring the checkpoint ends the URL for whoever no longer may read it.
  // A key no longer accepted (removed at a restart) ends its URLs too.
  const ref = store.objectOwner(objectId);
  const handle = ref && users.has(user) && canRead(user, ref.run, ref.ckpt, Date.now())
    ? await archives.open(ref)
    : undefined;
  if (!ref || !handle) throw gone();
  try {
    // RFC 9530: the whole archive's SHA-256 (also on a 206), for clients to record and compare;
    // stored with the archive when it was built, so the first byte does not wait for a hash.
    const digest = await archives.reprDigest(objectId, handle);
    if (digest === undefined) throw gone();
    const res = await objectResponse(ctx.request, handle, {
      objectId,
      contentType: "application/x-tar",
      filename: `${ref.ckpt.name}.tar`,
      noun: "archive",
    });
    if (res.status === 200 || res.status === 206) res.headers.set("repr-digest", digest);
    return res;
  } catch (e) {
    await handle.close();
    throw e;
  }
}

function gone(): HttpError {
  return notFound(
    "This archive no longer exists, or no longer for you: its checkpoint was deleted, " +
      "replaced, expired or made private. Ask the archive endpoint for a new URL",
  );
}
