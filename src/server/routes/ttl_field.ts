/**
 * `ttl_seconds` as the service checks it (protocol §9): malformed values are a 422, whole numbers
 * outside one hour to ten years a 400 with the service's wording.
 * @module
 */
import { ttlProblem } from "../../protocol/ttl.ts";
import type { JsonObject } from "../http/input.ts";
import { badRequest, unprocessable } from "../http/responses.ts";

/** A `ttl_seconds` as sent: absent or null (no TTL), or an integer not yet range-checked. */
export function ttlShape(body: JsonObject, positive: "400" | "422"): number | null {
  const v = body.ttl_seconds;
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw unprocessable(`Field "ttl_seconds" must be an integer number of seconds, or null`);
  }
  if (v <= 0) {
    // Older service versions documented "400 if ttl_seconds <= 0" for set-TTL only.
    const message = `Field "ttl_seconds" must be positive, got ${v}; send null for no TTL`;
    throw positive === "400" ? badRequest(message) : unprocessable(message);
  }
  return v;
}

/** Range-check a TTL shaped by {@link ttlShape}: a 400 when outside [min, ten years]. */
export function checkTtlRange(ttl: number | null, min: number): void {
  if (ttl === null) return;
  const problem = ttlProblem(ttl, min);
  if (problem) throw badRequest(problem);
}

/** {@link ttlShape} then {@link checkTtlRange}, for requests with no access check in between. */
export function ttlField(body: JsonObject, min: number): number | null {
  const ttl = ttlShape(body, "422");
  checkTtlRange(ttl, min);
  return ttl;
}
