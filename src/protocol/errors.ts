/**
 * The base of the tinkex error hierarchy and the facts every layer shares: who is at fault, and
 * which tinker paths are invalid. Every error tinkex throws is a {@link TinkerError}.
 * @module
 */

/** Who is at fault: the caller (`user`), the service (`server`), or not known. */
export type ErrorCategory = "user" | "server" | "unknown";

/**
 * Base class of every error tinkex throws.
 *
 * @example
 * ```ts
 * import { getTrainingRun, TinkerError } from "@tinkex/tinkex";
 * try {
 *   await getTrainingRun({ apiKey: "tml-x", baseUrl: "http://127.0.0.1:1" }, "r", { maxRetries: 0 });
 * } catch (e) {
 *   if (e instanceof TinkerError) console.error(e.message);
 * }
 * ```
 */
export class TinkerError extends Error {
  /** Who is at fault. */
  readonly category: ErrorCategory;
  /** Build an error with a message, an optional cause and a category. */
  constructor(message: string, options: { cause?: unknown; category?: ErrorCategory } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.category = options.category ?? "unknown";
  }
}

/**
 * A string is not a valid tinker path; the message says which part is wrong.
 *
 * @example
 * ```ts
 * import { InvalidTinkerPathError, parseTinkerPath } from "@tinkex/tinkex";
 * try { parseTinkerPath("s3://x"); } catch (e) { console.log(e instanceof InvalidTinkerPathError); }
 * ```
 */
export class InvalidTinkerPathError extends TinkerError {
  /** The offending path. */
  readonly path: string;
  /** Why it is invalid. */
  readonly reason: string;
  /** Build from the path and the reason. */
  constructor(path: string, reason: string) {
    super(`Invalid tinker path: ${path}: ${reason}`, { category: "user" });
    this.path = path;
    this.reason = reason;
  }
}

/**
 * The category of an HTTP status: 4xx → `user`, 5xx → `server`, else `unknown`.
 */
export function categoryOfStatus(status: number): ErrorCategory {
  if (status >= 400 && status < 500) return "user";
  if (status >= 500) return "server";
  return "unknown";
}
