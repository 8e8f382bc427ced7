/**
 * The billing window rules of `GET /api/v1/billing/usage/events` (the SDK's
 * `GetBillingUsageRequest`): both ends on a UTC hour boundary, the end after the start, at most
 * 14 days apart, and the window not starting in the future. Shared by the client (which checks
 * before sending) and the local server (which answers 400).
 * @module
 */

/** The longest window: 14 days, in ms. */
export const MAX_BILLING_WINDOW_MS = 14 * 24 * 3600_000;

const HOUR_MS = 3600_000;

/** Parse an RFC 3339 time with a zone (`2026-07-13T00:00:00Z`); undefined when it is not one. */
export function parseRfc3339(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/
    .exec(text);
  if (!m) return undefined;
  // Each field in range (Date.parse takes 2026-02-30 for March 2nd, and 24:00:00).
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const fields = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (fields.getUTCDate() !== d || fields.getUTCMonth() !== mo - 1 || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** What is wrong with a window (times in epoch ms), or undefined when it is valid. */
export function billingWindowProblem(
  startingOn: number,
  endingBefore: number,
  now: number,
): string | undefined {
  if (startingOn % HOUR_MS !== 0) {
    return "starting_on must be on a UTC hour boundary (e.g. 13:00:00Z)";
  }
  if (endingBefore % HOUR_MS !== 0) {
    return "ending_before must be on a UTC hour boundary (e.g. 14:00:00Z)";
  }
  if (endingBefore <= startingOn) return "ending_before must be after starting_on";
  if (endingBefore - startingOn > MAX_BILLING_WINDOW_MS) {
    return "the window is longer than 14 days; ask for it in parts";
  }
  if (startingOn > now) return "the window starts in the future";
  return undefined;
}
