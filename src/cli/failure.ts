/**
 * Turning any error into the two lines the CLI prints: `Error: <message>` and a hint.
 * Loaded only when something failed.
 * @module
 */
import {
  AbortError,
  ApiStatusError,
  AuthenticationError,
  BadRequestError,
  ConfigError,
  ConflictError,
  ConnectionError,
  DestinationExistsError,
  FileSystemError,
  IntegrityError,
  InternalServerError,
  InvalidTinkerPathError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  TimeoutError,
  TraceExportFailedError,
  UnprocessableEntityError,
  UnsafeArchiveError,
  UnsafeUrlError,
} from "../../mod.ts";
import { CliError } from "./errors.ts";

/** What to print for a failure. */
export interface FailureReport {
  /** The message after `Error: `. */
  message: string;
  /** What to do about it. */
  hint: string;
}

type HintRule = [new (...args: never[]) => Error, string];

// First match wins: subclasses before their parents.
const HINTS: readonly HintRule[] = [
  [
    ConfigError,
    "Set TINKER_API_KEY (or pass --api-key), TINKER_CREDENTIAL_CMD, or store a key with 'tinker auth login'; TINKER_BASE_URL or --base-url picks the server. 'tinkex auth status' shows what is found.",
  ],
  [
    BadRequestError,
    "The service refused a value of the request: check the arguments against --help; if they look right, report it.",
  ],
  [
    UnprocessableEntityError,
    "The service refused a value of the request: check the arguments against --help; if they look right, report it.",
  ],
  [
    TraceExportFailedError,
    "The service could not build this session's trace: try again later, or report it with the session id.",
  ],
  [
    InvalidTinkerPathError,
    "A checkpoint path looks like tinker://<run-id>/weights/<name>; 'tinkex checkpoint list' shows yours.",
  ],
  [AuthenticationError, "Check the API key in TINKER_API_KEY or --api-key."],
  [
    PermissionDeniedError,
    "Your API key may not do this. Check that the checkpoint or run is yours.",
  ],
  [
    NotFoundError,
    "Check the id or path: 'tinkex checkpoint list' and 'tinkex run list' show what exists.",
  ],
  [ConflictError, "It is probably already in that state: 'tinkex checkpoint info PATH' shows it."],
  [RateLimitError, "The service is rate limiting requests: wait a little and try again."],
  [InternalServerError, "The service failed or is busy: try again later."],
  [TimeoutError, "The server did not answer in time: check TINKER_BASE_URL and your network."],
  [
    ConnectionError,
    "Could not reach the server: check TINKER_BASE_URL (or --base-url) and your network.",
  ],
  [
    DestinationExistsError,
    "Pass --force to replace it (once the new download is complete), or -o DIR to download elsewhere.",
  ],
  [
    UnsafeArchiveError,
    "The archive was refused and nothing was extracted; report it to the service.",
  ],
  [IntegrityError, "The download was incomplete or corrupted: run the command again."],
  [
    UnsafeUrlError,
    "Nothing was sent there. The service (or something on the way) redirected tinkex somewhere " +
    "it does not go; check --base-url / TINKER_BASE_URL.",
  ],
  [AbortError, "The operation was cancelled."],
];

/** The message and hint for an error. */
export function describeFailure(error: unknown): FailureReport {
  if (error instanceof CliError) {
    return { message: error.message, hint: error.hint ?? "" };
  }
  if (!(error instanceof Error)) {
    return { message: String(error), hint: "" };
  }
  if (error instanceof FileSystemError) return fileSystemFailure(error);
  const file = fileFailure(error);
  if (file) return file;
  const rule = HINTS.find(([cls]) => error instanceof cls);
  return {
    message: error instanceof ApiStatusError
      ? statusMessage(error)
      : error instanceof DestinationExistsError
      ? `Cannot download: ${error.destination} already exists`
      : error.message,
    hint: (error instanceof ConnectionError ? connectionHint(error) : undefined) ??
      (error instanceof NotFoundError ? notFoundHint(error) : undefined) ?? rule?.[1] ??
      "This looks like a bug in tinkex: please report it with the command you ran.",
  };
}

/** `cannot write to DIR: permission denied` and what to do about it, in the CLI's terms. */
function fileSystemFailure(error: FileSystemError): FailureReport {
  const full = error.code === "ENOSPC" || error.code === "EDQUOT";
  return {
    message: error.message.replace(/; [^;]*$/, ""),
    hint: full
      ? "Free some space there, or choose another -o DIR; nothing was left behind."
      : "Choose another -o DIR (one you can write to); nothing was left behind.",
  };
}

/**
 * A file-system error (`--csv`, `-o`, `--data`, … naming a missing directory, a directory, a
 * file it may not write) in the CLI's words: the path and why, not "a bug in tinkex".
 */
function fileFailure(error: Error): FailureReport | undefined {
  const { code, path } = error as { code?: unknown; path?: unknown };
  const known = fileErrorOf(code);
  if (!known) return undefined;
  const where = typeof path === "string" ? path : /'([^']*)'/.exec(error.message)?.[1];
  return { message: `Cannot use ${where ?? "the path"}: ${known[0]}`, hint: known[1] };
}

/** Why a file-system call failed and what to do, by the error's `code` (`ENOENT`, …). */
export function fileErrorOf(code: unknown): readonly [string, string] | undefined {
  return typeof code === "string" && Object.hasOwn(FILE_ERRORS, code)
    ? FILE_ERRORS[code]
    : undefined;
}

const CHECK_PATH = "Check the path, or choose another.";
const FILE_ERRORS: Record<string, readonly [string, string]> = {
  ENOENT: ["no such file or directory", "Check the path: its directory must exist."],
  ENOTDIR: ["a part of the path is not a directory", CHECK_PATH],
  EISDIR: ["it is a directory", "Give a file's path, not a directory's."],
  EEXIST: ["it already exists", CHECK_PATH],
  EACCES: ["permission denied", "Choose a path this user may write, or fix its permissions."],
  EPERM: ["operation not permitted", "Choose a path this user may write, or fix its permissions."],
  EROFS: ["the file system is read-only", "Choose a path on a writable file system."],
  ENOSPC: ["no space left on the device", "Free some space, or choose another disk."],
};

/** For a session that is not there, where session ids are listed; else undefined. */
function notFoundHint(error: NotFoundError): string | undefined {
  const path = URL.canParse(error.url) ? new URL(error.url).pathname : "";
  return /\/sessions\/[^/]+/.test(path)
    ? "Check the session id: 'tinkex session list' shows yours."
    : undefined;
}

/** Where the server was expected, for refused and unresolvable connections; else undefined. */
function connectionHint(error: ConnectionError): string | undefined {
  let url: URL;
  try {
    url = new URL(error.url);
  } catch {
    return undefined;
  }
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  if (error.failure === "refused" && LOOPBACK.test(url.hostname)) {
    return `Nothing is listening on ${url.hostname}:${port}: is tinkex serve running on port ${port}? ` +
      "Start it, or point --base-url (TINKER_BASE_URL) at the right port.";
  }
  if (error.failure === "refused") {
    return `${url.host} refused the connection: check --base-url (TINKER_BASE_URL) and the port.`;
  }
  if (error.failure === "unresolvable") {
    return `The host name ${url.hostname} does not resolve: check --base-url (TINKER_BASE_URL).`;
  }
  return undefined;
}

const LOOPBACK = /^(localhost|.*\.localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;

/** `<detail> (HTTP 404, request <id>)` when the body says what went wrong, else the full message. */
function statusMessage(error: ApiStatusError): string {
  const body = error.body as { detail?: unknown; message?: unknown; error?: unknown } | null;
  const said = [body?.detail, body?.message, body?.error].find((v) => typeof v === "string");
  if (typeof said !== "string" || said === "") return error.message;
  const request = error.requestId ? `, request ${error.requestId}` : "";
  return `${said.replace(/\.$/, "")} (HTTP ${error.status}${request})`;
}
