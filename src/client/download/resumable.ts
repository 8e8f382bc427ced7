/**
 * A failure a download may resume from (internal): why, how long to wait, and what to throw
 * once the attempts run out.
 * @module
 */

/** A failure the fetcher may resume from; `final` is what to throw once attempts run out. */
export class Resumable extends Error {
  /** Why the request failed (e.g. `the connection broke`), for `onResume`. */
  readonly reason: string;
  /** The error to throw when no more attempts are allowed. */
  readonly final: Error;
  /** Wait before the next attempt (the server's `Retry-After`), when known. */
  readonly delayMs?: number;
  /** Dropped by the throughput rule (not broken). */
  readonly slow: boolean;

  /** Describe a resumable failure. */
  constructor(reason: string, final: Error, delayMs?: number, slow = false) {
    super(reason);
    this.reason = reason;
    this.final = final;
    this.delayMs = delayMs;
    this.slow = slow;
  }
}
