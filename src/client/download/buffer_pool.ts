/**
 * Recycled read buffers for `download()` (internal, not exported from the package).
 *
 * A download reads gigabytes in 64–256 KiB chunks. Allocated fresh, every chunk becomes garbage
 * that the engine collects only after tens of megabytes pile up, so peak memory grows with the
 * archive. With a pool, the archive stream reads the response into buffers it takes from the
 * pool (a BYOB read), and `download()` gives them back once the bytes are on disk.
 *
 * This relies on a property of modern-tar 0.8.6 (pinned in deno.json): the web decoder hands a
 * member's body out as `subarray` views of the chunks written into it, never as copies, and
 * drops a chunk once it has handed all of it out. So a body chunk's `.buffer` is the pooled
 * buffer the bytes were read into, and once a chunk over buffer B is written, every buffer
 * delivered before B is no longer referenced. `tests/download_pool.test.ts` checks both the
 * property and that downloads really recycle.
 * @module
 */

/** Bytes per pooled buffer. */
export const POOL_BUFFER_BYTES = 256 * 1024;
/** Bytes per read once the pool has given up (the usual size of a network chunk). */
const UNPOOLED_BUFFER_BYTES = 64 * 1024;
/** Most buffers tracked between delivery and release (older ones are simply forgotten). */
const MAX_TRACKED = 32;
/** Releases in a row that match no tracked buffer before the pool gives up (e.g. gzip). */
const MAX_MISSES = 8;

/**
 * Buffers handed out in order and given back in order. Bytes are consumed in archive order, so
 * once the consumer has finished with a chunk of buffer B, every buffer delivered before B is
 * free to be read into again. A buffer is never reused while it may still be referenced:
 * anything not released is forgotten (left to the garbage collector), never recycled.
 *
 * @example
 * ```ts
 * const pool = new BufferPool();
 * const view = pool.take(); // read into it, e.g. reader.read(view) in BYOB mode
 * pool.delivered(view); // the chunk is passed on
 * pool.releaseBefore(view.buffer); // the consumer is done with everything before it
 * ```
 */
export class BufferPool {
  readonly #bytes: number;
  readonly #free: ArrayBuffer[] = [];
  readonly #tracked: ArrayBufferLike[] = [];
  #misses = 0;
  #enabled = true;
  #recycled = 0;

  /** A pool of buffers of `bytes` each. */
  constructor(bytes: number = POOL_BUFFER_BYTES) {
    this.#bytes = bytes;
  }

  /** A buffer to read into: a recycled one when available, else a new one. */
  take(): Uint8Array {
    if (!this.#enabled) return new Uint8Array(UNPOOLED_BUFFER_BYTES);
    const buffer = this.#free.pop();
    if (buffer === undefined) return new Uint8Array(this.#bytes);
    this.#recycled++;
    return new Uint8Array(buffer);
  }

  /** How many buffers {@link take} handed out again instead of allocating. */
  get recycled(): number {
    return this.#recycled;
  }

  /** False once the pool gave up (its buffers did not come back, e.g. behind gzip). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** A read filled `chunk` (a view over a buffer from {@link take}), which goes downstream. */
  delivered(chunk: Uint8Array): void {
    if (!this.#enabled) return;
    this.#tracked.push(chunk.buffer);
    if (this.#tracked.length > MAX_TRACKED) this.#tracked.shift();
  }

  /** A buffer that came back unused (e.g. an empty read at the end of a response). */
  unused(chunk: Uint8Array | undefined): void {
    const buffer = chunk?.buffer;
    if (this.#enabled && buffer instanceof ArrayBuffer && buffer.byteLength === this.#bytes) {
      this.#free.push(buffer);
    }
  }

  /**
   * Start over after chunks not from the pool went by (e.g. while a connection was timed):
   * their releases do not count as misses until one of the pool's buffers comes back.
   */
  restart(): void {
    this.#enabled = true;
    this.#misses = -Infinity;
    this.#tracked.length = 0;
  }

  /**
   * The consumer is done with a chunk over `buffer` and with everything before it: the
   * buffers delivered earlier can be read into again.
   */
  releaseBefore(buffer: ArrayBufferLike): void {
    if (!this.#enabled) return;
    const at = this.#tracked.indexOf(buffer);
    if (at < 0) {
      // Not our buffers (e.g. a gzip stream's output): stop tracking altogether.
      if (++this.#misses >= MAX_MISSES) {
        this.#enabled = false;
        this.#tracked.length = 0;
        this.#free.length = 0;
      }
      return;
    }
    this.#misses = 0;
    for (const b of this.#tracked.splice(0, at)) {
      if (b instanceof ArrayBuffer) this.#free.push(b);
    }
  }
}
