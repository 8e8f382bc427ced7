/**
 * The tinkex error hierarchy. Every error is a {@link TinkerError}; callers
 * branch with `instanceof`. No message ever contains the API key.
 * @module
 */
import { categoryOfStatus, type ErrorCategory, TinkerError } from "../protocol/errors.ts";
import {
  classifyConnectionFailure,
  type ConnectionFailureKind,
} from "./http/connection_failure.ts";

export type { ConnectionFailureKind } from "./http/connection_failure.ts";

// The shared base classes, re-exported so client modules take every error from one place.
export {
  categoryOfStatus,
  type ErrorCategory,
  InvalidTinkerPathError,
  TinkerError,
} from "../protocol/errors.ts";

/**
 * The configuration cannot be used (missing or malformed API key, bad base URL).
 *
 * @example
 * ```ts
 * import { ConfigError, resolveConfig } from "@tinkex/tinkex";
 * try { resolveConfig({ apiKey: "sk-nope" }); } catch (e) { console.log(e instanceof ConfigError); }
 * ```
 */
export class ConfigError extends TinkerError {
  /** Build a configuration error. */
  constructor(message: string) {
    super(message, { category: "user" });
  }
}

/** Details of a non-2xx response. */
export interface ApiErrorDetails {
  /** HTTP status. */
  status: number;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** Request method. */
  method: string;
  /** Request URL (never holds the key: it travels in a header). */
  url: string;
  /** The `x-request-id` the server sent, if any. */
  requestId?: string;
}

/**
 * The server answered with a non-2xx status. Subclasses name each status family.
 *
 * @example
 * ```ts
 * import { ApiStatusError, NotFoundError } from "@tinkex/tinkex";
 * const e = new NotFoundError({ status: 404, body: { detail: "no" }, method: "GET", url: "http://x/y" });
 * console.log(e instanceof ApiStatusError, e.status); // true 404
 * ```
 */
export class ApiStatusError extends TinkerError {
  /** HTTP status. */
  readonly status: number;
  /** Parsed JSON body (or text). */
  readonly body: unknown;
  /** Request method. */
  readonly method: string;
  /** Request URL. */
  readonly url: string;
  /** Server request id, when sent. */
  readonly requestId?: string;
  /** Build from the response details; the message is `Error code: <status> - <body>`. */
  constructor(details: ApiErrorDetails, message?: string) {
    super(
      message ??
        `Error code: ${details.status} - ${bodyText(details.body)} (${details.method} ${
          redactUrl(details.url)
        })`,
      { category: categoryOfStatus(details.status) },
    );
    this.status = details.status;
    this.body = details.body;
    this.method = details.method;
    this.url = redactUrl(details.url);
    if (details.requestId !== undefined) this.requestId = details.requestId;
  }
}

/**
 * 400 Bad Request.
 *
 * @example
 * ```ts
 * import { BadRequestError } from "@tinkex/tinkex";
 * const err: unknown = new Error("caught");
 * if (err instanceof BadRequestError) console.log(err.status, err.body);
 * ```
 */
export class BadRequestError extends ApiStatusError {}
/**
 * 401: the API key was missing or not accepted.
 *
 * @example
 * ```ts
 * import { AuthenticationError } from "@tinkex/tinkex";
 * const err: unknown = new Error("caught");
 * if (err instanceof AuthenticationError) console.log(err.status, err.body);
 * ```
 */
export class AuthenticationError extends ApiStatusError {}
/**
 * 403: the key may not do this (or a signed URL expired).
 *
 * @example
 * ```ts
 * import { PermissionDeniedError } from "@tinkex/tinkex";
 * const err: unknown = new Error("caught");
 * if (err instanceof PermissionDeniedError) console.log(err.status, err.body);
 * ```
 */
export class PermissionDeniedError extends ApiStatusError {}
/**
 * 404: not found, or not yours.
 *
 * @example
 * ```ts
 * import { NotFoundError } from "@tinkex/tinkex";
 * const err: unknown = new Error("caught");
 * if (err instanceof NotFoundError) console.log(err.status, err.body);
 * ```
 */
export class NotFoundError extends ApiStatusError {}
/**
 * 409: conflict, e.g. publishing an already public checkpoint. Never retried.
 *
 * @example
 * ```ts
 * import { ConflictError } from "@tinkex/tinkex";
 * const err: unknown = new Error("caught");
 * if (err instanceof ConflictError) console.log(err.status, err.body);
 * ```
 */
export class ConflictError extends ApiStatusError {}
/**
 * 422: the request was understood but invalid.
 *
 * @example
 * ```ts
 * import { UnprocessableEntityError } from "@tinkex/tinkex";
 * const err: unknown = new Error("caught");
 * if (err instanceof UnprocessableEntityError) console.log(err.status, err.body);
 * ```
 */
export class UnprocessableEntityError extends ApiStatusError {}
/**
 * 429: rate limited (retried, then surfaced).
 *
 * @example
 * ```ts
 * import { RateLimitError } from "@tinkex/tinkex";
 * const err: unknown = new Error("caught");
 * if (err instanceof RateLimitError) console.log(err.status, err.body);
 * ```
 */
export class RateLimitError extends ApiStatusError {}
/**
 * 5xx: the service failed (retried, then surfaced).
 *
 * @example
 * ```ts
 * import { InternalServerError } from "@tinkex/tinkex";
 * const err: unknown = new Error("caught");
 * if (err instanceof InternalServerError) console.log(err.status, err.body);
 * ```
 */
export class InternalServerError extends ApiStatusError {}

/**
 * Map a status to its error class and build it.
 */
export function apiErrorFor(details: ApiErrorDetails): ApiStatusError {
  const s = details.status;
  if (s === 400) return new BadRequestError(details);
  if (s === 401) return new AuthenticationError(details);
  if (s === 403) return new PermissionDeniedError(details);
  if (s === 404) return new NotFoundError(details);
  if (s === 409) return new ConflictError(details);
  if (s === 422) return new UnprocessableEntityError(details);
  if (s === 429) return new RateLimitError(details);
  if (s >= 500) return new InternalServerError(details);
  return new ApiStatusError(details);
}

/**
 * No response arrived: the connection failed or was cut. Carries the `cause`; the message ends
 * with the innermost cause's text (e.g. `connect ECONNREFUSED 127.0.0.1:8080`).
 *
 * @example
 * ```ts
 * import { ConnectionError } from "@tinkex/tinkex";
 * const e = new ConnectionError("GET", "http://127.0.0.1:1/x", new TypeError("ECONNREFUSED"));
 * console.log(e.message, e.failure); // … "refused"
 * ```
 */
export class ConnectionError extends TinkerError {
  /** Request method. */
  readonly method: string;
  /** Request URL. */
  readonly url: string;
  /**
   * `refused` (nothing listens there), `unresolvable` (the host name does not resolve; neither
   * is retried for long), or `other`.
   */
  readonly failure: ConnectionFailureKind;
  /** Build from the request and the underlying error. */
  constructor(method: string, url: string, cause: unknown, what = "Connection error") {
    const { kind, detail } = classifyConnectionFailure(cause);
    const because = detail ? ` (${redactUrl(detail)})` : "";
    super(`${what}: ${method} ${redactUrl(url)}${because}`, { cause });
    this.method = method;
    this.url = redactUrl(url);
    this.failure = kind;
  }
}

/**
 * The request did not finish within its timeout.
 *
 * @example
 * ```ts
 * import { TimeoutError } from "@tinkex/tinkex";
 * const e = new TimeoutError("GET", "http://x/y", 60_000);
 * console.log(e.timeoutMs); // 60000
 * ```
 */
export class TimeoutError extends ConnectionError {
  /** The timeout that elapsed, in ms. */
  readonly timeoutMs: number;
  /** Build from the request and the elapsed timeout (and, optionally, the whole message). */
  constructor(method: string, url: string, timeoutMs: number, cause?: unknown, message?: string) {
    super(method, url, cause, `Request timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
    if (message !== undefined) this.message = redactUrl(message);
  }
}

/**
 * The call was cancelled through its `AbortSignal`.
 *
 * @example
 * ```ts
 * import { AbortError } from "@tinkex/tinkex";
 * console.log(new AbortError().name); // "AbortError"
 * ```
 */
export class AbortError extends TinkerError {
  /** Build with the abort reason as cause. */
  constructor(reason?: unknown) {
    super("The operation was aborted", { cause: reason });
  }
}

/**
 * The download destination exists and `force` was not given.
 *
 * @example
 * ```ts
 * import { DestinationExistsError } from "@tinkex/tinkex";
 * console.log(new DestinationExistsError("/tmp/x").message);
 * ```
 */
export class DestinationExistsError extends TinkerError {
  /** The existing destination. */
  readonly destination: string;
  /** Build from the destination path. */
  constructor(destination: string) {
    super(
      `Cannot download: destination ${destination} already exists (pass force to replace it)`,
      { category: "user" },
    );
    this.destination = destination;
  }
}

/**
 * An archive member is unsafe (escapes the destination, is a link or device, is duplicated)
 * or the archive exceeds a limit. Nothing is extracted.
 *
 * @example
 * ```ts
 * import { UnsafeArchiveError } from "@tinkex/tinkex";
 * console.log(new UnsafeArchiveError("../evil", "path escapes the destination").entry);
 * ```
 */
export class UnsafeArchiveError extends TinkerError {
  /** The member that was refused. */
  readonly entry: string;
  /** Build from the member name and the reason. */
  constructor(entry: string, reason: string) {
    // A hostile name can be megabytes long: the message shows its start (`entry` has it all).
    const shown = entry.length > 300 ? `${entry.slice(0, 300)}…` : entry;
    super(`Unsafe archive entry ${JSON.stringify(shown)}: ${reason}`, { category: "server" });
    this.entry = entry;
  }
}

/**
 * What arrived does not match what was promised (length, truncated tar, size).
 *
 * @example
 * ```ts
 * import { IntegrityError } from "@tinkex/tinkex";
 * console.log(new IntegrityError("got 10 of 20 bytes").message);
 * ```
 */
export class IntegrityError extends TinkerError {
  /** Build from a description of the mismatch. */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(`Integrity check failed: ${message}`, { ...options, category: "server" });
  }
}

/**
 * tinkex refused a URL before requesting it: a redirect of an API request that would leave the
 * API origin (and carry the API key elsewhere), or an archive URL that is not `https:` (or
 * `http:` where allowed). Nothing was sent to it.
 *
 * @example
 * ```ts
 * import { UnsafeUrlError } from "@tinkex/tinkex";
 * const e = new UnsafeUrlError("file:///etc/passwd", "Cannot fetch the archive URL file:///etc/passwd: only https: is fetched");
 * console.log(e.url, e instanceof UnsafeUrlError);
 * ```
 */
export class UnsafeUrlError extends TinkerError {
  /** The refused URL (its query redacted). */
  readonly url: string;
  /** Build from the refused URL and a message saying why and what to do. */
  constructor(url: string, message: string) {
    super(redactUrl(message), { category: "server" });
    this.url = redactUrl(url);
  }
}

/** What a file-system operation of `download()` was doing when it failed. */
export type FileSystemOperation =
  | "create the output directory"
  | "create a temporary directory in"
  | "write"
  | "move into place"
  | "remove"
  | "read";

/**
 * A file-system operation of `download()` failed (permission denied, read-only file system,
 * disk full, not a directory, …). Carries the `path`, the `operation` and the system `code`
 * (`EACCES`, `EROFS`, `ENOSPC`, `ENOTDIR`, …); nothing of the download is left behind.
 *
 * @example
 * ```ts
 * import { FileSystemError } from "@tinkex/tinkex";
 * const e = new FileSystemError("write", "/ro/ckpt", "EROFS");
 * console.log(e.message); // Cannot write /ro/ckpt: the file system is read-only (EROFS); …
 * ```
 */
export class FileSystemError extends TinkerError {
  /** The path the operation was about. */
  readonly path: string;
  /** What was being done. */
  readonly operation: FileSystemOperation;
  /** The system error code, e.g. `EACCES`, `EROFS`, `ENOSPC`. */
  readonly code: string;
  /** Build from the operation, the path, the code and (optionally) the system error. */
  constructor(operation: FileSystemOperation, path: string, code: string, cause?: unknown) {
    super(
      `Cannot ${operation} ${path}: ${FS_CODES[code] ?? "the operation failed"} (${code}); ${
        code === "ENOSPC" || code === "EDQUOT"
          ? "free some space or choose another output directory"
          : code === "ERR_ACCESS_DENIED"
          ? "grant that, or choose another output directory"
          : "choose another output directory"
      }`,
      { cause, category: "user" },
    );
    this.path = path;
    this.operation = operation;
    this.code = code;
  }
}

const FS_CODES: Record<string, string> = {
  ERR_ACCESS_DENIED: "the runtime's permissions do not allow it (Deno: --allow-read and " +
    "--allow-write for it)",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is exceeded",
  ENOTDIR: "a part of the path is not a directory",
  EEXIST: "something else is already there",
  EISDIR: "it is a directory",
  ENAMETOOLONG: "the name is too long for the file system",
  EMFILE: "too many open files",
  ENFILE: "too many open files",
  EIO: "an input/output error occurred",
  ENOENT: "a part of the path does not exist",
};

/**
 * A checkpoint's weights do not match what the caller expects (base model, LoRA rank).
 *
 * @example
 * ```ts
 * import { CheckpointMismatchError } from "@tinkex/tinkex";
 * const e = new CheckpointMismatchError("tinker://r/weights/a", ["lora_rank: expected 8, got 16"]);
 * console.log(e.mismatches);
 * ```
 */
export class CheckpointMismatchError extends TinkerError {
  /** The checkpoint path. */
  readonly path: string;
  /** One line per mismatching field. */
  readonly mismatches: string[];
  /** Build from the path and the mismatches. */
  constructor(path: string, mismatches: string[]) {
    super(`Checkpoint ${path} is not compatible: ${mismatches.join("; ")}`, { category: "user" });
    this.path = path;
    this.mismatches = mismatches;
  }
}

/**
 * A future (training-state request) failed; `category` says whose fault.
 *
 * @example
 * ```ts
 * import { FutureFailedError } from "@tinkex/tinkex";
 * const e = new FutureFailedError("req-1", "base model mismatch", "user");
 * console.log(e.category); // "user"
 * ```
 */
export class FutureFailedError extends TinkerError {
  /** The request id of the future. */
  readonly requestId: string;
  /** Build from the request id, the server's message and category. */
  constructor(requestId: string, message: string, category: ErrorCategory) {
    super(`Request ${requestId} failed: ${message}`, { category });
    this.requestId = requestId;
  }
}

/**
 * A future expired (410) before its result was retrieved.
 *
 * @example
 * ```ts
 * import { FutureExpiredError } from "@tinkex/tinkex";
 * console.log(new FutureExpiredError("req-1").message);
 * ```
 */
export class FutureExpiredError extends TinkerError {
  /** The request id of the future. */
  readonly requestId: string;
  /** Build from the request id. */
  constructor(requestId: string) {
    super(`Request ${requestId} expired before its result was retrieved (410); submit it again`, {
      category: "user",
    });
    this.requestId = requestId;
  }
}

function bodyText(body: unknown): string {
  if (typeof body === "string") return body;
  try {
    return JSON.stringify(body);
  } catch {
    return String(body);
  }
}

const SECRET_PARAM =
  /([?&](?:sig|signature|token|key|api_key|x-amz-[a-z-]+|x-goog-[a-z-]+|[a-z_-]*signature[a-z_-]*|expires)=)[^&#\s)"']*/gi;

/** Signed URLs carry their signature in the query: keep it out of messages. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAM, "$1…");
}

/**
 * A multi-step training-state operation failed; `step` names the step, `cause` holds the error.
 *
 * @example
 * ```ts
 * import { TrainingStepError } from "@tinkex/tinkex";
 * const e = new TrainingStepError("tinker://r/weights/a", "load_weights", new Error("rank mismatch"));
 * console.log(e.step); // "load_weights"
 * ```
 */
export class TrainingStepError extends TinkerError {
  /** The step that failed: `weights_info`, `create_session`, `create_model` or `load_weights`. */
  readonly step: string;
  /** Build from the checkpoint path, the failed step and its error. */
  constructor(path: string, step: string, cause: unknown) {
    super(
      `Cannot create a training client from ${path}: step ${step} failed: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause, category: cause instanceof TinkerError ? cause.category : "unknown" },
    );
    this.step = step;
  }
}

/**
 * `whoami` needs a JWT to read the caller's identity from, and there is none: the server has
 * JWT auth off and the credential is a plain API key.
 *
 * @example
 * ```ts
 * import { JwtUnavailableError } from "@tinkex/tinkex";
 * console.log(new JwtUnavailableError().message);
 * ```
 */
export class JwtUnavailableError extends TinkerError {
  /** Build the error. */
  constructor() {
    super(
      "Cannot tell who you are: whoami reads the identity from a JWT, but this server has JWT auth off and the credential is a plain API key (use getApiKeyInfo instead)",
      { category: "user" },
    );
  }
}

/**
 * A billing window breaks the service's rules (UTC-hour aligned, start before end, at most 14
 * days, not starting in the future); nothing was sent.
 *
 * @example
 * ```ts
 * import { InvalidBillingWindowError } from "@tinkex/tinkex";
 * console.log(new InvalidBillingWindowError("the window is longer than 14 days").message);
 * ```
 */
export class InvalidBillingWindowError extends TinkerError {
  /** What is wrong with the window. */
  readonly reason: string;
  /** Build from the reason. */
  constructor(reason: string) {
    super(`Cannot get billing usage: ${reason}`, { category: "user" });
    this.reason = reason;
  }
}

/**
 * The service could not build a session's trace export.
 *
 * @example
 * ```ts
 * import { TraceExportFailedError } from "@tinkex/tinkex";
 * console.log(new TraceExportFailedError("s-1", "no requests to trace").message);
 * ```
 */
export class TraceExportFailedError extends TinkerError {
  /** The session. */
  readonly sessionId: string;
  /** Build from the session id and the service's error text. */
  constructor(sessionId: string, error: string) {
    super(`Cannot export the trace of session ${sessionId}: ${error}`, { category: "server" });
    this.sessionId = sessionId;
  }
}
