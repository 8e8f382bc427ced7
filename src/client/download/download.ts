/**
 * `download()`: a checkpoint's archive extracted onto disk, streaming, into a temporary
 * directory that is renamed into place only once everything arrived and was verified.
 * The file system is loaded lazily (`node:fs/promises`, present in Deno, Bun and Node), so
 * this module loads where there is none.
 * @module
 */
import { resolveConfig, type TinkerConfig } from "../config.ts";
import { DestinationExistsError } from "../errors.ts";
import { throwIfAborted } from "../http/abort.ts";
import { downloadDirName } from "../../protocol/paths.ts";
import {
  archiveByteStream,
  ArchiveChangedError,
  type ArchiveObject,
  type ArchiveStreamOptions,
} from "./archive_stream.ts";
import { BufferPool } from "./buffer_pool.ts";
import { archiveEntries, type ArchiveEntry } from "./entries.ts";
import { type ArchiveLimits, DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES } from "./entry_guard.ts";
import {
  claimTempDir,
  type Journal,
  JOURNAL_FILES,
  OWNER_FILE,
  type PartialDir,
  takePartialDir,
} from "./journal.ts";
import {
  type DownloadManifest,
  filesMatch,
  manifestMatches,
  readManifest,
  sameSelection,
  writeManifest,
} from "./manifest.ts";
import { type ProgressCallback, type ProgressSink, ProgressThrottle } from "./progress.ts";
import { type MemberSelection, memberSelector } from "./select.ts";
import { spanEnd, TarOffsets, type TarSpan } from "./tar_offsets.ts";

/** The part of `node:fs/promises` used here (typed locally: no static `node:` reference). */
interface Fs {
  lstat(path: string): Promise<unknown>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<unknown>;
  mkdtemp(prefix: string): Promise<string>;
  open(path: string, flags: string, mode?: number): Promise<FileHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  readFile(path: string, encoding: "utf8"): Promise<string>;
  writeFile(path: string, data: string, options?: { mode?: number }): Promise<void>;
  stat(path: string): Promise<{ size: number; isFile(): boolean }>;
  readdir(path: string): Promise<string[]>;
  readdir(path: string, options: { withFileTypes: true }): Promise<
    { name: string; isDirectory(): boolean }[]
  >;
}

/** The part of a `node:fs/promises` file handle used here. */
interface FileHandle {
  write(
    data: Uint8Array,
    offset: number,
    length: number,
    position?: number | null,
  ): Promise<{ bytesWritten: number }>;
  truncate(length: number): Promise<void>;
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
  /**
   * Continue the partial state an interrupted earlier run (killed, crashed) left for this
   * checkpoint and destination, and keep a journal so this run can be continued too
   * (default true). `false` starts over and keeps no journal.
   */
  resume?: boolean;
  /**
   * On an error or abort, keep the partial state for a later `download()` to continue instead
   * of removing it (default false: nothing is left behind).
   */
  keepPartial?: boolean;
  /** Extract only members matching one of these globs (`*` and `?` within a path segment, `**` across; a pattern without `/` also matches the file name). */
  include?: string[];
  /** Skip members matching one of these globs. */
  exclude?: string[];
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
  /** Archive bytes received by this call (as sent: compressed when the archive is gzipped). */
  bytes: number;
  /**
   * True when the destination already held this checkpoint (its manifest matched and its files
   * were all there): nothing was transferred.
   */
  skipped: boolean;
  /** The archive offset this call continued from, when it resumed an interrupted run. */
  resumedFrom?: number;
}

/**
 * Download a checkpoint and extract it to `<outputDir>/<run>_<kind>_<name>`, as the official
 * clients name it. Bytes flow from the network through gzip detection and the tar decoder
 * straight to disk; broken or stalled connections resume where they stopped; hostile members
 * are refused; lengths, members and the end-of-archive marker are verified. Until the very
 * end everything goes to a hidden temporary directory beside the destination, so on failure or
 * abort the destination is untouched and nothing is left behind.
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
  const name = downloadDirName(path);
  resolveConfig(config);
  const fs: Fs = await import("node:fs/promises");
  const paths: Path = await import("node:path");
  const outputDir = paths.resolve(opts.outputDir ?? ".");
  const destination = paths.join(outputDir, name);
  const selection: MemberSelection = { include: opts.include, exclude: opts.exclude };
  // One throttle for the whole download: it computes `percent` and swallows callback errors.
  const progress = new ProgressThrottle(opts.onProgress);
  if (!opts.force && await exists(fs, destination)) {
    const done = await completed(fs, destination, path, selection);
    if (done === undefined) throw new DestinationExistsError(destination);
    progress.report({ phase: "done", transferredBytes: 0, totalBytes: 0 });
    return { destination, files: done.files, bytes: 0, skipped: true };
  }
  throwIfAborted(opts.signal);
  await fs.mkdir(outputDir, { recursive: true });
  const partial = opts.resume === false ? undefined : await takePartialDir(fs, outputDir, name);
  const temp = partial?.dir ?? await fs.mkdtemp(paths.join(outputDir, `.${name}.tinkex-tmp-`));
  let keep = false;
  let release = partial?.release;
  try {
    if (!partial) release = await claimTempDir(fs, temp);
    let journal = await usableJournal(fs, partial, path, selection);
    let extracted: Extracted;
    try {
      extracted = await extract(config, path, temp, fs, paths, opts, deps.pool, progress, {
        journal,
        partial,
        selection,
      });
    } catch (e) {
      // The archive changed since the interrupted run: its partial state is useless.
      if (journal === undefined || !(e instanceof ArchiveChangedError)) throw e;
      await emptyDir(fs, temp);
      journal = undefined;
      extracted = await extract(config, path, temp, fs, paths, opts, deps.pool, progress, {
        partial,
        selection,
      });
    }
    throwIfAborted(opts.signal);
    const bytes = extracted.bytes;
    await writeManifest(fs, temp, {
      tinkex_manifest: 1,
      tinker_path: path,
      validator: extracted.object.validator,
      archive_bytes: extracted.object.total ?? bytes,
      archive_digest: extracted.object.digest,
      ...(opts.include?.length ? { include: opts.include } : {}),
      ...(opts.exclude?.length ? { exclude: opts.exclude } : {}),
      files: extracted.files,
      completed_at: new Date().toISOString(),
    });
    for (const f of WORK_FILES) await fs.rm(`${temp}/${f}`, { force: true });
    await place(fs, temp, destination, opts.force === true);
    progress.report({ phase: "done", transferredBytes: bytes, totalBytes: bytes });
    return {
      destination,
      files: extracted.files,
      bytes,
      skipped: false,
      ...(journal ? { resumedFrom: resumeOffset(journal) } : {}),
    };
  } catch (e) {
    keep = partial !== undefined && opts.keepPartial === true;
    throw e;
  } finally {
    if (!keep) await fs.rm(temp, { recursive: true, force: true });
    release?.();
  }
}

/** The manifest of a destination that already holds this checkpoint and selection, intact. */
async function completed(
  fs: Fs,
  destination: string,
  path: string,
  selection: MemberSelection,
): Promise<DownloadManifest | undefined> {
  const m = await readManifest(fs, destination);
  if (m === undefined || !manifestMatches(m, path, selection)) return undefined;
  return await filesMatch(fs, destination, m.files) ? m : undefined;
}

/**
 * The journal of an interrupted run to continue, when it is of this checkpoint and selection and
 * its files are still there as it says; otherwise the partial directory is emptied.
 */
async function usableJournal(
  fs: Fs,
  partial: PartialDir | undefined,
  path: string,
  selection: MemberSelection,
): Promise<Journal | undefined> {
  const j = partial?.journal;
  if (partial === undefined) return undefined;
  const current = j?.current;
  const intact = j !== undefined && j.tinker_path === path && sameSelection(j, selection) &&
    await filesMatch(fs, partial.dir, j.files) &&
    (current === undefined ||
      (await fs.stat(`${partial.dir}/${current.path}`).catch(() => ({ size: -1 }))).size >=
        current.written);
  if (!intact) {
    await emptyDir(fs, partial.dir);
    return undefined;
  }
  // The member that was being written when the run stopped, if not journaled: it starts over.
  const keep = new Set([...j.files.map((f) => f.path), ...(current ? [current.path] : [])]);
  await removeFilesNotIn(fs, partial.dir, "", keep);
  return j;
}

/** Remove the regular files under `root` that `keep` does not list (work files stay). */
async function removeFilesNotIn(fs: Fs, root: string, prefix: string, keep: Set<string>) {
  for (const e of await fs.readdir(prefix ? `${root}/${prefix}` : root, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) await removeFilesNotIn(fs, root, rel, keep);
    else if (!keep.has(rel) && (prefix || !WORK_FILES.includes(e.name))) {
      await fs.rm(`${root}/${rel}`, { force: true });
    }
  }
}

/** Files of ours in a working directory, not archive members. */
const WORK_FILES: readonly string[] = [OWNER_FILE, ...JOURNAL_FILES];

/** Remove everything in `dir` except its owner marker. */
async function emptyDir(fs: Fs, dir: string): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (name !== OWNER_FILE) await fs.rm(`${dir}/${name}`, { recursive: true, force: true });
  }
}

/** Where a journal says to continue: inside the member being written, or at the next one. */
function resumeOffset(j: Journal): number {
  return j.current ? j.current.dataStart + j.current.written : j.offset;
}

/** The outcome of streaming the archive into the temporary directory. */
interface Extracted {
  files: DownloadedFile[];
  /** Archive bytes received, counted here as they pass (compressed when gzipped). */
  bytes: number;
  /** What the store said about the archive. */
  object: ArchiveObject;
}

/** How one extraction relates to runs before and after it. */
interface ResumeState {
  /** The interrupted run to continue. */
  journal?: Journal;
  /** Where to keep this run's journal (none: no journal). */
  partial?: PartialDir;
  /** Which members to write. */
  selection: MemberSelection;
}

/** A file's progress is journaled at most this often (bytes written). */
const JOURNAL_EVERY_BYTES = 16 * 2 ** 20;
/** Zeros standing in for the part of a member already on disk, when a resume replays it. */
const ZEROS = new Uint8Array(2 ** 20);

async function extract(
  config: TinkerConfig,
  path: string,
  root: string,
  fs: Fs,
  paths: Path,
  opts: DownloadOptions,
  pool: BufferPool,
  progress: ProgressSink,
  state: ResumeState,
): Promise<Extracted> {
  let entry: string | undefined;
  const { journal, partial } = state;
  // The stream's `resolving` and `downloading` go on with the current entry added; its `done`
  // is ours to say (below, `verifying`, and `done` once the files are in place).
  const fromStream: ProgressSink = {
    report: (p) => {
      if (p.phase !== "done") progress.report({ ...p, entry });
    },
  };
  let object: ArchiveObject = {};
  const counted = countBytes(
    archiveByteStream(config, path, opts, {
      pool,
      progress: fromStream,
      onObject: (o) => object = o,
      resumeAt: journal
        ? { offset: resumeOffset(journal), validator: journal.validator, total: journal.total }
        : undefined,
    }),
    (bytes) => progress.report({ phase: "verifying", transferredBytes: bytes, totalBytes: bytes }),
  );
  // A resume inside a member replays its header, then zeros for the part already on disk.
  const current = journal?.current;
  const replay = current ? [base64Bytes(current.header), ...zeros(current.written)] : [];
  const offsets = partial
    ? new TarOffsets(current?.headerStart ?? journal?.offset ?? 0)
    : undefined;
  const source = observed(withPrefix(replay, counted.stream), (c) => offsets?.feed(c));
  const files: DownloadedFile[] = journal?.files.slice() ?? [];
  let entries = journal?.entries ?? 0;
  let extracted = journal?.extracted ?? 0;
  const limits: ArchiveLimits = {
    maxBytes: (opts.maxBytes ?? DEFAULT_MAX_BYTES) - extracted,
    maxEntries: (opts.maxEntries ?? DEFAULT_MAX_ENTRIES) - entries,
  };
  const selected = memberSelector(state.selection);
  const dirs = new Set([root]);
  let journaling = partial !== undefined;
  let first = true;
  const save = async (offset: number, writing?: Journal["current"]): Promise<void> => {
    if (!journaling || offsets?.failed || object.validator === undefined) return;
    await partial!.save({
      tinkex_journal: 1,
      tinker_path: path,
      validator: object.validator,
      total: object.total ?? journal?.total ?? 0,
      digest: object.digest,
      ...(state.selection.include?.length ? { include: state.selection.include } : {}),
      ...(state.selection.exclude?.length ? { exclude: state.selection.exclude } : {}),
      offset,
      files,
      entries,
      extracted,
      current: writing,
    });
  };
  if (journal && object.validator === undefined) {
    object = { validator: journal.validator, total: journal.total };
  }
  for await (const member of archiveEntries(source, { ...opts, ...limits })) {
    entry = member.path;
    const span = offsets && nextSpan(offsets, member);
    if (span === undefined || (member.type === "file" && span.size !== member.size)) {
      journaling = false; // offsets unknown (e.g. gzip): no journal, the run is still fine
    }
    const resumeAt = first && current?.path === member.path ? current.written : 0;
    first = false;
    entries++;
    if (member.type === "directory" && !state.selection.include?.length) {
      await write(fs, paths, root, member, pool, dirs);
    } else if (member.type === "directory" || !selected(member.path)) {
      // Read through, not cancelled: cancelling a body the decoder already holds in full
      // stalls the entries after it (modern-tar 0.8.6).
      for await (const chunk of member.body) pool.releaseBefore(chunk.buffer);
    } else {
      let journaled = resumeAt;
      await write(fs, paths, root, member, pool, dirs, resumeAt, async (written) => {
        if (span === undefined || written - journaled < JOURNAL_EVERY_BYTES) return;
        journaled = written;
        await save(span.headerStart, {
          path: member.path,
          headerStart: span.headerStart,
          dataStart: span.dataStart,
          size: span.size,
          written,
          header: bytesBase64(span.header),
        });
      });
      files.push({ path: member.path, size: member.size });
      extracted += member.size;
    }
    if (span !== undefined) await save(spanEnd(span));
  }
  return { files, bytes: counted.bytes(), object };
}

/** The span of `member`: the next one, past any the member iteration skipped (the root `./`). */
function nextSpan(offsets: TarOffsets, member: ArchiveEntry): TarSpan | undefined {
  let span = offsets.spans.shift();
  while (span?.directory && member.type === "file") span = offsets.spans.shift();
  return span;
}

function* zeros(n: number): Generator<Uint8Array> {
  for (let left = n; left > 0; left -= ZEROS.length) {
    yield ZEROS.subarray(0, Math.min(left, ZEROS.length));
  }
}

/** `chunks`, then `source`. */
function withPrefix(
  chunks: Iterable<Uint8Array>,
  source: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  const prefix = chunks[Symbol.iterator]();
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = prefix.next();
      if (!next.done) return controller.enqueue(next.value);
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

/** `source` unchanged, each chunk shown to `see` first. */
function observed(
  source: ReadableStream<Uint8Array>,
  see: (chunk: Uint8Array) => void,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      see(value);
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

function bytesBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

function base64Bytes(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
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
  fs: Fs,
  paths: Path,
  root: string,
  member: ArchiveEntry,
  pool: BufferPool,
  dirs: Set<string>,
  resumeAt = 0,
  onWritten?: (written: number) => Promise<void>,
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
  // "wx": never follow or overwrite anything that is already there. A resumed file is our own,
  // from the partial directory: it is cut back to what the journal vouches for.
  const file = await fs.open(target, resumeAt > 0 ? "r+" : "wx", 0o644);
  try {
    if (resumeAt > 0) await file.truncate(resumeAt);
    let position = 0;
    for await (const chunk of member.body) {
      // Replayed zeros stand for bytes already on disk: skip them (they are not pooled).
      const skip = Math.min(Math.max(resumeAt - position, 0), chunk.length);
      position += chunk.length;
      if (skip === chunk.length) continue;
      let written = skip;
      while (written < chunk.length) {
        const { bytesWritten } = await file.write(
          chunk,
          written,
          chunk.length - written,
          position - chunk.length + written,
        );
        written += bytesWritten;
      }
      if (skip === 0) pool.releaseBefore(chunk.buffer);
      await onWritten?.(position);
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
