/**
 * The archive of a checkpoint as one continuous, resumable byte stream (web APIs only).
 *
 * Resolves the signed URL, GETs it without the API key, and when the connection breaks or
 * stalls mid-body continues with `Range` / `If-Range` into the same stream. A server that
 * answers 200 instead of 206 has the already-delivered prefix skipped; an expired signed URL
 * (403) is replaced by a fresh one. The byte count is checked against `Content-Length`.
 * @module
 */
import { resolveConfig, type ResolvedConfig, type TinkerConfig } from "../config.ts";
import {
  AbortError,
  apiErrorFor,
  ConnectionError,
  IntegrityError,
  PermissionDeniedError,
} from "../errors.ts";
import { type ArchiveUrlOptions, getArchiveUrl } from "../archive_url.ts";
import { linkAbort, type LinkedAbort, sleep, throwIfAborted } from "../http/abort.ts";
import { readErrorBody, USER_AGENT } from "../http/request.ts";
import {
  backoffDelayMs,
  isRetryableStatus,
  retryAfterMs,
  serverRetryVerdict,
} from "../../protocol/retry.ts";
import { parseTinkerPath } from "../../protocol/paths.ts";
import { BUFFER_POOL, type BufferPool, type PooledOptions } from "./buffer_pool.ts";
import { type ProgressCallback, ProgressThrottle } from "./progress.ts";
import { URL_SOURCE, type UrlSourceOptions } from "./url_source.ts";

/** Resumes allowed in a row without receiving a single new byte (default 5). */
export const DEFAULT_MAX_RESUME_ATTEMPTS = 5;
/** Longest wait for the next chunk (or for response headers) before resuming, in ms (30 s). */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;
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
   * Longest wait for the next chunk, in ms (default 30 000); then the request is dropped and
   * resumed. A consumer that pauses longer than this also causes a (harmless) resume.
   */
  stallTimeoutMs?: number;
  /** The archive size the caller knows (a checkpoint's `size_bytes`); checked when given. */
  expectedBytes?: number;
  /** Progress: `resolving` first, then `downloading` (throttled), then `done`. */
  onProgress?: ProgressCallback;
  /** Minimum ms between two `downloading` reports (default 100; 0 reports every chunk). */
  progressIntervalMs?: number;
  /** Told before each resume. */
  onResume?: (info: ResumeInfo) => void;
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
  parseTinkerPath(path);
  const fetcher = new ArchiveFetcher(resolveConfig(config), path, opts);
  return new ReadableStream<Uint8Array>({
    pull: (controller) => fetcher.pull(controller),
    cancel: (reason) => fetcher.cancel(reason),
  }, { highWaterMark: 0 });
}

/** A failure the fetcher may resume from; `final` is what to throw once attempts run out. */
class Resumable extends Error {
  constructor(
    readonly reason: string,
    readonly final: Error,
    readonly delayMs?: number,
  ) {
    super(reason);
  }
}

/** The state of one archive download across its requests. */
class ArchiveFetcher {
  readonly #config: ResolvedConfig;
  readonly #path: string;
  readonly #opts: ArchiveStreamOptions;
  readonly #signal: AbortSignal;
  readonly #cancel = new AbortController();
  readonly #progress: ProgressThrottle;
  readonly #maxAttempts: number;
  readonly #stallMs: number;
  readonly #pool?: BufferPool;
  #url?: string;
  #expiresAt = 0;
  #urlIsFresh = false;
  #validator?: string;
  #total?: number;
  #offset = 0;
  #skip = 0;
  #failures = 0;
  #resumes = 0;
  #started = false;
  #reader?: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader;
  /** Whether `#reader` is a BYOB reader filling buffers of `#pool`. */
  #pooledReads = false;
  #link?: LinkedAbort;
  /**
   * The response being read. Held while its body is: once Deno collects a Response, aborting
   * its request no longer cancels a pending body read, so Ctrl-C or a stall would hang.
   */
  #response?: Response;

  constructor(config: ResolvedConfig, path: string, opts: ArchiveStreamOptions) {
    this.#config = config;
    this.#path = path;
    this.#opts = opts;
    this.#signal = opts.signal
      ? AbortSignal.any([opts.signal, this.#cancel.signal])
      : this.#cancel.signal;
    this.#progress = new ProgressThrottle(opts.onProgress, opts.progressIntervalMs);
    this.#maxAttempts = opts.maxResumeAttempts ?? DEFAULT_MAX_RESUME_ATTEMPTS;
    this.#stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.#pool = (opts as PooledOptions)[BUFFER_POOL];
  }

  /** Deliver the next chunk, resuming as needed; close the stream once all bytes arrived. */
  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    if (!this.#started) {
      this.#started = true;
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
      throw this.#signal.aborted && !(e instanceof AbortError)
        ? new AbortError(this.#signal.reason)
        : e;
    }
  }

  /** The consumer stopped reading: drop the request and any wait. */
  cancel(reason: unknown): void {
    this.#cancel.abort(reason);
    this.#dropResponse();
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
      this.#link?.reset();
      result = await this.#read();
    } catch (e) {
      const failure = this.#networkFailure(e);
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
    return this.#accept(result.value);
  }

  /** Read the next chunk: into a pooled buffer when a pool was lent, else as the body gives it. */
  async #read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    const pool = this.#pool;
    if (pool === undefined || !this.#pooledReads) {
      return await (this.#reader as ReadableStreamDefaultReader<Uint8Array>).read();
    }
    const result = await (this.#reader as ReadableStreamBYOBReader).read(pool.take());
    if (result.done || result.value.length === 0) pool.unused(result.value);
    else pool.delivered(result.value);
    return result as ReadableStreamReadResult<Uint8Array>;
  }

  /** Drop the prefix a 200 (or an early 206) repeats, count the rest, report progress. */
  #accept(value: Uint8Array): Uint8Array {
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
    this.#failures = 0;
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
    this.#link = linkAbort(this.#signal, this.#stallMs);
    let res: Response;
    try {
      // No API key and no config headers: the URL is pre-signed and may point elsewhere.
      res = await this.#config.fetch(url, { headers, signal: this.#link.signal });
    } catch (e) {
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
    const o = this.#opts;
    const source = (o as UrlSourceOptions)[URL_SOURCE];
    const r = source ? await source() : await getArchiveUrl(this.#config, this.#path, {
      signal: this.#signal,
      timeoutMs: o.timeoutMs,
      maxRetries: o.maxRetries,
      headers: o.headers,
      buildAttempts: o.buildAttempts,
      buildWaitMs: o.buildWaitMs,
      onBuilding: o.onBuilding,
    });
    this.#url = r.url;
    const t = Date.parse(r.expires);
    this.#expiresAt = Number.isFinite(t) ? t : Infinity;
    this.#urlIsFresh = true;
  }

  /** Check a 200/206 against what is known so far and position the skip count. */
  #startBody(res: Response): ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader {
    const validator = validatorOf(res.headers);
    if (this.#offset > 0 && this.#validator !== undefined && validator !== this.#validator) {
      void res.body?.cancel();
      throw new IntegrityError(
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
      throw new IntegrityError(
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
    if (res.body === null) {
      throw new IntegrityError("the archive response has no body; download it again");
    }
    this.#pooledReads = false;
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

  /** A non-2xx answer from the signed URL: refresh on expiry, retry on 5xx/429, else fail. */
  async #refuse(res: Response, urlWasFresh: boolean): Promise<never> {
    const body = await readErrorBody(res);
    const details = {
      status: res.status,
      // The store is not our API: a long text (e.g. an HTML page) is cut short.
      body: typeof body === "string" ? body.slice(0, 500) : body,
      method: "GET",
      url: safeUrl(this.#url as string),
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
      this.#url = undefined;
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

  /** A failed fetch or body read: an abort by the caller, else a resumable network failure. */
  #networkFailure(e: unknown): Error {
    if (this.#signal.aborted) return new AbortError(this.#signal.reason);
    const url = safeUrl(this.#url ?? "");
    const stalled = this.#link?.timedOut ?? false;
    const reason = stalled ? `no data for ${this.#stallMs} ms` : "the connection broke";
    const at = `at byte ${this.#offset}${this.#total === undefined ? "" : ` of ${this.#total}`}`;
    return new Resumable(
      reason,
      new ConnectionError(
        "GET",
        url,
        e,
        `Cannot download the archive: ${reason} ${at} and ${this.#maxAttempts} resumes did not ` +
          "help; check the network and try again",
      ),
    );
  }

  /** Wait and allow another attempt, or throw the final error. */
  async #recover(e: unknown): Promise<void> {
    this.#dropResponse();
    throwIfAborted(this.#signal);
    if (!(e instanceof Resumable)) throw e;
    this.#failures++;
    if (this.#failures > this.#maxAttempts) throw e.final;
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
    this.#link?.dispose();
    this.#link = undefined;
    this.#response = undefined;
    const reader = this.#reader;
    this.#reader = undefined;
    reader?.cancel().catch(() => {});
  }
}

/** A strong ETag, else Last-Modified: what `If-Range` may carry. */
function validatorOf(headers: Headers): string | undefined {
  const etag = headers.get("etag");
  if (etag && !etag.startsWith("W/")) return etag;
  return headers.get("last-modified") ?? undefined;
}

function contentLength(headers: Headers): number | undefined {
  const encoding = headers.get("content-encoding");
  if (encoding && encoding !== "identity") return undefined; // length of the encoded bytes
  const raw = headers.get("content-length");
  if (raw === null || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw);
}

function parseContentRange(raw: string | null): { start: number; total?: number } | undefined {
  const m = raw?.trim().match(/^bytes (\d+)-\d+\/(\d+|\*)$/);
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[2] === "*" ? undefined : Number(m[2]) };
}

/** The signed URL without its query (where the signature lives), for messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? "?…" : ""}`;
  } catch {
    return "(signed URL)";
  }
}
