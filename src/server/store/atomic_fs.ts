/**
 * Atomic file writes (temp file in the data dir, fsync, rename) and safe file names.
 * @module
 */
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { toBase64Url } from "./encoding.ts";

let counter = 0;

/** A fresh path in `tmpDir` for a file about to be renamed into place. */
export function tempPath(tmpDir: string, hint = "tmp"): string {
  counter = (counter + 1) % 1_000_000;
  return join(tmpDir, `${hint}.${Date.now().toString(36)}.${counter}.${crypto.randomUUID()}`);
}

/** Write `data` to `target` atomically: a crash leaves either the old or the new file. */
export async function writeFileAtomic(
  tmpDir: string,
  target: string,
  data: string | Uint8Array,
): Promise<void> {
  const tmp = tempPath(tmpDir, "write");
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  try {
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

/** Create directories (and parents) if missing. */
export async function ensureDirs(...dirs: string[]): Promise<void> {
  for (const dir of dirs) await mkdir(dir, { recursive: true });
}

/** Remove leftovers of interrupted writes. */
export async function clearDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}

/** A file-system-safe name for an id (base64url of its UTF-8 bytes) plus `ext`. */
export function fileNameFor(id: string, ext: string): string {
  return toBase64Url(new TextEncoder().encode(id)) + ext;
}
