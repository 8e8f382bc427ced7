/**
 * The stored SHA-256 of an archive (`digests/<object id>.json`): written when the archive is
 * built (hashed as its bytes go to disk) and trusted only for the file version it names (size
 * and mtime), so a digest that does not describe the file on disk is never served.
 * @module
 */
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../store/atomic_fs.ts";

/** What identifies one version of a file (enough for files the server never rewrites in place). */
export interface FileVersion {
  size: number;
  mtimeMs: number;
}

/** The content of a digest file. */
interface DigestRecord {
  /** Base64 SHA-256 of the whole file. */
  sha256: string;
  size: number;
  /** Whole milliseconds: Deno reports whole ones, Node fractions, of the same mtime. */
  mtime_ms: number;
}

/** Whether two stats describe the same file version. */
export function sameVersion(a: FileVersion, b: FileVersion): boolean {
  return a.size === b.size && Math.trunc(a.mtimeMs) === Math.trunc(b.mtimeMs);
}

/** Store `sha256` (base64) as the digest of `version`, atomically (old or new, never half). */
export async function writeDigestFile(
  tmpDir: string,
  path: string,
  version: FileVersion,
  sha256: string,
): Promise<void> {
  const record: DigestRecord = {
    sha256,
    size: version.size,
    mtime_ms: Math.trunc(version.mtimeMs),
  };
  await writeFileAtomic(tmpDir, path, JSON.stringify(record));
}

/**
 * The stored base64 SHA-256 of `version`; undefined when there is none (an archive built by an
 * older server), or the one there names another version or cannot be read.
 */
export async function readDigestFile(
  path: string,
  version: FileVersion,
): Promise<string | undefined> {
  let record: Partial<DigestRecord>;
  try {
    record = JSON.parse(await readFile(path, "utf8"));
  } catch {
    return undefined;
  }
  const valid = typeof record?.sha256 === "string" && /^[A-Za-z0-9+/]{43}=$/.test(record.sha256) &&
    typeof record.size === "number" && typeof record.mtime_ms === "number";
  if (!valid || !sameVersion({ size: record.size!, mtimeMs: record.mtime_ms! }, version)) {
    return undefined;
  }
  return record.sha256;
}
