/**
 * The SHA-256 of an archive file, as RFC 9530 `Repr-Digest` sends it (`sha-256=:base64:`),
 * computed once per file version (object, size, mtime) and shared by concurrent requests.
 * It is read from the handle the request already opened, so a delete or overwrite racing the
 * request cannot make it fail (the path may be gone; the open file is not).
 * @module
 */
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";

/** Digests of the most recent file versions (oldest dropped first), or their computations. */
const digests = new Map<string, Promise<string>>();
const MAX_REMEMBERED = 1024;
const CHUNK_BYTES = 1024 * 1024;

/** The `Repr-Digest` value of the open file `handle` (object `objectId`, this size and mtime). */
export function reprDigest(
  handle: FileHandle,
  objectId: string,
  size: number,
  mtimeMs: number,
): Promise<string> {
  const key = `${objectId}\0${size}\0${mtimeMs}`;
  let digest = digests.get(key);
  if (digest === undefined) {
    digest = sha256Of(handle, size).then((b64) => `sha-256=:${b64}:`);
    digest.catch(() => digests.delete(key));
    digests.set(key, digest);
    if (digests.size > MAX_REMEMBERED) digests.delete(digests.keys().next().value!);
  }
  return digest;
}

/** Hash `size` bytes of `handle` with positioned reads (the handle's own position is untouched). */
async function sha256Of(handle: FileHandle, size: number): Promise<string> {
  const hash = createHash("sha256");
  const buf = new Uint8Array(CHUNK_BYTES);
  for (let position = 0; position < size;) {
    const { bytesRead } = await handle.read(
      buf,
      0,
      Math.min(buf.length, size - position),
      position,
    );
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    position += bytesRead;
  }
  return hash.digest("base64");
}
