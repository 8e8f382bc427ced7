/**
 * `download()`: a checkpoint's archive extracted onto disk, streaming, into a temporary
 * directory that is renamed into place only once everything arrived and was verified. The file
 * system is reached only through `disk.ts`, when called, so this module loads and bundles where
 * there is none.
 * @module
 */
import { resolveConfig, type TinkerConfig } from "../config.ts";
import {
  AbortError,
  ConnectionError,
  DestinationExistsError,
  TinkerError,
  UnsafeArchiveError,
} from "../errors.ts";
import { throwIfAborted } from "../http/abort.ts";
import { downloadDirName, parseTinkerPath } from "../../protocol/paths.ts";
import {
  archiveByteStream,
  ArchiveChangedError,
  type ArchiveObject,
  type ArchiveStreamOptions,
  DEFAULT_MAX_RESUME_ATTEMPTS,
  fetchArchiveUrl,
  UnverifiableResumeError,
} from "./archive_stream.ts";
import { BufferPool } from "./buffer_pool.ts";
import { Disk, fsError } from "./disk.ts";
import { archiveEntries, type ArchiveEntry } from "./entries.ts";
import { extractExternal } from "./external_files.ts";
import { type ArchiveLimits, DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES } from "./entry_guard.ts";
import { codeOf, type LocalFs } from "../local/system.ts";
import {
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
import { fitName, shortHash, tempName, tempOwnerOf, tempPrefix } from "./names.ts";
import { type ProgressCallback, type ProgressSink, ProgressThrottle } from "./progress.ts";
import { type MemberSelection, memberSelector } from "./select.ts";
import { spanEnd, TarOffsets, type TarSpan } from "./tar_offsets.ts";
import { UrlInAdvance } from "./url_source.ts";

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
  /**
   * Continue the partial state an interrupted earlier run (killed, crashed) left for this
   * checkpoint and destination, and keep a journal so this run can be continued too
   * (default true). `false` starts over and keeps no journal.
   */
  resume?: boolean;
  /**
   * When the transfer is interrupted (abort, connection failure, timeout), keep the partial
   * state for a later `download()` to continue instead of removing it (default false: nothing
   * is left behind). Other failures (a hostile or corrupt archive, a full disk) still remove it.
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
 *   is not set (or when another download put something else there first: the same checkpoint
 *   and selection, placed by a concurrent download, is a success).
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
  const selection: MemberSelection = { include: opts.include, exclude: opts.exclude };
  memberSelector(selection); // an invalid pattern is a RangeError before any request
  if (!opts.force && await disk.exists(destination)) {
    const done = await completed(disk.system.fs, destination, path, selection);
    if (done === undefined) throw new DestinationExistsError(destination);
    new ProgressThrottle(opts.onProgress).report({ phase: "done", transferredBytes: 0 });
    return { destination, files: done.files, bytes: 0, skipped: true };
  }
  throwIfAborted(opts.signal);
  let placed = false;
  let partial: PartialDir | undefined;
  let created: string | undefined;
  try {
    created = await disk.makeDirs(outputDir, "create the output directory");
    const owner = { pid: disk.pid, host: await shortHash(disk.host, 6) };
    const prefix = await tempPrefix(name);
    await reclaimStale(disk, outputDir, prefix, owner.host);
    // One partial directory per destination, kept across runs (not for external checkpoints).
    const resumable = opts.resume !== false && parseTinkerPath(path).kind !== "external_weights";
    try {
      partial = resumable
        ? await takePartialDir(
          { ...disk.system, host: owner.host },
          disk.join(outputDir, `${prefix}partial`),
        )
        : undefined;
    } catch (e) {
      throw fsError("create a temporary directory in", outputDir, e);
    }
    const result = await downloadOnce(config, path, opts, deps, {
      disk,
      outputDir,
      destination,
      temp: () => disk.join(outputDir, tempName(prefix, owner)),
      partial,
      selection,
    });
    placed = true;
    return result;
  } finally {
    partial?.release();
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
  /** The partial directory kept across runs, when resuming is on and it was free. */
  partial?: PartialDir;
  /** Which members to write. */
  selection: MemberSelection;
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
  const { partial, selection } = target;
  const fs = disk.system.fs;
  let url: UrlInAdvance | undefined;
  try {
    for (let restart = 0;; restart++) {
      const temp = partial ? await partial.open(restart > 0) : await makeTemp(disk, target);
      // The disk took the working directory: the archive's URL is asked for now, while the rest
      // is set up (a disk that fails makes no request; an external checkpoint has its own URLs).
      if (restart === 0 && parseTinkerPath(path).kind !== "external_weights") {
        url = new UrlInAdvance((signal) => fetchArchiveUrl(config, path, opts, signal));
      }
      let keep = false;
      try {
        // A fresh start after a restart gets what is left of the deadline.
        const left = restart === 0 || deadlineAt === undefined
          ? opts.deadlineMs
          : Math.max(0, deadlineAt - Date.now());
        const run = (journal?: Journal): Promise<Extracted> =>
          extract(
            config,
            path,
            temp,
            disk,
            { ...opts, deadlineMs: left },
            deps.pool,
            progress,
            destination,
            {
              journal,
              partial,
              selection,
              url,
            },
          );
        let journal = await usableJournal(fs, partial, path, selection);
        let extracted: Extracted;
        try {
          extracted = await run(journal);
        } catch (e) {
          // The archive changed since the interrupted run: its partial state is useless.
          if (journal === undefined || !(e instanceof ArchiveChangedError)) throw e;
          await partial!.open(true);
          journal = undefined;
          extracted = await run();
        }
        throwIfAborted(opts.signal);
        const bytes = extracted.bytes;
        await writeManifest(fs, temp, {
          tinkex_manifest: 1,
          tinker_path: path,
          validator: extracted.object?.validator,
          archive_bytes: extracted.object?.total ?? bytes,
          archive_digest: extracted.object?.digest,
          ...(opts.include?.length ? { include: opts.include } : {}),
          ...(opts.exclude?.length ? { exclude: opts.exclude } : {}),
          files: extracted.files,
          completed_at: new Date().toISOString(),
        }).catch((e) => {
          throw fsError("write", destination, e);
        });
        for (const f of WORK_FILES) await disk.remove(disk.join(temp, f));
        // Another download of this very checkpoint and selection may have placed it first: as
        // good as ours (its files are checked), so this one succeeds too.
        await place(disk, temp, destination, opts.force === true).catch(async (e) => {
          if (!(e instanceof DestinationExistsError)) throw e;
          if (await completed(fs, destination, path, selection) === undefined) throw e;
        });
        progress.report({ phase: "done", transferredBytes: bytes, totalBytes: bytes });
        return {
          destination,
          files: extracted.files,
          bytes,
          skipped: false,
          ...(journal ? { resumedFrom: resumeOffset(journal) } : {}),
        };
      } catch (e) {
        if (!(e instanceof UnverifiableResumeError) || restart >= maxRestarts) {
          keep = opts.keepPartial === true && partial?.hasJournal() === true &&
            isInterruption(e, opts.signal);
          throw e;
        }
        opts.onResume?.({
          resume: restart + 1,
          attempt: restart + 1,
          offset: 0,
          reason: "starting over: the server gave no validator to resume against",
          delayMs: 0,
        });
      } finally {
        if (!keep) await disk.remove(temp).catch(() => {});
      }
    }
  } finally {
    url?.cancel();
  }
}

/** A failure the same download could get past when run again: worth keeping its partial state. */
function isInterruption(e: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || e instanceof AbortError || e instanceof ConnectionError;
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
  /** What the store said about the archive. */
  object?: ArchiveObject;
}

/** The manifest of a destination that already holds this checkpoint and selection, intact. */
async function completed(
  fs: LocalFs,
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
  fs: LocalFs,
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
    await partial.open(true);
    return undefined;
  }
  // The member that was being written when the run stopped, if not journaled: it starts over.
  const keep = new Set([...j.files.map((f) => f.path), ...(current ? [current.path] : [])]);
  await removeFilesNotIn(fs, partial.dir, "", keep);
  return j;
}

/** Remove the regular files under `root` that `keep` does not list (work files stay). */
async function removeFilesNotIn(fs: LocalFs, root: string, prefix: string, keep: Set<string>) {
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

/** Where a journal says to continue: inside the member being written, or at the next one. */
function resumeOffset(j: Journal): number {
  return j.current ? j.current.dataStart + j.current.written : j.offset;
}

/** How one extraction relates to runs before and after it. */
interface ResumeState {
  /** The interrupted run to continue. */
  journal?: Journal;
  /** Where to keep this run's journal (none: no journal). */
  partial?: PartialDir;
  /** Which members to write. */
  selection: MemberSelection;
  /** The archive's signed URL, asked for in advance. */
  url?: UrlInAdvance;
}

/** A file's progress is journaled at most this often (bytes written). */
const JOURNAL_EVERY_BYTES = 16 * 2 ** 20;
/** Member ends journaled per length of the list of files (at least every member's end). */
const JOURNAL_SAVES_PER_LIST = 64;
/** Zeros standing in for the part of a member already on disk, when a resume replays it. */
const ZEROS = new Uint8Array(2 ** 20);

/** Told after each chunk how much of a member is written; `flush` puts it all in the file. */
type OnWritten = (written: number, flush: () => Promise<void>) => Promise<void>;

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
  state: ResumeState,
): Promise<Extracted> {
  const dirs = new Set([root]);
  const writeMember = async (
    member: ArchiveEntry,
    memberPool: BufferPool,
    resumeAt = 0,
    onWritten?: OnWritten,
  ): Promise<void> => {
    try {
      await write(disk, root, member, memberPool, dirs, resumeAt, onWritten);
    } catch (e) {
      throw writeError(e, member.path, destination);
    }
  };
  if (parseTinkerPath(path).kind === "external_weights") {
    // A set of files, each from its own signed URL, instead of one archive.
    return await extractExternal(config, path, (m, p) => writeMember(m, p), opts, progress);
  }
  let entry: string | undefined;
  const { journal, partial } = state;
  // The stream's `resolving` and `downloading` go on with the current entry added; its `done`
  // is ours to say (below, `verifying`, and `done` once the files are in place).
  const fromStream: ProgressSink = {
    report: (p) => {
      if (p.phase !== "done") progress.report({ ...p, entry });
    },
  };
  let object: ArchiveObject = journal ? { validator: journal.validator, total: journal.total } : {};
  // A resume inside a member replays its header, then zeros for the part already on disk.
  const current = journal?.current;
  const replay = current ? [base64Bytes(current.header), ...zeros(current.written)] : [];
  const offsets = partial
    ? new TarOffsets(current?.headerStart ?? journal?.offset ?? 0)
    : undefined;
  const input = decoderInput(
    replay,
    archiveByteStream(config, path, opts, {
      pool,
      progress: fromStream,
      onObject: (o) => object = o,
      urlSource: (signal) => state.url?.take(signal) ?? fetchArchiveUrl(config, path, opts, signal),
      resumeAt: journal
        ? { offset: resumeOffset(journal), validator: journal.validator, total: journal.total }
        : undefined,
    }),
    {
      see: (c) => offsets?.feed(c),
      onEnd: (bytes) =>
        progress.report({ phase: "verifying", transferredBytes: bytes, totalBytes: bytes }),
    },
  );
  const source = input.stream;
  const files: DownloadedFile[] = journal?.files.slice() ?? [];
  let entries = journal?.entries ?? 0;
  let extracted = journal?.extracted ?? 0;
  // The limits hold over the whole archive, across runs.
  const limits: ArchiveLimits = {
    maxBytes: (opts.maxBytes ?? DEFAULT_MAX_BYTES) - extracted,
    maxEntries: (opts.maxEntries ?? DEFAULT_MAX_ENTRIES) - entries,
  };
  const selected = memberSelector(state.selection);
  let journaling = partial !== undefined;
  let first = true;
  /** Members ended since the journal was last saved at a member's end. */
  let unsaved = 0;
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
    }).catch((e) => {
      throw fsError("write", destination, e);
    });
  };
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
      await writeMember(member, pool);
    } else if (member.type === "directory" || !selected(member.path)) {
      // Read through, not cancelled: cancelling a body the decoder already holds in full
      // stalls the entries after it (modern-tar 0.8.6).
      for await (const chunk of member.body) pool.releaseBefore(chunk.buffer);
    } else {
      let journaled = resumeAt;
      await writeMember(member, pool, resumeAt, async (written, flush) => {
        if (span === undefined || written - journaled < JOURNAL_EVERY_BYTES) return;
        journaled = written;
        await flush(); // the journal vouches only for bytes in the file
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
    // Each save writes the whole list of files: after every member while it is short, after
    // every 1/64th of it once long (saving after each of 5,000 small files doubled the time).
    if (span !== undefined && ++unsaved >= files.length / JOURNAL_SAVES_PER_LIST) {
      await save(spanEnd(span));
      unsaved = 0;
    }
  }
  return { files, bytes: input.bytes(), object };
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

/**
 * What the tar decoder reads: `replay` first, then `source` as it came (the same chunks, so
 * pooled buffers keep their identity). Every chunk is shown to `see`; the source's bytes are
 * counted, and `onEnd` hears the count once it ended. One stream, not one per job: each layer
 * costs a trip through the streams machinery for every chunk.
 */
function decoderInput(
  replay: Iterable<Uint8Array>,
  source: ReadableStream<Uint8Array>,
  on: { see: (chunk: Uint8Array) => void; onEnd: (bytes: number) => void },
): { stream: ReadableStream<Uint8Array>; bytes: () => number } {
  const prefix = replay[Symbol.iterator]();
  const reader = source.getReader();
  let bytes = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = prefix.next();
      if (next.done) {
        const { done, value } = await reader.read();
        if (done) {
          on.onEnd(bytes);
          return controller.close();
        }
        bytes += value.length;
        on.see(value);
        return controller.enqueue(value);
      }
      on.see(next.value);
      controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  return { stream, bytes: () => bytes };
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

/** A failure while writing a member: its name too long, else the disk's error, typed. */
function writeError(e: unknown, member: string, destination: string): unknown {
  if (codeOf(e) === "ENAMETOOLONG") {
    return new UnsafeArchiveError(member, "its name is longer than the file system allows");
  }
  return e instanceof TinkerError ? e : fsError("write", destination, e);
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
  resumeAt = 0,
  onWritten?: OnWritten,
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
  // A resumed file is our own, from the partial directory: cut back to what the journal vouches
  // for, then written on from there; replayed zeros stand for its bytes already on disk.
  const file = resumeAt > 0 ? await disk.reopen(target, resumeAt) : await disk.create(target);
  try {
    let position = 0;
    for await (const chunk of member.body) {
      const skip = Math.min(Math.max(resumeAt - position, 0), chunk.length);
      position += chunk.length;
      if (skip === chunk.length) continue;
      await file.write(skip > 0 ? chunk.subarray(skip) : chunk);
      if (skip === 0) pool.releaseBefore(chunk.buffer);
      await onWritten?.(position, () => file.flush());
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
