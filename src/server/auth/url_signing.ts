/**
 * Signed archive URLs: HMAC-SHA256 over the object id, the expiry and the user it was issued to,
 * with a per-server secret persisted in the data directory (so URLs survive a restart). The user
 * is signed so that access can be checked again when the URL is used: a signature proves who
 * asked, not that they may still read.
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../store/atomic_fs.ts";
import { fromBase64Url, toBase64Url, toHex } from "../store/encoding.ts";

const encoder = new TextEncoder();

/** What a signed URL grants: one object, to one user, until an expiry (unix seconds). */
export interface Grant {
  objectId: string;
  expires: number;
  user: string;
}

/** Signs and verifies {@link Grant}s. */
export class UrlSigner {
  readonly #key: CryptoKey;

  private constructor(key: CryptoKey) {
    this.#key = key;
  }

  /** Load the secret from `<dataDir>/secret.key`, creating it on first use. */
  static async open(dataDir: string, tmpDir: string): Promise<UrlSigner> {
    const file = join(dataDir, "secret.key");
    let hex: string;
    try {
      hex = (await readFile(file, "utf8")).trim();
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw e;
      const raw = crypto.getRandomValues(new Uint8Array(32));
      hex = toHex(raw);
      await writeFileAtomic(tmpDir, file, hex);
    }
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file} is not a 64-digit hex secret`);
    const bytes = new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
    const key = await crypto.subtle.importKey(
      "raw",
      bytes,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    return new UrlSigner(key);
  }

  /** The base64url signature of a grant. */
  async sign(grant: Grant): Promise<string> {
    const mac = await crypto.subtle.sign("HMAC", this.#key, message(grant));
    return toBase64Url(new Uint8Array(mac));
  }

  /**
   * 6 bytes of HMAC over an API key (domain-separated from grants by a NUL, which no grant holds):
   * a user id that cannot be computed, nor guesses of the key tested, without the secret.
   */
  async userTag(apiKey: string): Promise<Uint8Array> {
    const mac = await crypto.subtle.sign("HMAC", this.#key, encoder.encode(`\0user-id\0${apiKey}`));
    return new Uint8Array(mac).slice(0, 6);
  }

  /** Whether `signature` is right for the grant (constant-time compare). */
  async verify(grant: Grant, signature: string): Promise<boolean> {
    const mac = fromBase64Url(signature);
    if (!mac || mac.length !== 32) return false;
    return await crypto.subtle.verify("HMAC", this.#key, mac, message(grant));
  }
}

function message(grant: Grant): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${grant.objectId}\n${grant.expires}\n${grant.user}`);
}
