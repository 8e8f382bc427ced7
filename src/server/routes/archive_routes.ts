/**
 * The archive endpoint (302 to a signed URL with `Expires`, or 503 while "building") and the
 * signed object route: the tar streamed from disk with `Content-Length`, `ETag`,
 * `Accept-Ranges`, `Range` / `If-Range` (206, 416) and HEAD. Bad or expired signatures are 403.
 * @module
 */
import type { FileHandle } from "node:fs/promises";
import type { CheckpointArchiveUrlResponse } from "../../protocol/types.ts";
import { canRead, findCheckpoint } from "../auth/access.ts";
import { addressFromParams } from "./checkpoint_params.ts";
import type { RequestContext, Route } from "../http/context.ts";
import { fileRangeStream } from "../archive/file_stream.ts";
import { decideRange } from "../archive/range.ts";
import { HttpError, json, notFound } from "../http/responses.ts";
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
  const ref = findCheckpoint(store, ctx.user, addressFromParams(ctx.params), "read", now);
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
  const sig = await signer.sign({ objectId, expires, user: ctx.user });
  // The configured public URL (under serve(): the listen address), never the Host header.
  const base = `${options.publicUrl ?? ctx.url.origin}${ctx.prefix}`;
  const query = new URLSearchParams({ expires: String(expires), user: ctx.user, sig });
  const url = `${base}/archives/${objectId}.tar?${query}`;
  const body: CheckpointArchiveUrlResponse = { url, expires: iso(expires * 1000) };
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
  const query = ctx.url.searchParams;
  const expiresRaw = query.get("expires") ?? "";
  const sig = query.get("sig") ?? "";
  const user = query.get("user") ?? "";
  if (!/^\d{1,12}$/.test(expiresRaw) || sig === "" || user === "") {
    throw new HttpError(
      403,
      "Archive URL is not signed: get a signed URL from the archive endpoint",
    );
  }
  const expires = Number(expiresRaw);
  if (!(await signer.verify({ objectId, expires, user }, sig))) {
    throw new HttpError(403, "Archive URL signature does not match: the URL was altered");
  }
  if (expires * 1000 <= Date.now()) {
    throw new HttpError(403, `Archive URL expired at ${iso(expires * 1000)}: get a new one`);
  }
  // Access is checked now, not only when the URL was issued: unpublishing, deleting, replacing
  // or expiring the checkpoint ends the URL for whoever no longer may read it.
  // A key no longer accepted (removed at a restart) ends its URLs too.
  const ref = store.objectOwner(objectId);
  const handle = ref && users.has(user) && canRead(user, ref.run, ref.ckpt, Date.now())
    ? await archives.open(ref)
    : undefined;
  if (!ref || !handle) throw gone();
  try {
    return await objectResponse(ctx, ref.ckpt.name, objectId, handle);
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

/** The answer for an open archive: whole, a range, 304, 416 or HEAD. Takes over `handle`. */
async function objectResponse(
  ctx: RequestContext,
  name: string,
  objectId: string,
  handle: FileHandle,
): Promise<Response> {
  const info = await handle.stat();
  const size = info.size;
  const etag = `"${objectId}-${size}"`;
  const lastModified = info.mtime.toUTCString();
  const headers: Record<string, string> = {
    "accept-ranges": "bytes",
    etag,
    "last-modified": lastModified,
    "content-type": "application/x-tar",
    "content-disposition": `attachment; filename="${name.replace(/[^\w.-]/g, "_")}.tar"`,
  };
  const head = ctx.request.method === "HEAD";
  if (ctx.request.headers.get("if-none-match")?.split(",").some((t) => t.trim() === etag)) {
    await handle.close();
    return new Response(null, { status: 304, headers: { etag, "accept-ranges": "bytes" } });
  }
  const decision = decideRange(ctx.request.headers, etag, lastModified, size);
  if (decision.kind === "unsatisfiable") {
    throw new HttpError(
      416,
      `Range ${ctx.request.headers.get("range")} is outside the ${size}-byte archive`,
      {
        "content-range": `bytes */${size}`,
        "accept-ranges": "bytes",
        etag,
      },
    );
  }
  const [start, end, status] = decision.kind === "partial"
    ? [decision.start, decision.end, 206]
    : [0, size - 1, 200];
  headers["content-length"] = String(end + 1 - start);
  if (status === 206) headers["content-range"] = `bytes ${start}-${end}/${size}`;
  if (head || end < start) {
    await handle.close();
    return new Response(null, { status, headers });
  }
  return new Response(fileRangeStream(handle, start, end), { status, headers });
}
