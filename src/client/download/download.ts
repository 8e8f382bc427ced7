/**
 * `download()`: a checkpoint's archive extracted onto disk, streaming, into a temporary
 * directory that is renamed into place only once everything arrived and was verified. The file
 * system is reached only through `disk.ts`, when called, so this module loads and bundles where
 * there is none.
 * @module
 */
import { resolveConfig, type TinkerConfig } from "../config.ts";
import { DestinationExistsError, TinkerError, UnsafeArchiveError } from "../errors.ts";
import { throwIfAborted } from "../http/abort.ts";
import { downloadDirName, parseTinkerPath } from "../../protocol/paths.ts";
import {
  archiveByteStream,
  type ArchiveStreamOptions,
  DEFAULT_MAX_RESUME_ATTEMPTS,
  UnverifiableResumeError,
} from "./archive_stream.ts";
import { BufferPool } from "./buffer_pool.ts";
import { codeOf, Disk, fsError } from "./disk.ts";
import { archiveEntries, type ArchiveEntry } from "./entries.ts";
import { extractExternal } from "./external_files.ts";
import type { ArchiveLimits } from "./entry_guard.ts";
import { fitName, shortHash, tempName, tempOwnerOf, tempPrefix } from "./names.ts";
import { type ProgressCallback, type ProgressSink, ProgressThrottle } from "./progress.ts";

/** Options of {@link download}. */
export interface DownloadOptions
  extends Omit<ArchiveStreamOptions, "onProgress" | "progressIntervalMs">, ArchiveLimits {
  /**
   * Where to create `<run>_<kind>_<name>` (default: the current directory; created if missing,
   * and removed again if the download fails and it was created by this call).
   */
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
 * clients name it (a name over 255 bytes is shortened: its prefix plus a hash). Bytes flow from
 * the network through gzip detection and the tar decoder straight to disk; broken or stalled
 * connections resume where they stopped (or start over when the server gives no validator);
 * hostile members are refused; lengths, members and the end-of-archive marker are verified.
 * Until the very end everything goes to a hidden temporary directory beside the destination, so
 * on failure or abort the destination is untouched and nothing is left behind. An external
 * checkpoint (`external_weights`, a set of files) is fetched file by file from its signed URLs,
 * four at a time, each resumable and verified the same way, into the same kind of destination.
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
 *   is not set (or when another download put it there first).
 * @throws {UnsafeArchiveError} when the archive holds a dangerous member or exceeds a limit.
 * @throws {IntegrityError} when the archive arrived incomplete or inconsistent.
 * @throws {FileSystemError} when the disk refuses (permission, read-only, full, …).
 * @throws {UnsafeUrlError} when the service hands out an archive URL tinkex does not fetch.
 * @throws {AbortError} when `signal` aborts; {@link TimeoutError} when `deadlineMs` passes.
 */
export async function download(
  config: TinkerConfig,
  path: string,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  return await downloadWith(config, path, opts, { pool: new BufferPool() });
}

/** What {@link download} is built on (internal: tests pass their own pool to watch it). */
export interface DownloadDeps {
  /** Read buffers, recycled once their bytes are on disk. */
  pool: BufferPool;
}

/** {@link download} with its internal dependencies made explicit (not exported). */
export async function downloadWith(
  config: TinkerConfig,
  path: string,
  opts: DownloadOptions,
  deps: DownloadDeps,
): Promise<DownloadResult> {
  const name = await fitName(downloadDirName(path));
  resolveConfig(config);
  const disk = Disk.open();
  const outputDir = disk.resolve(opts.outputDir ?? ".");
  const destination = disk.join(outputDir, name);
  if (!opts.force && await disk.exists(destination)) throw new DestinationExistsError(destination);
  throwIfAborted(opts.signal);
  const created = await disk.makeDirs(outputDir, "create the output directory");
  let placed = false;
  try {
    const owner = { pid: disk.pid, host: await shortHash(disk.host, 6) };
    const prefix = await tempPrefix(name);
    await reclaimStale(disk, outputDir, prefix, owner.host);
    const result = await downloadOnce(config, path, opts, deps, {
      disk,
      outputDir,
      destination,
      temp: () => disk.join(outputDir, tempName(prefix, owner)),
    });
    placed = true;
    return result;
  } finally {
    // An output directory this call created goes again when nothing was placed in it.
    if (!placed && created !== undefined) await disk.removeEmptyDirs(outputDir, created);
  }
}

/** Where one download goes. */
interface Target {
  disk: Disk;
  outputDir: string;
  destination: string;
  /** A fresh temporary directory path (not yet created). */
  temp: () => string;
}

/**
 * Extract into a temporary directory and move it into place. A transfer that cannot be
 * resumed safely (no validator) starts over in a fresh directory, up to `maxResumeAttempts`.
 */
async function downloadOnce(
  config: TinkerConfig,
  path: string,
  opts: DownloadOptions,
  deps: DownloadDeps,
  target: Target,
): Promise<DownloadResult> {
  const { disk, destination } = target;
  // One throttle for the whole download: it computes `percent` and swallows callback errors.
  const progress = new ProgressThrottle(opts.onProgress);
  const deadlineAt = opts.deadlineMs === undefined ? undefined : Date.now() + opts.deadlineMs;
  const maxRestarts = opts.maxResumeAttempts ?? DEFAULT_MAX_RESUME_ATTEMPTS;
  for (let restart = 0;; restart++) {
    const temp = await makeTemp(disk, target);
    try {
      // A fresh start gets what is left of the deadline.
      const left = deadlineAt === undefined || restart === 0
        ? opts.deadlineMs
        : Math.max(0, deadlineAt - Date.now());
      const extracted = await extract(
        config,
        path,
        temp,
        disk,
        { ...opts, deadlineMs: left },
        deps.pool,
        progress,
        destination,
      );
      throwIfAborted(opts.signal);
      await place(disk, temp, destination, opts.force === true);
      const bytes = extracted.bytes;
      progress.report({ phase: "done", transferredBytes: bytes, totalBytes: bytes });
      return { destination, files: extracted.files, bytes };
    } catch (e) {
      if (!(e instanceof UnverifiableResumeError) || restart >= maxRestarts) throw e;
      opts.onResume?.({
        resume: restart + 1,
        attempt: restart + 1,
        offset: 0,
        reason: "starting over: the server gave no validator to resume against",
        delayMs: 0,
      });
    } finally {
      await disk.remove(temp).catch(() => {});
    }
  }
}

async function makeTemp(disk: Disk, target: Target): Promise<string> {
  for (let i = 0;; i++) {
    const temp = target.temp();
    try {
      await disk.makeDir(temp);
      return temp;
    } catch (e) {
      if (codeOf(e) === "EEXIST" && i < 5) continue;
      throw fsError("create a temporary directory in", target.outputDir, e);
    }
  }
}

/**
 * Remove temporary directories of this destination left by dead processes of this machine
 * (a process killed mid-download cannot clean up after itself).
 */
async function reclaimStale(disk: Disk, dir: string, prefix: string, host: string): Promise<void> {
  for (const entry of await disk.list(dir)) {
    const owner = tempOwnerOf(entry, prefix);
    if (owner === undefined || owner.host !== host || owner.pid === disk.pid) continue;
    if (disk.isAlive(owner.pid)) continue;
    await disk.remove(disk.join(dir, entry)).catch(() => {});
  }
}

/** The outcome of streaming the archive (or the files) into the temporary directory. */
export interface Extracted {
  files: DownloadedFile[];
  /** Archive bytes received, counted here as they pass (compressed when gzipped). */
  bytes: number;
}

/** Writes one checked member (and its parent directories) into the destination being built. */
export type WriteMember = (member: ArchiveEntry, pool: BufferPool) => Promise<void>;

async function extract(
  config: TinkerConfig,
  path: string,
  root: string,
  disk: Disk,
  opts: DownloadOptions,
  pool: BufferPool,
  progress: ProgressSink,
  destination: string,
): Promise<Extracted> {
  const dirs = new Set([root]);
  const writeMember: WriteMember = async (member, memberPool) => {
    try {
      await write(disk, root, member, memberPool, dirs);
    } catch (e) {
      throw writeError(e, member.path, destination);
    }
  };
  if (parseTinkerPath(path).kind === "external_weights") {
    // A set of files, each from its own signed URL, instead of one archive.
    return await extractExternal(config, path, writeMember, opts, progress);
  }
  let entry: string | undefined;
  // The stream's `resolving` and `downloading` go on with the current entry added; its `done`
  // is ours to say (below, `verifying`, and `done` once the files are in place).
  const fromStream: ProgressSink = {
    report: (p) => {
      if (p.phase !== "done") progress.report({ ...p, entry });
    },
  };
  const counted = countBytes(
    archiveByteStream(config, path, opts, { pool, progress: fromStream }),
    (bytes) => progress.report({ phase: "verifying", transferredBytes: bytes, totalBytes: bytes }),
  );
  const files: DownloadedFile[] = [];
  for await (const member of archiveEntries(counted.stream, opts)) {
    entry = member.path;
    await writeMember(member, pool);
    if (member.type === "file") files.push({ path: member.path, size: member.size });
  }
  return { files, bytes: counted.bytes() };
}

/** A failure while writing a member: its name too long, else the disk's error, typed. */
function writeError(e: unknown, member: string, destination: string): unknown {
  if (codeOf(e) === "ENAMETOOLONG") {
    return new UnsafeArchiveError(member, "its name is longer than the file system allows");
  }
  return e instanceof TinkerError ? e : fsError("write", destination, e);
}

/**
 * Pass `source` through unchanged (the same chunks, so pooled buffers keep their identity),
 * counting its bytes; `onEnd` hears the total once the source ended.
 */
function countBytes(
  source: ReadableStream<Uint8Array>,
  onEnd: (bytes: number) => void,
): { stream: ReadableStream<Uint8Array>; bytes: () => number } {
  const reader = source.getReader();
  let bytes = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        onEnd(bytes);
        controller.close();
        return;
      }
      bytes += value.length;
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  return { stream, bytes: () => bytes };
}

/**
 * Write one checked member under `root` (its path is already known to stay inside). Each chunk
 * written frees the read buffers before it for reuse. `dirs` holds the directories made so far
 * (and `root`), so a directory is created once, not once per file in it.
 */
async function write(
  disk: Disk,
  root: string,
  member: ArchiveEntry,
  pool: BufferPool,
  dirs: Set<string>,
): Promise<void> {
  const target = disk.join(root, ...member.path.split("/"));
  const dir = member.type === "directory" ? target : disk.dirname(target);
  if (!dirs.has(dir)) {
    await disk.makeDirs(dir);
    dirs.add(dir);
  }
  if (member.type === "directory") {
    await member.body.cancel();
    return;
  }
  const file = await disk.create(target);
  try {
    for await (const chunk of member.body) {
      await file.write(chunk);
      pool.releaseBefore(chunk.buffer);
    }
  } finally {
    await file.close();
  }
}

/** Renames that fail because the destination is (again) taken. */
const TAKEN = ["ENOTEMPTY", "EEXIST"];
/** Rounds of "move the old one aside, move ours in" before giving up under contention. */
const MAX_PLACE_ROUNDS = 5;

/**
 * Move the complete temporary directory to the destination. Without `force`, a destination
 * that appeared meanwhile (another download won) is a {@link DestinationExistsError}. With
 * `force`, the current destination is moved aside, ours moved in, the old one removed; when
 * other forced downloads interleave, the rounds repeat, and every old copy is removed.
 */
async function place(disk: Disk, temp: string, destination: string, force: boolean): Promise<void> {
  if (!force && await disk.exists(destination)) throw new DestinationExistsError(destination);
  const aside = `${temp}-old`;
  try {
    for (let round = 0; round < MAX_PLACE_ROUNDS; round++) {
      try {
        await disk.rename(temp, destination);
        return;
      } catch (e) {
        if (!TAKEN.includes(codeOf(e) ?? "")) throw fsError("move into place", destination, e);
      }
      if (!force) throw new DestinationExistsError(destination);
      try {
        await disk.rename(destination, aside);
      } catch (e) {
        if (codeOf(e) === "ENOENT") continue; // someone else moved it: try again
        throw fsError("move into place", destination, e);
      }
      try {
        await disk.rename(temp, destination);
        return;
      } catch (e) {
        if (!TAKEN.includes(codeOf(e) ?? "")) {
          await disk.rename(aside, destination).catch(() => {}); // put the old one back
          throw fsError("move into place", destination, e);
        }
      }
      // A concurrent forced download landed first: the copy set aside is obsolete.
      await disk.remove(aside).catch(() => {});
    }
    throw new DestinationExistsError(destination);
  } finally {
    await disk.remove(aside).catch(() => {});
  }
}
