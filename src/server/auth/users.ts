/**
 * Users and authentication: each API key is one user, identified by a short HMAC of the key under
 * the server's secret (stable across restarts of one data directory; the key itself is never
 * stored or logged). The id is shown to others (`model_owner`, the `user` of signed URLs), so it
 * must not let anyone test guesses of the key: a plain hash of a short key would.
 * @module
 */
import { toHex } from "../store/encoding.ts";
import { HttpError } from "../http/responses.ts";
import type { UrlSigner } from "./url_signing.ts";

/** The users of a server, by API key. */
export class Users {
  readonly #byKey: Map<string, string>;

  private constructor(byKey: Map<string, string>) {
    this.#byKey = byKey;
  }

  /** Build from the API keys, with ids keyed by the server's secret. */
  static async fromKeys(keys: string[], signer: UrlSigner): Promise<Users> {
    const map = new Map<string, string>();
    for (const key of keys) map.set(key, "user-" + toHex(await signer.userTag(key)));
    return new Users(map);
  }

  /**
   * The ids earlier versions gave the current keys (a plain SHA-256 of the key), mapped to the
   * ids they have now: the owners of records in an older data directory are renamed with it.
   */
  async legacyIds(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const [key, id] of this.#byKey) out.set(await legacyUserIdOf(key), id);
    return out;
  }

  /** The user id of a key, if it is one of ours. */
  idOf(key: string): string | undefined {
    return this.#byKey.get(key);
  }

  /** Whether `id` is the user of one of the current keys. */
  has(id: string): boolean {
    for (const known of this.#byKey.values()) if (known === id) return true;
    return false;
  }

  /** User ids in key order. */
  ids(): string[] {
    return [...this.#byKey.values()];
  }

  /** The user making `request` (from `X-API-Key`), or a 401. */
  authenticate(request: Request): string {
    const key = request.headers.get("x-api-key");
    if (key === null || key === "") {
      throw new HttpError(401, "Missing API key: send it in the X-API-Key header");
    }
    const user = this.#byKey.get(key);
    if (!user) throw new HttpError(401, "Invalid API key: this server does not know it");
    return user;
  }
}

/** The id earlier versions used: `user-` + the first 12 hex digits of SHA-256(key). */
async function legacyUserIdOf(key: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)),
  );
  return "user-" + toHex(digest.slice(0, 6));
}
