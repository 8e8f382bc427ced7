/**
 * Answering a GET or HEAD of an open stored object as an object store does: `Content-Length`,
 * `ETag`, `Last-Modified`, `Accept-Ranges`, `If-None-Match` (304), `Range` / `If-Range` (206,
 * 416). Shared by archives and the files of external checkpoints. Serving from a handle opened
 * before a delete or overwrite keeps the bytes it opened.
 * @module
 */
import type { FileHandle } from "node:fs/promises";
import { fileRangeStream } from "./file_stream.ts";
import { decideRange } from "./range.ts";
import { HttpError } from "../http/responses.ts";

/** How to describe the object. */
export interface ServedObject {
  /** A stable id of its content (the ETag is made of it, the size and the file's version). */
  objectId: string;
  /** Its media type. */
  contentType: string;
  /** The name suggested in `Content-Disposition`. */
  filename: string;
  /** What it is, for messages: `archive`, `file`. */
  noun: string;
}

/** The answer to `request` for the open object `handle`, which it takes over (and closes). */
export async function objectResponse(
  request: Request,
  handle: FileHandle,
  object: ServedObject,
): Promise<Response> {
  const info = await handle.stat();
  const size = info.size;
  // The file's mtime too: an archive built again (its file freed, its record kept) may differ in
  // its headers' times, and a resume (`If-Range`) must not splice it onto the old bytes.
  const etag = `"${object.objectId}-${size}-${Math.trunc(info.mtime.getTime()).toString(36)}"`;
  const lastModified = info.mtime.toUTCString();
  const headers: Record<string, string> = {
    "accept-ranges": "bytes",
    etag,
    "last-modified": lastModified,
    "content-type": object.contentType,
    "content-disposition": `attachment; filename="${object.filename.replace(/[^\w.-]/g, "_")}"`,
  };
  const head = request.method === "HEAD";
  if (request.headers.get("if-none-match")?.split(",").some((t) => t.trim() === etag)) {
    await handle.close();
    return new Response(null, { status: 304, headers: { etag, "accept-ranges": "bytes" } });
  }
  const decision = decideRange(request.headers, etag, lastModified, size);
  if (decision.kind === "unsatisfiable") {
    throw new HttpError(
      416,
      `Range ${request.headers.get("range")} is outside the ${size}-byte ${object.noun}`,
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
