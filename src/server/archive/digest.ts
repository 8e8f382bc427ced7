/**
 * The SHA-256 of an archive file, as RFC 9530 `Repr-Digest` sends it (`sha-256=:base64:`).
 * Archives carry it from their build (a digest file); for one built by an older server it is
 * computed once, from the handle the request already opened (a delete or overwrite racing the
 * request cannot make it fail: the path may be gone, the open file is not), and stored, so it is
 * paid once per archive, not once per process. Concurrent requests share one computation.
 * @module
 */
import { createHash } from "node:crypto";
import { type FileHandle, rm, stat } from "node:fs/promises";
import { type FileVersion, readDigestFile, sameVersion, writeDigestFile } from "./digest_file.ts";

/** Where an archive and its digest live. */
export interface DigestSource {
  /** The archive object's id. */
  objectId: string;
  /** Path of the archive (to check that the file there is still the one hashed). */
  archivePath: string;
  /** Path of its digest file. */
  digestPath: string;
  /** Temp directory for atomic writes. */
  tmpDir: string;
  /** Whether the object is still stored (a deleted object's digest is neither computed nor kept). */
  isStored: () => boolean;
}

const MAX_REMEMBERED = 1024;
const CHUNK_BYTES = 1024 * 1024;

/** The digests of one server's archives: the most recent file versions', or their computations. */
export class ArchiveDigests {
  readonly #digests = new Map<string, Promise<string | undefined>>();

  /**
   * The `Repr-Digest` value of the open archive `handle` (this `version` of `source`), or
   * undefined when it has none stored and its object went away meanwhile (the request is then
   * a 404, as it would be a moment later).
   */
  reprDigest(
    handle: FileHandle,
    version: FileVersion,
    source: DigestSource,
  ): Promise<string | undefined> {
    const key = `${source.objectId}\0${version.size}\0${Math.trunc(version.mtimeMs)}`;
    let digest = this.#digests.get(key);
    if (digest === undefined) {
      digest = digestOf(handle, version, source).then((b64) => b64 && `sha-256=:${b64}:`);
      const forget = (): void => void this.#digests.delete(key);
      digest.then((d) => d === undefined && forget(), forget);
      this.#digests.set(key, digest);
      if (this.#digests.size > MAX_REMEMBERED) {
        this.#digests.delete(this.#digests.keys().next().value!);
      }
    }
    return digest;
  }
}

async function digestOf(
  handle: FileHandle,
  version: FileVersion,
  source: DigestSource,
): Promise<string | undefined> {
  const stored = await readDigestFile(source.digestPath, version);
  if (stored !== undefined) return stored;
  if (!source.isStored()) return undefined;
  const sha256 = await sha256Of(handle, version.size);
  // Best effort: a full disk or a racing delete only means the next process hashes it again.
  await keepDigest(source, version, sha256).catch(() => {});
  return sha256;
}

/** Store a computed digest, if the file at the path is still the version hashed. */
async function keepDigest(
  source: DigestSource,
  version: FileVersion,
  sha256: string,
): Promise<void> {
  const current = await stat(source.archivePath).catch(() => undefined);
  if (!current || !sameVersion(current, version)) return;
  await writeDigestFile(source.tmpDir, source.digestPath, version, sha256);
  // A delete removes its object's files after committing: one that committed before this
  // check may have done so before the write above, so the digest file goes here.
  if (!source.isStored()) await rm(source.digestPath, { force: true });
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
