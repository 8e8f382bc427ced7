/**
 * Where an archive stream's signed URL comes from, when it is not simply asked for when the
 * stream starts: the download of an external checkpoint lends one source per file (its entry of
 * `external_weights_urls`), and `download()` asks for an archive's URL in advance
 * ({@link UrlInAdvance}); both reach the stream as its `urlSource` dependency.
 * @module
 */

/** A signed URL and its expiry (ISO 8601). */
export interface SignedUrl {
  /** The pre-signed URL. */
  url: string;
  /** When it expires. */
  expires: string;
}

/**
 * A signed URL asked for ahead of time and handed to the first archive stream that needs one:
 * `download()` asks while it prepares the disk, so the API's round trip (and the runtime's first
 * `fetch`, ~10 ms under Deno) overlaps that work instead of following it. Whoever takes it
 * links its signal (abort, cancel, deadline) to the request; a request nobody takes is stopped
 * by {@link UrlInAdvance.cancel}, and its failure is never unhandled.
 */
export class UrlInAdvance {
  #promise?: Promise<SignedUrl>;
  readonly #abort = new AbortController();

  /** Start `request` now, with a signal of its own. */
  constructor(request: (signal: AbortSignal) => Promise<SignedUrl>) {
    const promise = request(this.#abort.signal);
    promise.catch(() => {}); // reported to whoever takes it, or to nobody
    this.#promise = promise;
  }

  /** The URL being fetched, the first time only (then undefined); `signal` now governs it. */
  take(signal: AbortSignal): Promise<SignedUrl> | undefined {
    const promise = this.#promise;
    if (promise === undefined) return undefined;
    this.#promise = undefined;
    const stop = () => this.#abort.abort(signal.reason);
    if (signal.aborted) stop();
    else {
      signal.addEventListener("abort", stop, { once: true });
      promise.finally(() => signal.removeEventListener("abort", stop)).catch(() => {});
    }
    return promise;
  }

  /** Not needed after all (the download failed before it streamed): stop the request. */
  cancel(): void {
    if (this.#promise === undefined) return;
    this.#promise = undefined;
    this.#abort.abort();
  }
}
