/**
 * Users and authentication: each API key is one user, identified by a short hash of the key
 * (stable across restarts, and the key itself is never stored or logged).
 * @module
 */
import { toHex } from "../store/encoding.ts";
import { HttpError } from "../http/responses.ts";

/** The users of a server, by API key. */
export class Users {
  readonly #byKey: Map<string, string>;

  private constructor(byKey: Map<string, string>) {
    this.#byKey = byKey;
  }

  /** Build from the API keys. */
  static async fromKeys(keys: string[]): Promise<Users> {
    const map = new Map<string, string>();
    for (const key of keys) map.set(key, await userIdOf(key));
    return new Users(map);
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

/** `user-` + the first 12 hex digits of SHA-256(key). */
async function userIdOf(key: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)),
  );
  return "user-" + toHex(digest.slice(0, 6));
}
