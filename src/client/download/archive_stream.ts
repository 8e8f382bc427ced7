/**
 * The archive of a checkpoint as one continuous, resumable byte stream (web APIs only).
 *
 * Resolves the signed URL, GETs it without the API key, and when the connection breaks or
 * stalls mid-body continues with `Range` / `If-Range` into the same stream. A server that
 * answers 200 instead of 206 has the already-delivered prefix skipped; an expired signed URL
 * (403) is replaced by a fresh one. The byte count is checked against `Content-Length`.
 * @module
 */
import { onTimeout } from "../http/timeouts.ts";
import { resolveConfig, type ResolvedConfig, type TinkerConfig } from "../config.ts";
import {
  AbortError,
  apiErrorFor,
  ConnectionError,
  IntegrityError,
  PermissionDeniedError,
  TimeoutError,
  TinkerError,
} from "../errors.ts";
import { type ArchiveUrlOptions, checkArchiveUrl, getArchiveUrl } from "../archive_url.ts";
import { sleep, throwIfAborted } from "../http/abort.ts";
import { Redactor, secretHeaderValues, shownUrl, urlSecrets } from "../http/redact.ts";
import { fetchFollowing } from "../http/redirects.ts";
import { readErrorBody, USER_AGENT } from "../http/request.ts";
import {
  backoffDelayMs,
  isRetryableStatus,
  retryAfterMs,
  serverRetryVerdict,
} from "../../protocol/retry.ts";
import { parseTinkerPath } from "../../protocol/paths.ts";
import type { BufferPool } from "./buffer_pool.ts";
import { type ProgressCallback, type ProgressSink, ProgressThrottle } from "./progress.ts";
import { DEFAULT_MIN_BYTES_PER_SECOND, ThroughputWatch } from "./throughput.ts";
import type { SignedUrl } from "./url_source.ts";
import { contentLength, objectDigestOf, parseContentRange, validatorOf } from "./object_headers.ts";
import {
  type BodyReader,
  DEFAULT_CONNECTIONS,
  DEFAULT_WINDOW_BYTES,
  pieceBytesFor,
  RangedReader,
  RangesIgnoredError,
} from "./ranged_source.ts";
import { Resumable } from "./resumable.ts";

/** Resumes allowed in a row without receiving a single new byte (default 5). */
export const DEFAULT_MAX_RESUME_ATTEMPTS = 5;
/** Longest wait for the next chunk (or for response headers) before resuming, in ms (30 s). */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;
/** Bytes one connection is timed over before deciding on parallel ranges (8 MiB). */
const PROBE_BYTES = 8 * 2 ** 20;
/**
 * A connection slower than this (bytes/s) gets company: the rest of the archive comes over
 * parallel ranges. Object stores cap single connections well below it; loopback and fast links
 * are above it, where more connections only cost memory and CPU.
 */
const PARALLEL_BELOW_BYTES_PER_S = 96 * 2 ** 20;
/** A signed URL this close to its expiry is replaced before it is used to resume, in ms. */
const URL_EXPIRY_MARGIN_MS = 5_000;

/** Why and where a download resumes, passed to `onResume`. */
export interface ResumeInfo {
  /** 1 for the first resume of this stream. */
  resume: number;
  /** Failed attempts in a row without progress, including this one. */
  attempt: number;
  /** Archive bytes already delivered; the next request starts here. */
  offset: number;
  /** What went wrong, e.g. `connection broke` or `no data for 30000 ms`. */
  reason: string;
  /** Wait before the next request, in ms. */
  delayMs: number;
}

/** Options of {@link openArchiveStream}. */
export interface ArchiveStreamOptions extends ArchiveUrlOptions {
  /** Resumes allowed in a row without progress before giving up (default 5). */
  maxResumeAttempts?: number;
  /**
   * The throughput window, in ms (default 30 000): a response that brings fewer than
   * `minBytesPerSecond` × window bytes in one window (or no headers) is dropped and resumed. A
   * consumer that pauses longer than this also causes a (harmless) resume.
   */
  stallTimeoutMs?: number;
  /**
   * Minimum throughput, in bytes per second, measured per `stallTimeoutMs` window (default
   * 1024). A response that trickles more slowly is dropped and resumed; an attempt that did not
   * bring one window's worth counts as an attempt without progress.
   */
  minBytesPerSecond?: number;
  /**
   * Overall deadline, in ms from the first read (default: none). When it passes, the stream
   * errors with {@link TimeoutError}, whatever the state of the transfer.
   */
  deadlineMs?: number;
  /** The archive size the caller knows (a checkpoint's `size_bytes`); checked when given. */
  expectedBytes?: number;
  /** Progress: `resolving` first, then `downloading` (throttled), then `done`. */
  onProgress?: ProgressCallback;
  /** Minimum ms between two `downloading` reports (default 100; 0 reports every chunk). */
  progressIntervalMs?: number;
  /** Told before each resume. */
  onResume?: (info: ResumeInfo) => void;
  /**
   * Parallel connections for a large archive (default 8; 1 turns it off). When the store
   * answers with a validator and the rest of the archive spans at least two pieces, pieces of
   * it are fetched as byte ranges in parallel and handed on in order; a store that ignores
   * `Range` gets one stream.
   */
  connections?: number;
  /** Most bytes buffered ahead of the reader across the parallel pieces (default 32 MiB). */
  windowBytes?: number;
}

/**
 * Open a checkpoint's archive as one `ReadableStream` of bytes, resuming across broken or
 * stalled connections and expired URLs. The stream ends only when every byte announced by the
 * server (and `expectedBytes`, when given) arrived; otherwise it errors with
 * {@link IntegrityError}, {@link ConnectionError}, an API status error or {@link AbortError}.
 * Nothing is requested until the stream is first read. Uses only web APIs.
 *
 * @example
 * ```ts
 * import { archiveEntries, configFromEnv, openArchiveStream } from "@tinkex/tinkex";
 * const stream = openArchiveStream(configFromEnv(), "tinker://run-1:train:0/sampler_weights/final");
 * for await (const entry of archiveEntries(stream)) {
 *   console.log(entry.path, entry.size);
 *   await entry.body.cancel(); // or stream it somewhere
 * }
 * ```
 * @throws {InvalidTinkerPathError} at once when the path is invalid.
 * @throws {ConfigError} at once when the config is unusable.
 */
export function openArchiveStream(
  config: TinkerConfig,
  path: string,
  opts: ArchiveStreamOptions = {},
): ReadableStream<Uint8Array> {
  return archiveByteStream(config, path, opts);
}

/** The checkpoint's signed archive URL, asked for with the stream's options. */
export function fetchArchiveUrl(
  config: TinkerConfig,
  path: string,
  opts: ArchiveStreamOptions,
  signal: AbortSignal,
): Promise<SignedUrl> {
  return getArchiveUrl(config, path, {
    signal,
    timeoutMs: opts.timeoutMs,
    maxRetries: opts.maxRetries,
    headers: opts.headers,
    buildAttempts: opts.buildAttempts,
    buildWaitMs: opts.buildWaitMs,
    onBuilding: opts.onBuilding,
    followHiddenRedirect: opts.followHiddenRedirect,
  });
}

/** What the archive stream is built on, for callers inside the package (`download()`). */
export interface ArchiveStreamDeps {
  /** Read the response into buffers of this pool (the consumer gives them back). */
  pool?: BufferPool;
  /** Where progress goes (default: `opts.onProgress`, throttled). */
  progress?: ProgressSink;
  /**
   * Where the signed URL comes from, for the first and for each fresh one (after an expiry or
   * a 403); default: the checkpoint's archive URL. An external checkpoint lends one per file.
   */
  urlSource?: (signal: AbortSignal) => Promise<SignedUrl>;
  /**
   * Continue an earlier run: start at `offset` of the archive known by this validator and
   * size. A store whose archive changed since fails with {@link ArchiveChangedError} before
   * delivering a byte.
   */
  resumeAt?: { offset: number; validator: string; total: number };
  /** Told what the first response says about the archive, before its bytes flow. */
  onObject?: (object: ArchiveObject) => void;
}

/** What the store says about the archive. */
export interface ArchiveObject {
  /** Strong ETag or Last-Modified. */
  validator?: string;
  /** Size in bytes. */
  total?: number;
  /** The store's digest of the whole archive (`Repr-Digest` or `x-goog-hash`). */
  digest?: string;
}

/** The archive is not the one the download started with (another validator or size). */
export class ArchiveChangedError extends IntegrityError {}

/** {@link openArchiveStream} with its internal dependencies made explicit (not exported). */
export function archiveByteStream(
  config: TinkerConfig,
  path: string,
  opts: ArchiveStreamOptions,
  deps: ArchiveStreamDeps = {},
): ReadableStream<Uint8Array> {
  parseTinkerPath(path);
  const fetcher = new ArchiveFetcher(resolveConfig(config), path, opts, deps);
  return new ReadableStream<Uint8Array>({
    pull: (controller) => fetcher.pull(controller),
    cancel: (reason) => fetcher.cancel(reason),
  }, { highWaterMark: 0 });
}

/**
 * A transfer broke after bytes were delivered, and the server named no validator (`ETag` or
 * `Last-Modified`): a resumed response could be another object, so it is not resumed. Internal
 * (an {@link IntegrityError} for callers); `download()` starts over in a fresh directory.
 */
export class UnverifiableResumeError extends IntegrityError {
  /** Build from what broke and at which byte. */
  constructor(reason: string, offset: number) {
    super(
      `${reason} at byte ${offset}, and the server sent no ETag or Last-Modified, so resuming ` +
        "could splice in a different object; download it again",
    );
  }
}

/** While one connection's first bytes are timed: where they started, and the time waited. */
interface Probe {
  from: number;
  /** Time spent waiting for the network (not for the consumer), in ms. */
  waitMs: number;
}

/** Bytes per read of a BYOB reader handed to the parallel ranges (a usual network chunk). */
const RANGE_READ_BYTES = 64 * 1024;

/** `reader` read into a fresh buffer each time, as a default reader would. */
function freshBuffers(reader: ReadableStreamBYOBReader): BodyReader {
  return {
    read: () =>
      reader.read(new Uint8Array(RANGE_READ_BYTES)) as Promise<
        ReadableStreamReadResult<Uint8Array>
      >,
    cancel: (reason) => reader.cancel(reason),
  };
}

/** The state of one archive download across its requests. */
class ArchiveFetcher {
  readonly #config: ResolvedConfig;
  readonly #path: string;
  readonly #opts: ArchiveStreamOptions;
  readonly #signal: AbortSignal;
  /** Aborts on the caller's signal, a cancel of the stream, or the deadline. */
  readonly #abort = new AbortController();
  #deadlineHit = false;
  readonly #onCallerAbort = () => this.#abort.abort(this.#opts.signal?.reason);
  readonly #progress: ProgressSink;
  readonly #maxAttempts: number;
  readonly #stallMs: number;
  /** Bytes one throughput window must bring. */
  readonly #windowBytes: number;
  readonly #pool?: BufferPool;
  readonly #urlSource?: (signal: AbortSignal) => Promise<SignedUrl>;
  #redactor: Redactor;
  #cancelDeadline?: () => void;
  #url?: string;
  #expiresAt = 0;
  #urlIsFresh = false;
  #validator?: string;
  #total?: number;
  #offset = 0;
  #skip = 0;
  #failures = 0;
  /** Attempts in a row dropped as too slow that did not bring one window's worth of bytes. */
  #slowAttempts = 0;
  /** Bytes delivered by the current request. */
  #attemptBytes = 0;
  #resumes = 0;
  #started = false;
  #reader?: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader | RangedReader;
  /** Set once the store answered a ranged request with the whole object. */
  #rangesIgnored = false;
  /** While the first bytes of a response are timed: where and when they started. */
  #probe?: Probe;
  /** Whether `#reader` is a BYOB reader filling buffers of `#pool`. */
  #pooledReads = false;
  #watch?: ThroughputWatch;
  /**
   * The response being read. Held while its body is: once Deno collects a Response, aborting
   * its request no longer cancels a pending body read, so Ctrl-C or a stall would hang.
   */
  #response?: Response;
  #onObject?: (object: ArchiveObject) => void;
  /** The signed URL being fetched again, shared by the parallel ranges that need it. */
  #resolving?: Promise<void>;

  constructor(
    config: ResolvedConfig,
    path: string,
    opts: ArchiveStreamOptions,
    deps: ArchiveStreamDeps,
  ) {
    this.#config = config;
    this.#path = path;
    this.#opts = opts;
    // One controller and a plain listener, not AbortSignal.any: a signal made by `any` is held
    // weakly by its sources, and a collected one never aborts the request in flight.
    this.#signal = this.#abort.signal;
    if (opts.signal?.aborted) this.#abort.abort(opts.signal.reason);
    else opts.signal?.addEventListener("abort", this.#onCallerAbort, { once: true });
    this.#progress = deps.progress ??
      new ProgressThrottle(opts.onProgress, opts.progressIntervalMs);
    this.#maxAttempts = opts.maxResumeAttempts ?? DEFAULT_MAX_RESUME_ATTEMPTS;
    this.#stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    const minRate = opts.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND;
    this.#windowBytes = Math.ceil((minRate * this.#stallMs) / 1000);
    this.#pool = deps.pool;
    this.#urlSource = deps.urlSource;
    this.#redactor = new Redactor([config.apiKey, ...secretHeaderValues(config.headers)]);
    this.#onObject = deps.onObject;
    if (deps.resumeAt) {
      this.#offset = deps.resumeAt.offset;
      this.#validator = deps.resumeAt.validator;
      this.#total = deps.resumeAt.total;
    }
  }

  /** Deliver the next chunk, resuming as needed; close the stream once all bytes arrived. */
  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    if (!this.#started) {
      this.#started = true;
      this.#startDeadline();
      this.#progress.report({ phase: "resolving", transferredBytes: 0 });
    }
    try {
      for (;;) {
        throwIfAborted(this.#signal);
        const chunk = await this.#nextChunk();
        if (chunk === undefined) return this.#finish(controller);
        if (chunk.length === 0) continue;
        controller.enqueue(chunk);
        return;
      }
    } catch (e) {
      this.#dropResponse();
      this.#release();
      if (this.#deadlineHit) {
        throw new TimeoutError(
          "GET",
          shownUrl(this.#url ?? ""),
          this.#opts.deadlineMs as number,
          undefined,
          `Cannot download the archive: its deadline of ${this.#opts.deadlineMs} ms passed at ` +
            `byte ${this.#offset}; raise deadlineMs or try again`,
        );
      }
      throw this.#signal.aborted && !(e instanceof AbortError)
        ? new AbortError(this.#signal.reason)
        : e;
    }
  }

  /** The consumer stopped reading: drop the request and any wait. */
  cancel(reason: unknown): void {
    this.#release();
    this.#abort.abort(reason);
    this.#dropResponse();
  }

  /** The stream is over: stop the deadline and stop listening to the caller's signal. */
  #release(): void {
    this.#cancelDeadline?.();
    this.#opts.signal?.removeEventListener("abort", this.#onCallerAbort);
  }

  #startDeadline(): void {
    const ms = this.#opts.deadlineMs;
    if (ms === undefined || !Number.isFinite(ms)) return;
    this.#cancelDeadline = onTimeout(ms, () => {
      this.#deadlineHit = true;
      this.#abort.abort(new DOMException("deadline passed", "TimeoutError"));
    });
  }

  /** The next bytes past the offset (possibly empty), or undefined at the verified end. */
  async #nextChunk(): Promise<Uint8Array | undefined> {
    const target = this.#total ?? this.#opts.expectedBytes;
    if (this.#reader === undefined) {
      if (target !== undefined && this.#offset === target && this.#offset > 0) return undefined;
      try {
        await this.#connect();
      } catch (e) {
        await this.#recover(e);
      }
      return new Uint8Array(0);
    }
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      const t0 = this.#probe === undefined ? 0 : performance.now();
      result = await this.#read();
      if (this.#probe !== undefined) this.#probe.waitMs += performance.now() - t0;
    } catch (e) {
      const failure = this.#readFailure(e);
      this.#dropResponse();
      await this.#recover(failure);
      return new Uint8Array(0);
    }
    if (result.done && this.#watch?.signal.aborted) {
      // Interrupted (aborted, too slow, past the deadline), not the end of the body.
      const failure = this.#networkFailure(new Error("the transfer was interrupted"));
      this.#dropResponse();
      await this.#recover(failure);
      return new Uint8Array(0);
    }
    if (result.done) {
      this.#dropResponse();
      if (target === undefined || this.#offset === target) return undefined;
      await this.#recover(
        new Resumable(
          "the response ended early",
          new IntegrityError(
            `the archive ended after ${this.#offset} of ${target} bytes; download it again`,
          ),
        ),
      );
      return new Uint8Array(0);
    }
    const chunk = this.#accept(result.value);
    if (this.#probe !== undefined) this.#maybeGoParallel();
    return chunk;
  }

  /** Read the next chunk: into a pooled buffer when a pool was lent, else as the body gives it. */
  async #read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    const pool = this.#pool;
    if (pool === undefined || !this.#pooledReads) {
      return await (this.#reader as ReadableStreamDefaultReader<Uint8Array> | RangedReader).read();
    }
    const result = await (this.#reader as ReadableStreamBYOBReader).read(pool.take());
    if (result.done || result.value.length === 0) pool.unused(result.value);
    else pool.delivered(result.value);
    return result as ReadableStreamReadResult<Uint8Array>;
  }

  /** Drop the prefix a 200 (or an early 206) repeats, count the rest, report progress. */
  #accept(value: Uint8Array): Uint8Array {
    this.#watch?.add(value.length); // a repeated prefix still shows the connection is alive
    let chunk = value;
    if (this.#skip > 0) {
      const n = Math.min(this.#skip, chunk.length);
      this.#skip -= n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length === 0) return chunk;
    if (this.#total !== undefined && this.#offset + chunk.length > this.#total) {
      throw new IntegrityError(
        `the server sent more than the ${this.#total} bytes it announced; download it again`,
      );
    }
    this.#offset += chunk.length;
    this.#attemptBytes += chunk.length;
    this.#failures = 0;
    // Against the throughput rule, progress is a window's worth: a trickle keeps counting.
    if (this.#attemptBytes >= this.#windowBytes) this.#slowAttempts = 0;
    this.#progress.report({
      phase: "downloading",
      transferredBytes: this.#offset,
      totalBytes: this.#total,
    });
    return chunk;
  }

  /** Check the length against `expectedBytes`, report `done`, close. */
  #finish(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.#dropResponse();
    this.#release();
    const expected = this.#opts.expectedBytes;
    if (expected !== undefined && this.#offset !== expected) {
      throw new IntegrityError(
        `received ${this.#offset} bytes but the checkpoint's size is ${expected} bytes; ` +
          "download it again",
      );
    }
    this.#progress.report({
      phase: "done",
      transferredBytes: this.#offset,
      totalBytes: this.#total ?? this.#offset,
    });
    controller.close();
  }

  /** Get a (fresh enough) signed URL and start a request at the current offset. */
  async #connect(): Promise<void> {
    if (this.#url === undefined || Date.now() > this.#expiresAt - URL_EXPIRY_MARGIN_MS) {
      await this.#resolveUrl();
    }
    const url = this.#url as string;
    const headers = new Headers({ "Accept-Encoding": "identity", "User-Agent": USER_AGENT });
    if (this.#offset > 0) {
      headers.set("Range", `bytes=${this.#offset}-`);
      if (this.#validator !== undefined) headers.set("If-Range", this.#validator);
    }
    const wasFresh = this.#urlIsFresh;
    this.#urlIsFresh = false;
    const watch = new ThroughputWatch(this.#signal, this.#stallMs, this.#windowBytes);
    this.#watch = watch;
    // Aborting a request's signal does not always end a pending read of its body (a BYOB read
    // in Deno can stay pending): cancel the reader too, so the read ends at once.
    watch.signal.addEventListener("abort", () => {
      if (this.#watch === watch) this.#reader?.cancel().catch(() => {});
    }, { once: true });
    this.#attemptBytes = 0;
    let res: Response;
    try {
      // No API key and no config headers: the URL is pre-signed and may point elsewhere. A
      // redirect of the store is followed only to URLs the archive-URL rule allows.
      res = await fetchFollowing(this.#config.fetch, url, {
        headers,
        signal: this.#watch.signal,
      }, { check: (next) => checkArchiveUrl(next, this.#config.baseUrl) });
    } catch (e) {
      if (e instanceof TinkerError) throw e;
      throw this.#networkFailure(e);
    }
    if (res.status === 200 || res.status === 206) {
      this.#reader = this.#startBody(res);
      this.#response = res;
      this.#progress.report({
        phase: "downloading",
        transferredBytes: this.#offset,
        totalBytes: this.#total,
      });
      return;
    }
    await this.#refuse(res, wasFresh);
  }

  async #resolveUrl(): Promise<void> {
    const source = this.#urlSource;
    const r = source
      ? await source(this.#signal)
      : await fetchArchiveUrl(this.#config, this.#path, this.#opts, this.#signal);
    // getArchiveUrl checked it already; a lent source's URL is checked here, before any request.
    if (source) checkArchiveUrl(r.url, this.#config.baseUrl);
    this.#url = r.url;
    this.#redactor = this.#redactor.with(urlSecrets(r.url));
    const t = Date.parse(r.expires);
    this.#expiresAt = Number.isFinite(t) ? t : Infinity;
    this.#urlIsFresh = true;
  }

  /** Check a 200/206 against what is known so far and position the skip count. */
  #startBody(
    res: Response,
  ): ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader | RangedReader {
    const validator = validatorOf(res.headers);
    if (this.#offset > 0 && this.#validator !== undefined && validator !== this.#validator) {
      void res.body?.cancel();
      throw new ArchiveChangedError(
        `the archive changed on the server during the download (${this.#validator} → ` +
          `${validator ?? "none"}); download it again`,
      );
    }
    this.#validator ??= validator;
    let start = 0;
    let total = contentLength(res.headers);
    if (res.status === 206) {
      const range = parseContentRange(res.headers.get("content-range"));
      if (range === undefined || range.start > this.#offset) {
        void res.body?.cancel();
        throw new IntegrityError(
          `the server answered a resume at byte ${this.#offset} with Content-Range ` +
            `${JSON.stringify(res.headers.get("content-range"))}; download it again`,
        );
      }
      start = range.start;
      total = range.total;
    }
    if (total !== undefined && this.#total !== undefined && total !== this.#total) {
      void res.body?.cancel();
      throw new ArchiveChangedError(
        `the archive changed on the server during the download (size ${this.#total} → ${total}); ` +
          "download it again",
      );
    }
    const expected = this.#opts.expectedBytes;
    if (total !== undefined && expected !== undefined && total !== expected) {
      void res.body?.cancel();
      throw new IntegrityError(
        `the server announces ${total} bytes but the checkpoint's size is ${expected} bytes; ` +
          "download it again",
      );
    }
    this.#total ??= total;
    this.#skip = this.#offset - start;
    if (this.#onObject) {
      this.#onObject({ validator, total: this.#total, digest: objectDigestOf(res.headers) });
      this.#onObject = undefined;
    }
    if (res.body === null) {
      throw new IntegrityError("the archive response has no body; download it again");
    }
    this.#pooledReads = false;
    // Worth trying parallel ranges: this connection's first bytes are timed.
    this.#probe = this.#parallelAllowed(res) ? { from: this.#offset, waitMs: 0 } : undefined;
    if (this.#pool !== undefined) {
      try {
        const reader = res.body.getReader({ mode: "byob" });
        this.#pooledReads = true;
        return reader;
      } catch {
        // Not a byte stream in this runtime: read chunks as they come.
      }
    }
    return res.body.getReader();
  }

  /** Whether the rest of the archive may come over parallel ranges (see `connections`). */
  #parallelAllowed(res: Response): boolean {
    const connections = this.#opts.connections ?? DEFAULT_CONNECTIONS;
    const windowBytes = this.#opts.windowBytes ?? DEFAULT_WINDOW_BYTES;
    return connections > 1 && !this.#rangesIgnored && this.#skip === 0 &&
      this.#total !== undefined && this.#validator !== undefined &&
      res.headers.get("accept-ranges")?.trim() !== "none" &&
      this.#total - this.#offset >= PROBE_BYTES + 2 * pieceBytesFor(windowBytes, connections);
  }

  /**
   * After the first {@link PROBE_BYTES} of a response: if this one connection is slow (a store
   * that caps each connection), fetch the rest as parallel ranges, starting with this response.
   * A fast connection (loopback, a fast link) stays alone: more would only cost memory and CPU.
   * The rate counts only the time spent waiting for bytes: a slow disk is no reason for more.
   */
  #maybeGoParallel(): void {
    const probe = this.#probe as Probe;
    const bytes = this.#offset - probe.from;
    if (bytes < PROBE_BYTES) return;
    this.#probe = undefined;
    const rate = bytes / Math.max(1, probe.waitMs) * 1000;
    if (rate >= PARALLEL_BELOW_BYTES_PER_S) return; // alone from here on, as it was
    const connections = this.#opts.connections ?? DEFAULT_CONNECTIONS;
    // The ranges buffer their chunks out of order: not into the pool, which recycles in order.
    const first = this.#pooledReads
      ? freshBuffers(this.#reader as ReadableStreamBYOBReader)
      : this.#reader as ReadableStreamDefaultReader<Uint8Array>;
    this.#pooledReads = false;
    this.#reader = new RangedReader({
      open: (start, end, signal) => this.#openRange(start, end, signal),
      validator: this.#validator as string,
      total: this.#total as number,
      start: this.#offset,
      first,
      connections,
      windowBytes: this.#opts.windowBytes ?? DEFAULT_WINDOW_BYTES,
      stallTimeoutMs: this.#stallMs,
      maxAttempts: this.#maxAttempts,
      retryDelayMs: (retry) =>
        backoffDelayMs(retry, this.#config.retryInitialDelayMs, this.#config.retryMaxDelayMs),
      signal: this.#signal,
      onResume: (r) => this.#opts.onResume?.({ ...r, resume: ++this.#resumes }),
    });
    // Each range watches for stalls itself.
    this.#watch?.dispose();
    this.#watch = undefined;
  }

  /** One ranged request of the parallel transfer (a fresh URL when the last one expired). */
  async #openRange(start: number, end: number, signal: AbortSignal): Promise<Response> {
    if (this.#url === undefined || Date.now() > this.#expiresAt - URL_EXPIRY_MARGIN_MS) {
      this.#resolving ??= this.#resolveUrl().finally(() => this.#resolving = undefined);
      await this.#resolving;
    }
    const url = this.#url as string;
    const wasFresh = this.#urlIsFresh;
    this.#urlIsFresh = false;
    const headers = new Headers({
      "Accept-Encoding": "identity",
      "User-Agent": USER_AGENT,
      Range: `bytes=${start}-${end}`,
      "If-Range": this.#validator as string,
    });
    let res: Response;
    try {
      res = await fetchFollowing(this.#config.fetch, url, { headers, signal }, {
        check: (next) => checkArchiveUrl(next, this.#config.baseUrl),
      });
    } catch (e) {
      if (e instanceof TinkerError) throw e;
      throw this.#networkFailure(e);
    }
    if (res.status === 200 || res.status === 206) return res;
    return await this.#refuse(res, wasFresh, url);
  }

  /** A non-2xx answer from the signed URL: refresh on expiry, retry on 5xx/429, else fail. */
  async #refuse(res: Response, urlWasFresh: boolean, url = this.#url as string): Promise<never> {
    const body = await readErrorBody(res);
    const details = {
      status: res.status,
      // The store is not our API: a long text (e.g. an HTML page) is cut short. Whatever it
      // echoes of the signed URL is cut out.
      body: this.#redactor.value(typeof body === "string" ? body.slice(0, 500) : body),
      method: "GET",
      url: shownUrl(url),
      requestId: res.headers.get("x-request-id") ?? undefined,
    };
    if (res.status === 403) {
      const error = new PermissionDeniedError(
        details,
        `Cannot download the archive: the signed URL was refused (403)${
          urlWasFresh ? " right after it was issued" : " again after a fresh one was fetched"
        }; check that the checkpoint is yours or public (GET ${details.url})`,
      );
      if (urlWasFresh) throw error;
      if (this.#url === url) this.#url = undefined;
      throw new Resumable("the signed URL expired (403); fetching a fresh one", error, 0);
    }
    const error = apiErrorFor(details);
    if (serverRetryVerdict(res.headers) ?? isRetryableStatus(res.status)) {
      throw new Resumable(
        `the archive store answered ${res.status}`,
        error,
        retryAfterMs(res.headers),
      );
    }
    throw error;
  }

  /**
   * A failed body read. From parallel ranges: their final errors stand (each range already
   * resumed on its own), and a store found to ignore ranges continues as one stream.
   */
  #readFailure(e: unknown): unknown {
    if (!(this.#reader instanceof RangedReader) || this.#signal.aborted) {
      return this.#networkFailure(e);
    }
    if (!(e instanceof RangesIgnoredError)) return e;
    this.#rangesIgnored = true;
    return new Resumable("the store ignores Range; continuing as one stream", e, 0);
  }

  /** A failed fetch or body read: an abort by the caller, else a resumable network failure. */
  #networkFailure(e: unknown): Error {
    if (this.#signal.aborted) return new AbortError(this.#signal.reason);
    const url = shownUrl(this.#url ?? "");
    const reason = this.#watch?.tripped ?? "the connection broke";
    const at = `at byte ${this.#offset}${this.#total === undefined ? "" : ` of ${this.#total}`}`;
    return new Resumable(
      reason,
      new ConnectionError(
        "GET",
        url,
        this.#redactor.cause(e),
        `Cannot download the archive: ${reason} ${at} and ${this.#maxAttempts} resumes did not ` +
          "help; check the network and try again",
      ),
      undefined,
      this.#watch?.tripped !== undefined,
    );
  }

  /** Wait and allow another attempt, or throw the final error. */
  async #recover(e: unknown): Promise<void> {
    this.#dropResponse();
    throwIfAborted(this.#signal);
    if (!(e instanceof Resumable)) throw e;
    if (this.#offset > 0 && this.#validator === undefined) {
      throw new UnverifiableResumeError(e.reason, this.#offset);
    }
    this.#failures++;
    if (e.slow && this.#attemptBytes < this.#windowBytes) this.#slowAttempts++;
    if (this.#failures > this.#maxAttempts || this.#slowAttempts > this.#maxAttempts) {
      throw e.final;
    }
    this.#resumes++;
    const delayMs = e.delayMs ??
      backoffDelayMs(
        this.#failures - 1,
        this.#config.retryInitialDelayMs,
        this.#config.retryMaxDelayMs,
      );
    this.#opts.onResume?.({
      resume: this.#resumes,
      attempt: this.#failures,
      offset: this.#offset,
      reason: e.reason,
      delayMs,
    });
    if (delayMs > 0) await sleep(delayMs, this.#signal);
  }

  #dropResponse(): void {
    this.#watch?.dispose();
    this.#watch = undefined;
    this.#response = undefined;
    const reader = this.#reader;
    this.#reader = undefined;
    reader?.cancel().catch(() => {});
  }
}
