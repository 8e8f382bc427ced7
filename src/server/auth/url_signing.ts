/**
 * Signed archive URLs: HMAC-SHA256 over the object id and the expiry, with a per-server secret
 * persisted in the data directory (so URLs survive a restart).
 * @module
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../store/atomic_fs.ts";
import { fromBase64Url, toBase64Url, toHex } from "../store/encoding.ts";

const encoder = new TextEncoder();

/** Signs and verifies `(objectId, expires)` pairs. */
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

  /** The base64url signature of an object id and expiry (unix seconds). */
  async sign(objectId: string, expires: number): Promise<string> {
    const mac = await crypto.subtle.sign("HMAC", this.#key, message(objectId, expires));
    return toBase64Url(new Uint8Array(mac));
  }

  /** Whether `signature` is right for the object id and expiry (constant-time compare). */
  async verify(objectId: string, expires: number, signature: string): Promise<boolean> {
    const mac = fromBase64Url(signature);
    if (!mac || mac.length !== 32) return false;
    return await crypto.subtle.verify("HMAC", this.#key, mac, message(objectId, expires));
  }
}

function message(objectId: string, expires: number): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${objectId}\n${expires}`);
}
