/**
 * What a failure becomes on the wire. A client never sees an internal error's text (it may hold
 * file-system paths): it gets a generic message and the request id, and the server log gets the
 * details under that id. A full disk is a 507 clients must not retry; a client that went away is
 * no error at all.
 * @module
 */
import { HttpError } from "./responses.ts";
import { isDiskFull } from "../store/atomic_fs.ts";

/** A fresh request id (`req_` + 32 hex digits), for `x-request-id` and the log. */
export function newRequestId(): string {
  return `req_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** The 507 of a full disk: retrying cannot help until someone frees space. */
export function diskFull(): HttpError {
  return new HttpError(
    507,
    "Insufficient storage: the server's disk is full (no space left on device). " +
      "Free space (e.g. delete checkpoints) and try again",
    { "x-should-retry": "false" },
  );
}

/**
 * The error to show a client for `e`: an {@link HttpError} as it is, a full disk as a 507, and
 * anything else as a generic 500 naming `requestId` (logged here with the details).
 */
export function publicError(e: unknown, requestId: string, what: string): HttpError {
  if (e instanceof HttpError) return e;
  if (isDiskFull(e)) return diskFull();
  logInternalError(requestId, what, e);
  return new HttpError(
    500,
    `Internal server error; the server logged it under request id ${requestId}`,
  );
}

/** Log an internal error with the request id it was answered under. */
export function logInternalError(requestId: string, what: string, e: unknown): void {
  console.error(`tinkex server: internal error in ${what} [${requestId}]:`, e);
}
