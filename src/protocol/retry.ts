/**
 * Retry policy of the official SDKs: which failures are retried and how long to wait.
 * @module
 */

/** Longest server-requested delay honoured (60 s); longer values fall back to backoff. */
const MAX_RETRY_AFTER_MS = 60_000;

/** Whether a status is retried when the server gives no `x-should-retry`. 409 is not (ours). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The server's `x-should-retry` verdict, or undefined when absent. */
export function serverRetryVerdict(headers: Headers): boolean | undefined {
  const v = headers.get("x-should-retry")?.trim().toLowerCase();
  if (v === "true") return true;
  if (v === "false") return false;
  return undefined;
}

/**
 * The delay the server asks for through `retry-after-ms` or `retry-after` (seconds or an
 * HTTP-date), when it lies in (0, 60] s.
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "") {
    const n = Number(ms);
    if (Number.isFinite(n) && n > 0 && n <= MAX_RETRY_AFTER_MS) return n;
  }
  const ra = headers.get("retry-after");
  if (ra !== null && ra.trim() !== "") {
    const secs = Number(ra);
    const delay = Number.isFinite(secs) ? secs * 1000 : Date.parse(ra) - now;
    if (Number.isFinite(delay) && delay > 0 && delay <= MAX_RETRY_AFTER_MS) return delay;
  }
  return undefined;
}

/** Exponential backoff with jitter: `min(initial·2^n, max) × [0.75, 1.0]`. */
export function backoffDelayMs(
  retryIndex: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(initialMs * 2 ** retryIndex, maxMs);
  return base * (1 - 0.25 * random());
}
