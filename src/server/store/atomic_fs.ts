/**
 * Atomic file writes (temp file in the data dir, fsync, rename), owner-only modes, removing
 * leftovers, and safe file names.
 * @module
 */
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { toBase64Url } from "./encoding.ts";

let counter = 0;

/** A fresh path in `tmpDir` for a file about to be renamed into place. */
export function tempPath(tmpDir: string, hint = "tmp"): string {
  counter = (counter + 1) % 1_000_000;
  return join(tmpDir, `${hint}.${Date.now().toString(36)}.${counter}.${crypto.randomUUID()}`);
}

/** Mode of every file the server writes: owner only (archives and the URL secret are private). */
export const FILE_MODE = 0o600;
/** Mode of every directory the server creates. */
export const DIR_MODE = 0o700;

/**
 * Write `data` to `target` atomically: a crash leaves either the old or the new file, and a
 * failed write (e.g. a full disk) leaves no temp file behind.
 */
export async function writeFileAtomic(
  tmpDir: string,
  target: string,
  data: string | Uint8Array,
): Promise<void> {
  const tmp = tempPath(tmpDir, "write");
  try {
    const handle = await open(tmp, "w", FILE_MODE);
    try {
      await handle.writeFile(data);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Read and parse every `*.json` file of a directory (missing directory → none). */
export async function readJsonDir<T>(dir: string): Promise<T[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return [];
    throw e;
  }
  const out: T[] = [];
  for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
    const file = join(dir, name);
    try {
      out.push(JSON.parse(await readFile(file, "utf8")) as T);
    } catch (e) {
      throw new Error(
        `Cannot read the data directory: ${file} is not valid JSON (${(e as Error).message})`,
      );
    }
  }
  return out;
}

/** Create directories (and parents) if missing, owner-only. */
export async function ensureDirs(...dirs: string[]): Promise<void> {
  for (const dir of dirs) await mkdir(dir, { recursive: true, mode: DIR_MODE });
}

/** What removing leftovers freed. */
export interface Reclaimed {
  files: number;
  bytes: number;
}

/** Remove every file of `dir` (leftovers of interrupted writes) except those `keep` names. */
export async function removeFilesIn(
  dir: string,
  keep: (name: string) => boolean = () => false,
): Promise<Reclaimed> {
  const out: Reclaimed = { files: 0, bytes: 0 };
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (keep(entry.name)) continue;
    const path = join(dir, entry.name);
    const size = await sizeOf(path);
    await rm(path, { recursive: true, force: true });
    out.files++;
    out.bytes += size;
  }
  return out;
}

/** Bytes of a file, or of every file under a directory (an external checkpoint's, a copy's). */
async function sizeOf(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) return info?.isFile() ? info.size : 0;
  let total = 0;
  for (const name of await readdir(path).catch(() => [])) total += await sizeOf(join(path, name));
  return total;
}

/** Whether `e` is the file system saying it has no room (no space left, or quota exceeded). */
export function isDiskFull(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT" ||
    (e instanceof Error && /\bENOSPC\b|no space left on device/i.test(e.message));
}

/** A file-system-safe name for an id (base64url of its UTF-8 bytes) plus `ext`. */
export function fileNameFor(id: string, ext: string): string {
  return toBase64Url(new TextEncoder().encode(id)) + ext;
}
