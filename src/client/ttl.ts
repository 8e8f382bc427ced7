/**
 * The client side of the TTL rule: out-of-range TTLs are refused before any request.
 * @module
 */
import { ttlProblem } from "../protocol/ttl.ts";

/** Throw a `RangeError` ("Cannot <action>: …") unless `ttl` is undefined, null or in range. */
export function checkTtl(ttl: number | null | undefined, action: string): void {
  if (ttl === undefined || ttl === null) return;
  const problem = ttlProblem(ttl);
  if (problem) {
    throw new RangeError(
      `Cannot ${action}: ${problem}; give a whole number of seconds in that range, or no TTL`,
    );
  }
}
