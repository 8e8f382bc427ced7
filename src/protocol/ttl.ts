/**
 * The TTL rule of the service (protocol §9): a checkpoint's `ttl_seconds`, on a save, a copy or
 * a set-TTL, must be between one hour and ten years.
 * @module
 */

/**
 * The shortest TTL the service accepts: 3600 s (one hour).
 *
 * @example
 * ```ts
 * import { MIN_TTL_SECONDS, setCheckpointTtl } from "@tinkex/tinkex";
 * await setCheckpointTtl({ apiKey: "tml-…" }, "tinker://r/weights/a", MIN_TTL_SECONDS);
 * ```
 */
export const MIN_TTL_SECONDS = 3600;
/**
 * The longest TTL the service accepts: 315,360,000 s (ten years of 365 days).
 *
 * @example
 * ```ts
 * import { MAX_TTL_SECONDS } from "@tinkex/tinkex";
 * console.log(MAX_TTL_SECONDS / (365 * 86_400)); // 10
 * ```
 */
export const MAX_TTL_SECONDS = 315_360_000;

/**
 * Why `ttl` is not an acceptable TTL (a whole number of seconds within
 * [{@link MIN_TTL_SECONDS}, {@link MAX_TTL_SECONDS}]), or undefined when it is.
 * `min` lowers the bound (only the local server does, to let tests see expiry).
 */
export function ttlProblem(ttl: unknown, min: number = MIN_TTL_SECONDS): string | undefined {
  if (typeof ttl === "number" && Number.isInteger(ttl) && ttl >= min && ttl <= MAX_TTL_SECONDS) {
    return undefined;
  }
  return `ttl_seconds must be between ${min} (${
    min === MIN_TTL_SECONDS ? "1 hour" : `${min} s`
  }) and ${MAX_TTL_SECONDS} (10 years), got ${typeof ttl === "number" ? ttl : JSON.stringify(ttl)}`;
}
