/**
 * `download()` of an external checkpoint: its files, each from its own signed URL (from
 * `external_weights_urls`), a few at once. Every file goes through the same resumable, verified
 * stream as an archive (`openArchiveStream` with a per-file URL source) and is written by the
 * same writer, into the temporary directory `download()` renames into place at the end. Names
 * are checked like archive members before anything is fetched.
 * @module
 */
import type { TinkerConfig } from "../config.ts";
import { IntegrityError, UnsafeArchiveError } from "../errors.ts";
import { getExternalWeightsUrls } from "../external_weights.ts";
import { throwIfAborted } from "../http/abort.ts";
import type { ExternalWeightsUrlsResponse } from "../../protocol/types.ts";
import { openArchiveStream } from "./archive_stream.ts";
import { BUFFER_POOL, BufferPool } from "./buffer_pool.ts";
import type { DownloadedFile, DownloadOptions, Extracted, WriteMember } from "./download.ts";
import { DEFAULT_MAX_BYTES, EntryGuard } from "./entry_guard.ts";
import { type DownloadProgress, ProgressThrottle } from "./progress.ts";
import { type SignedUrl, URL_SOURCE } from "./url_source.ts";

/** How many files of an external checkpoint are fetched at once. */
export const EXTERNAL_PARALLEL_FILES = 4;
/** URLs this close to their expiry are renewed before use, in ms. */
const RENEW_MARGIN_MS = 5_000;

/**
 * The URL map of one checkpoint, renewed on demand: once for everyone when it expires, or when a
 * file asks again for a map it already used (its URL was refused, e.g. expired early).
 */
class UrlBook {
  #map: ExternalWeightsUrlsResponse;
  #generation = 0;
  #renewing?: Promise<void>;
  readonly #renew: () => Promise<ExternalWeightsUrlsResponse>;

  constructor(
    first: ExternalWeightsUrlsResponse,
    renew: () => Promise<ExternalWeightsUrlsResponse>,
  ) {
    this.#map = first;
    this.#renew = renew;
  }

  /** The current URL of `file`; `used` is the generation the caller had last (-1 at first). */
  async urlFor(file: string, used: number): Promise<SignedUrl & { generation: number }> {
    const expiresAt = Date.parse(this.#map.expires);
    if (used === this.#generation || Date.now() > expiresAt - RENEW_MARGIN_MS) {
      this.#renewing ??= this.#renew().then((map) => {
        this.#map = map;
        this.#generation++;
      }).finally(() => this.#renewing = undefined);
      await this.#renewing;
    }
    const url = this.#map.urls[file];
    if (typeof url !== "string") {
      throw new IntegrityError(
        `the file ${
          JSON.stringify(file)
        } is no longer among the checkpoint's files; download it again`,
      );
    }
    return { url, expires: this.#map.expires, generation: this.#generation };
  }
}

/** Fetch every file of the external checkpoint `path` with `write` (into the destination). */
export async function extractExternal(
  config: TinkerConfig,
  path: string,
  write: WriteMember,
  opts: DownloadOptions,
): Promise<Extracted> {
  const progress = new ProgressThrottle(opts.onProgress);
  progress.report({ phase: "resolving", transferredBytes: 0 });
  const request = { signal: opts.signal, timeoutMs: opts.timeoutMs, maxRetries: opts.maxRetries };
  const first = await getExternalWeightsUrls(config, path, { ...request, headers: opts.headers });
  const files = checkedFiles(first, opts);
  const book = new UrlBook(first, () => getExternalWeightsUrls(config, path, request));
  const received = new Map<string, number>();
  const total = (): number => [...received.values()].reduce((a, b) => a + b, 0);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const report = (phase: DownloadProgress["phase"], entry?: string): DownloadProgress => {
    const p = { phase, transferredBytes: total(), totalBytes: opts.expectedBytes, entry };
    progress.report(p);
    return p;
  };
  // The first failure stops the other files' transfers too.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;

  const fetchOne = async (file: { key: string; path: string }): Promise<DownloadedFile> => {
    let generation = -1;
    const pool = new BufferPool();
    const stream = openArchiveStream(config, path, {
      ...opts,
      signal,
      expectedBytes: undefined,
      onProgress: (p) => {
        received.set(file.key, p.transferredBytes);
        if (total() > maxBytes) {
          stop.abort(
            new UnsafeArchiveError(
              file.path,
              `the checkpoint would download more than ${maxBytes} bytes (raise maxBytes if you trust it)`,
            ),
          );
        }
        if (p.phase === "downloading") report("downloading", file.path);
      },
      progressIntervalMs: 0,
      [BUFFER_POOL]: pool,
      [URL_SOURCE]: async () => {
        const got = await book.urlFor(file.key, generation);
        generation = got.generation;
        return got;
      },
    } as DownloadOptions);
    await write({ path: file.path, type: "file", size: 0, body: stream }, pool);
    return { path: file.path, size: received.get(file.key) ?? 0 };
  };

  const done: DownloadedFile[] = new Array(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length && !signal.aborted) {
      const i = next++;
      done[i] = await fetchOne(files[i]);
    }
  };
  // Every worker has stopped before this returns or throws, so nothing writes into the
  // temporary directory while download() removes it.
  const outcomes = await Promise.allSettled(
    Array.from(
      { length: Math.min(EXTERNAL_PARALLEL_FILES, files.length) },
      () =>
        worker().catch((e) => {
          if (!stop.signal.aborted) stop.abort(e);
          throw e;
        }),
    ),
  );
  throwIfAborted(opts.signal); // the caller's abort first
  // Then the reason the transfers stopped (the first failure, e.g. the byte limit).
  if (stop.signal.aborted || outcomes.some((o) => o.status === "rejected")) {
    throw stop.signal.reason;
  }
  const bytes = total();
  if (opts.expectedBytes !== undefined && bytes !== opts.expectedBytes) {
    throw new IntegrityError(
      `received ${bytes} bytes but the checkpoint's size is ${opts.expectedBytes} bytes; ` +
        "download it again",
    );
  }
  return { files: done, last: report("verifying") };
}

/** The files to fetch, checked like archive members (containment, clashes, count), in order. */
function checkedFiles(
  map: ExternalWeightsUrlsResponse,
  opts: DownloadOptions,
): { key: string; path: string }[] {
  if (map === null || typeof map !== "object" || typeof map.urls !== "object" || !map.urls) {
    throw new IntegrityError("the service sent no file URLs for this external checkpoint");
  }
  const keys = Object.keys(map.urls).sort();
  if (keys.length === 0) {
    throw new IntegrityError("the external checkpoint has no files; nothing to download");
  }
  const guard = new EntryGuard(opts);
  return keys.map((key) => {
    const url = map.urls[key];
    const checked = guard.check({ name: key, size: 0, type: "file" });
    if (checked === null) throw new UnsafeArchiveError(key, "a file without a name");
    if (typeof url !== "string" || !/^https?:\/\//i.test(url)) {
      throw new UnsafeArchiveError(key, "its URL is not http(s)");
    }
    return { key, path: checked.path };
  });
}
