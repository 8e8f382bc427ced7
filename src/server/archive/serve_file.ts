/**
 * Answering a GET or HEAD of a stored object file as an object store does: `Content-Length`,
 * `ETag`, `Last-Modified`, `Accept-Ranges`, `If-None-Match` (304), `Range` / `If-Range` (206,
 * 416). Shared by archives and the files of external checkpoints.
 * @module
 */
import { stat } from "node:fs/promises";
import { fileRangeStream } from "./file_stream.ts";
import { decideRange } from "./range.ts";
import { HttpError } from "../http/responses.ts";

/** How to describe the file. */
export interface ServedFile {
  /** Where it is on disk. */
  path: string;
  /** A stable id of its content (the ETag is made of it and the size). */
  objectId: string;
  /** Its media type. */
  contentType: string;
  /** The name suggested in `Content-Disposition`. */
  filename: string;
}

/** The response to `request` for `file`. */
export async function serveFile(request: Request, file: ServedFile): Promise<Response> {
  const info = await stat(file.path);
  const size = info.size;
  const etag = `"${file.objectId}-${size}"`;
  const lastModified = info.mtime.toUTCString();
  const headers: Record<string, string> = {
    "accept-ranges": "bytes",
    etag,
    "last-modified": lastModified,
    "content-type": file.contentType,
    "content-disposition": `attachment; filename="${file.filename.replace(/[^\w.-]/g, "_")}"`,
  };
  const head = request.method === "HEAD";
  if (request.headers.get("if-none-match")?.split(",").some((t) => t.trim() === etag)) {
    return new Response(null, { status: 304, headers: { etag, "accept-ranges": "bytes" } });
  }
  const decision = decideRange(request.headers, etag, lastModified, size);
  if (decision.kind === "unsatisfiable") {
    throw new HttpError(
      416,
      `Range ${request.headers.get("range")} is outside the ${size}-byte object`,
      { "content-range": `bytes */${size}`, "accept-ranges": "bytes", etag },
    );
  }
  const [start, end, status] = decision.kind === "partial"
    ? [decision.start, decision.end, 206]
    : [0, size - 1, 200];
  headers["content-length"] = String(end + 1 - start);
  if (status === 206) headers["content-range"] = `bytes ${start}-${end}/${size}`;
  const body = head || end < start ? null : await fileRangeStream(file.path, start, end);
  return new Response(body, { status, headers });
}
