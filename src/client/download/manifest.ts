/**
 * The manifest a completed download leaves in its destination (`.tinkex-manifest.json`): where
 * it came from, the archive's validator, size and digest, the selection, and every file's size.
 * It makes repeated downloads free ({@link download} skips a matching destination) and lets
 * {@link verifyDownload} check a destination later.
 * @module
 */
import { IntegrityError } from "../errors.ts";
import { type LocalFs, localSystem } from "../local/system.ts";
import type { DownloadedFile } from "./download.ts";
import type { MemberSelection } from "./select.ts";

/** The manifest's file name inside a destination. */
export const MANIFEST_FILE = ".tinkex-manifest.json";

/** What `.tinkex-manifest.json` holds (field names as written). */
export interface DownloadManifest {
  /** Format version (1). */
  tinkex_manifest: 1;
  /** The checkpoint's tinker path. */
  tinker_path: string;
  /** The archive's validator (strong ETag or Last-Modified), when the store sent one. */
  validator?: string;
  /** The archive's size in bytes. */
  archive_bytes: number;
  /** The store's digest of the whole archive (`sha-256=…` from `Repr-Digest`, `md5=…` from GCS). */
  archive_digest?: string;
  /** The `include` patterns used (absent: everything). */
  include?: string[];
  /** The `exclude` patterns used. */
  exclude?: string[];
  /** The files extracted, in archive order, with their sizes. */
  files: DownloadedFile[];
  /** When the download completed (ISO 8601). */
  completed_at: string;
}

/** The part of the local file system used here. */
type Fs = Pick<LocalFs, "readFile" | "writeFile" | "lstat" | "readdir">;

/** Write the manifest into `dir`. */
export async function writeManifest(
  fs: Fs,
  dir: string,
  manifest: DownloadManifest,
): Promise<void> {
  await fs.writeFile(`${dir}/${MANIFEST_FILE}`, JSON.stringify(manifest, null, 1) + "\n", {
    mode: 0o644,
  });
}

/** The manifest in `dir`, or undefined when there is none (or it is not one of ours). */
export async function readManifest(fs: Fs, dir: string): Promise<DownloadManifest | undefined> {
  let text: string;
  try {
    text = await fs.readFile(`${dir}/${MANIFEST_FILE}`, "utf8");
  } catch {
    return undefined;
  }
  try {
    const m = JSON.parse(text) as DownloadManifest;
    if (m?.tinkex_manifest !== 1 || typeof m.tinker_path !== "string" || !Array.isArray(m.files)) {
      return undefined;
    }
    // A manifest edited to point outside the destination is not one a download wrote.
    return m.files.every(isMemberFile) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** A file entry as a download writes it: a relative path inside the destination and a size. */
function isMemberFile(f: unknown): boolean {
  const { path, size } = (f ?? {}) as Partial<DownloadedFile>;
  return typeof path === "string" && typeof size === "number" && path !== "" &&
    !path.startsWith("/") && path.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

/** Whether a manifest records this checkpoint downloaded with this selection. */
export function manifestMatches(
  m: DownloadManifest,
  path: string,
  selection: MemberSelection,
): boolean {
  return m.tinker_path === path && sameSelection(m, selection);
}

/** Whether two selections have the same patterns. */
export function sameSelection(a: MemberSelection, b: MemberSelection): boolean {
  return samePatterns(a.include, b.include) && samePatterns(a.exclude, b.exclude);
}

function samePatterns(a: string[] | undefined, b: string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((p, i) => p === y[i]);
}

/** What {@link verifyDownload} found. */
export interface VerifyResult {
  /** True when every file of the manifest is there with its size and nothing else is. */
  ok: boolean;
  /** The destination checked (absolute). */
  destination: string;
  /** The manifest read from it. */
  manifest: DownloadManifest;
  /** Files of the manifest that are not there (or not as regular files: a symlink counts). */
  missing: string[];
  /** Files whose size differs from the manifest's. */
  wrongSize: { path: string; expected: number; actual: number }[];
  /** Files there that the manifest does not list. */
  extra: string[];
}

/**
 * Check a downloaded checkpoint directory against the manifest its download left there: every
 * file present with the size the archive declared, and no file the archive did not have.
 *
 * @example
 * ```ts
 * import { verifyDownload } from "@tinkex/tinkex";
 * const check = await verifyDownload("./checkpoints/run-1:train:0_weights_final");
 * if (!check.ok) console.error("missing", check.missing, "changed", check.wrongSize);
 * ```
 * @throws {IntegrityError} when the directory has no readable manifest.
 */
export async function verifyDownload(dir: string): Promise<VerifyResult> {
  const { fs, path } = localSystem(`Cannot verify ${dir}`);
  const destination = path.resolve(dir);
  const manifest = await readManifest(fs, destination);
  if (manifest === undefined) {
    throw new IntegrityError(
      `Cannot verify ${destination}: it has no ${MANIFEST_FILE} (it was not downloaded by ` +
        "tinkex, or the manifest was removed); download it again with force",
    );
  }
  const missing: string[] = [];
  const wrongSize: VerifyResult["wrongSize"] = [];
  for (const f of manifest.files) {
    try {
      // Not followed: a symlink put in a file's place is not the file the archive had.
      const info = await fs.lstat(`${destination}/${f.path}`);
      if (!info.isFile()) missing.push(f.path);
      else if (info.size !== f.size) {
        wrongSize.push({ path: f.path, expected: f.size, actual: info.size });
      }
    } catch {
      missing.push(f.path);
    }
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  const extra = (await filesUnder(fs, destination, "")).filter((p) =>
    p !== MANIFEST_FILE && !listed.has(p)
  );
  const ok = missing.length === 0 && wrongSize.length === 0 && extra.length === 0;
  return { ok, destination, manifest, missing, wrongSize, extra };
}

/** Whether `files` are all in `dir` with their sizes (a quick check, no reads). */
export async function filesMatch(fs: Fs, dir: string, files: DownloadedFile[]): Promise<boolean> {
  for (const f of files) {
    try {
      const info = await fs.lstat(`${dir}/${f.path}`);
      if (!info.isFile() || info.size !== f.size) return false;
    } catch {
      return false;
    }
  }
  return true;
}

async function filesUnder(fs: Fs, root: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(prefix ? `${root}/${prefix}` : root, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...await filesUnder(fs, root, rel));
    else out.push(rel);
  }
  return out;
}
