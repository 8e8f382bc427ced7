/**
 * The API-key rule of the official SDKs: keys start with `tml-` (or `eyJ` for a JWT), and a
 * malformed key is refused before anything is sent.
 * @module
 */

/**
 * Check a key's shape before anything is sent: Tinker keys start with `tml-`, JWTs with `eyJ`.
 */
export function isValidApiKey(key: unknown): key is string {
  return typeof key === "string" && (key.startsWith("tml-") || key.startsWith("eyJ")) &&
    key.length > 4 && !/\s/.test(key);
}
