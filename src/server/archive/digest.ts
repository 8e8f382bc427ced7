/**
 * The SHA-256 of an archive file, as RFC 9530 `Repr-Digest` sends it (`sha-256=:base64:`),
 * computed once per file version (path, size, mtime) and shared by concurrent requests.
 * @module
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

/** Files hashed so far: key → digest (or its computation). Archives are few; kept for good. */
const digests = new Map<string, Promise<string>>();
const CHUNK_BYTES = 1024 * 1024;

/** The `Repr-Digest` value of the file at `path` with this size and mtime. */
export function reprDigest(path: string, size: number, mtimeMs: number): Promise<string> {
  const key = `${path}\0${size}\0${mtimeMs}`;
  let digest = digests.get(key);
  if (digest === undefined) {
    digest = sha256File(path).then((b64) => `sha-256=:${b64}:`);
    digest.catch(() => digests.delete(key));
    digests.set(key, digest);
  }
  return digest;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  const file = await open(path, "r");
  try {
    const buf = new Uint8Array(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return hash.digest("base64");
}
