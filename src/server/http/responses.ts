/**
 * JSON responses and the error type handlers throw to answer with a status.
 * @module
 */
import { isRetryableStatus } from "../../protocol/retry.ts";

const encoder = new TextEncoder();

/** An error that becomes a JSON `{"detail": …}` response with `status`. */
export class HttpError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;
  /** Extra response headers (e.g. `Allow`, `Retry-After`, `Content-Range`). */
  readonly headers: Record<string, string>;
  /** Build from a status, a message naming the problem, and optional headers. */
  constructor(status: number, detail: string, headers: Record<string, string> = {}) {
    super(detail);
    this.status = status;
    this.headers = headers;
  }
}

/** Shorthands for the common statuses. */
export const badRequest = (detail: string): HttpError => new HttpError(400, detail);
/** 404 with a message. */
export const notFound = (detail: string): HttpError => new HttpError(404, detail);
/** 409 with a message. */
export const conflict = (detail: string): HttpError => new HttpError(409, detail);
/** 422 with a message. */
export const unprocessable = (detail: string): HttpError => new HttpError(422, detail);

/** A JSON response with `Content-Type` and `Content-Length`. */
export function json(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  const bytes = encoder.encode(JSON.stringify(body));
  return new Response(bytes, {
    status,
    headers: {
      "content-type": "application/json",
      "content-length": String(bytes.byteLength),
      ...headers,
    },
  });
}

/**
 * The JSON error response of an {@link HttpError}: `{"detail": "<message>"}`. Client errors
 * that retrying cannot fix carry `x-should-retry: false`, so SDKs that honour it (the Python
 * SDK does) surface them at once instead of retrying, e.g. a 409 on publish.
 */
export function errorResponse(error: HttpError): Response {
  const final = error.status >= 400 && !isRetryableStatus(error.status);
  return json({ detail: error.message || `HTTP ${error.status}` }, error.status, {
    ...(final ? { "x-should-retry": "false" } : {}),
    ...error.headers,
  });
}
