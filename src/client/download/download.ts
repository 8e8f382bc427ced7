/**
 * `download()`: a checkpoint's archive extracted onto disk, streaming, into a temporary
 * directory that is renamed into place only once everything arrived and was verified.
 * The file system is reached only when called (`file_system.ts`), so this module loads and
 * bundles where there is none.
 * @module
 */
import { resolveConfig, type TinkerConfig } from "../config.ts";
import { DestinationExistsError } from "../errors.ts";
import { throwIfAborted } from "../http/abort.ts";
import { downloadDirName, parseTinkerPath } from "../../protocol/paths.ts";
import { type ArchiveStreamOptions, openArchiveStream } from "./archive_stream.ts";
import { BUFFER_POOL, BufferPool, type PooledOptions } from "./buffer_pool.ts";
import { archiveEntries, type ArchiveEntry } from "./entries.ts";
import type { ArchiveLimits } from "./entry_guard.ts";
import type { DownloadProgress, ProgressCallback } from "./progress.ts";
import { extractExternal } from "./external_files.ts";
import { builtinModule } from "./file_system.ts";

/** The part of `node:fs/promises` used here (typed locally: no static `node:` reference). */
interface Fs {
  lstat(path: string): Promise<unknown>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<unknown>;
  mkdtemp(prefix: string): Promise<string>;
  open(path: string, flags: string, mode?: number): Promise<FileHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
}

/** The part of a `node:fs/promises` file handle used here. */
interface FileHandle {
  write(data: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  close(): Promise<void>;
}

/** The part of `node:path` used here. */
interface Path {
  resolve(...paths: string[]): string;
  join(...paths: string[]): string;
  dirname(path: string): string;
}

/** Options of {@link download}. */
export interface DownloadOptions
  extends Omit<ArchiveStreamOptions, "onProgress" | "progressIntervalMs">, ArchiveLimits {
  /** Where to create `<run>_<kind>_<name>` (default: the current directory; created if missing). */
  outputDir?: string;
  /** Replace an existing destination (only once the new download is complete). */
  force?: boolean;
  /** Progress: `resolving` first, then `downloading` (at most 10 per second), `verifying`, `done`. */
  onProgress?: ProgressCallback;
}

/** One extracted file. */
export interface DownloadedFile {
  /** Path relative to the destination, with `/` separators. */
  path: string;
  /** Size in bytes. */
  size: number;
}

/** What {@link download} produced. */
export interface DownloadResult {
  /** Absolute path of the extracted checkpoint directory. */
  destination: string;
  /** The regular files extracted, in archive order. */
  files: DownloadedFile[];
  /** Archive bytes received (as sent: compressed when the archive is gzipped). */
  bytes: number;
}

/**
 * Download a checkpoint and extract it to `<outputDir>/<run>_<kind>_<name>`, as the official
 * clients name it. Bytes flow from the network through gzip detection and the tar decoder
 * straight to disk; broken or stalled connections resume where they stopped; hostile members
 * are refused; lengths, members and the end-of-archive marker are verified. Until the very
 * end everything goes to a hidden temporary directory beside the destination, so on failure or
 * abort the destination is untouched and nothing is left behind. An external checkpoint
 * (`external_weights`, a set of files) is fetched file by file from its signed URLs, four at a
 * time, each resumable and verified the same way, into the same kind of destination.
 *
 * @example
 * ```ts
 * import { configFromEnv, download } from "@tinkex/tinkex";
 * const result = await download(configFromEnv(), "tinker://run-1:train:0/sampler_weights/final", {
 *   outputDir: "./checkpoints",
 *   onProgress: (p) => console.error(p.phase, p.percent?.toFixed(1) ?? "", p.entry ?? ""),
 * });
 * console.log(result.destination, result.files.length, result.bytes);
 * ```
 * @throws {DestinationExistsError} before any request when the destination exists and `force`
 *   is not set.
 * @throws {UnsafeArchiveError} when the archive holds a dangerous member or exceeds a limit.
 * @throws {IntegrityError} when the archive arrived incomplete or inconsistent.
 * @throws {AbortError} when `signal` aborts.
 */
export async function download(
  config: TinkerConfig,
  path: string,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  const name = downloadDirName(path);
  resolveConfig(config);
  const fs = builtinModule<Fs>("node:fs/promises");
  const paths = builtinModule<Path>("node:path");
  const outputDir = paths.resolve(opts.outputDir ?? ".");
  const destination = paths.join(outputDir, name);
  if (!opts.force && await exists(fs, destination)) throw new DestinationExistsError(destination);
  throwIfAborted(opts.signal);
  await fs.mkdir(outputDir, { recursive: true });
  const temp = await fs.mkdtemp(paths.join(outputDir, `.${name}.tinkex-tmp-`));
  try {
    const extracted = await extract(config, path, temp, fs, paths, opts);
    throwIfAborted(opts.signal);
    await place(fs, temp, destination, opts.force === true);
    try {
      opts.onProgress?.({ ...extracted.last, phase: "done", entry: undefined });
    } catch {
      // A failing progress callback must not break the download.
    }
    return { destination, files: extracted.files, bytes: extracted.last.transferredBytes };
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
  }
}

/** The outcome of streaming the archive into the temporary directory. */
export interface Extracted {
  files: DownloadedFile[];
  /** The last progress report (`verifying`, with the final byte count). */
  last: DownloadProgress;
}

/** Writes one checked member (and its parent directories) into the destination being built. */
export type WriteMember = (member: ArchiveEntry, pool: BufferPool) => Promise<void>;

async function extract(
  config: TinkerConfig,
  path: string,
  root: string,
  fs: Fs,
  paths: Path,
  opts: DownloadOptions,
): Promise<Extracted> {
  const dirs = new Set([root]);
  if (parseTinkerPath(path).kind === "external_weights") {
    // A set of files, each from its own signed URL, instead of one archive.
    const writeMember: WriteMember = (m, pool) => write(fs, paths, root, m, pool, dirs);
    return await extractExternal(config, path, writeMember, opts);
  }
  let last: DownloadProgress = { phase: "resolving", transferredBytes: 0 };
  let entry: string | undefined;
  // Read buffers are recycled once written: memory stays flat whatever the archive's size.
  const pool = new BufferPool();
  const streamOpts: ArchiveStreamOptions & PooledOptions = {
    ...opts,
    // The stream throttles `downloading` reports, adds `percent` and ignores the callback's
    // exceptions; here the phase is renamed and the current entry added.
    onProgress: (p) => {
      // The stream's own "done" becomes our "verifying": the files are not in place yet.
      last = { ...p, phase: p.phase === "done" ? "verifying" : p.phase, entry };
      opts.onProgress?.({ ...last });
    },
    [BUFFER_POOL]: pool,
  };
  const stream = openArchiveStream(config, path, streamOpts);
  const files: DownloadedFile[] = [];
  for await (const member of archiveEntries(stream, opts)) {
    entry = member.path;
    await write(fs, paths, root, member, pool, dirs);
    if (member.type === "file") files.push({ path: member.path, size: member.size });
  }
  return { files, last };
}

/**
 * Write one checked member under `root` (its path is already known to stay inside). Each chunk
 * written frees the read buffers before it for reuse. `dirs` holds the directories made so far
 * (and `root`), so a directory is created once, not once per file in it.
 */
async function write(
  fs: Fs,
  paths: Path,
  root: string,
  member: ArchiveEntry,
  pool: BufferPool,
  dirs: Set<string>,
): Promise<void> {
  const target = paths.join(root, ...member.path.split("/"));
  const dir = member.type === "directory" ? target : paths.dirname(target);
  if (!dirs.has(dir)) {
    await fs.mkdir(dir, { recursive: true });
    dirs.add(dir);
  }
  if (member.type === "directory") {
    await member.body.cancel();
    return;
  }
  // "wx": never follow or overwrite anything that is already there.
  const file = await fs.open(target, "wx", 0o644);
  try {
    for await (const chunk of member.body) {
      let written = 0;
      while (written < chunk.length) {
        const { bytesWritten } = await file.write(chunk, written, chunk.length - written);
        written += bytesWritten;
      }
      pool.releaseBefore(chunk.buffer);
    }
  } finally {
    await file.close();
  }
}

/**
 * Move the complete temporary directory to the destination. With `force`, the old directory
 * is moved aside first and removed only after the new one is in place (restored on failure).
 */
async function place(fs: Fs, temp: string, destination: string, force: boolean): Promise<void> {
  if (!(await exists(fs, destination))) {
    await fs.rename(temp, destination);
    return;
  }
  if (!force) throw new DestinationExistsError(destination);
  const aside = `${temp}-old`;
  await fs.rename(destination, aside);
  try {
    await fs.rename(temp, destination);
  } catch (e) {
    await fs.rename(aside, destination).catch(() => {});
    throw e;
  }
  await fs.rm(aside, { recursive: true, force: true });
}

async function exists(fs: Fs, path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return false;
    throw e;
  }
}
