/**
 * One object fetched as byte ranges over several connections and handed on in order (internal).
 *
 * Object stores often cap each connection's rate; several ranged requests in parallel add up.
 * The object is cut into pieces; up to `connections` pieces are in flight, and no piece starts
 * more than a window ahead of the one being consumed, so memory stays bounded however far the
 * consumer lags. The piece at the head is passed on as its bytes arrive, so extraction runs
 * while the rest downloads. Each piece resumes on its own (from where its bytes stopped) after
 * a broken or stalled connection, and every answer is checked: a `206` for exactly the range
 * asked, the same validator and total. A store that answers `200` instead does not honour
 * ranges: {@link RangesIgnoredError} tells the caller to fall back to one stream.
 * @module
 */
import { AbortError, ConnectionError, IntegrityError } from "../errors.ts";
import { TinkerError } from "../../protocol/errors.ts";
import { linkAbort, sleep } from "../http/abort.ts";
import { contentLength, parseContentRange, validatorOf } from "./object_headers.ts";
import { Resumable } from "./resumable.ts";

/** Default number of parallel connections (chosen from `bench/`: see the README). */
export const DEFAULT_CONNECTIONS = 8;
/** Default bytes that may be buffered ahead of the consumer, over all pieces (32 MiB). */
export const DEFAULT_WINDOW_BYTES = 32 * 2 ** 20;
/** Pieces are never smaller than this (each costs a request and its first-byte latency). */
const MIN_PIECE_BYTES = 1 * 2 ** 20;
/** …nor larger than this (a larger piece delays the consumer behind a slow connection). */
const MAX_PIECE_BYTES = 16 * 2 ** 20;

/** The store answered a range request with the whole object: ranges are not honoured. */
export class RangesIgnoredError extends Error {
  /** Built when a `Range` request got a `200`. */
  constructor() {
    super("the store ignores Range requests");
  }
}

/** The part of a stream reader used here. */
export interface BodyReader {
  /** The next chunk. */
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  /** Stop reading. */
  cancel(reason?: unknown): Promise<void>;
}

/** What a piece that had to be requested again reports. */
export interface PieceResume {
  /** Object offset the new request starts at. */
  offset: number;
  /** Failed attempts in a row for this piece without a new byte, including this one. */
  attempt: number;
  /** What went wrong. */
  reason: string;
  /** Wait before the new request, in ms. */
  delayMs: number;
}

/** Options of {@link RangedReader}. */
export interface RangedReaderOptions {
  /**
   * Request bytes `start`–`end` (inclusive) of the object, with `Range` and `If-Range` set.
   * Throws {@link Resumable} for failures worth another attempt (network, 5xx, an expired URL),
   * anything else to stop.
   */
  open(start: number, end: number, signal: AbortSignal): Promise<Response>;
  /** The object's validator (strong ETag or Last-Modified), sent as `If-Range`. */
  validator: string;
  /** The object's size. */
  total: number;
  /** First byte to deliver. */
  start: number;
  /**
   * A reader of a response already open, positioned at `start` (a `200` or an open-ended
   * `206`): the first piece is read from it, then it is cancelled.
   */
  first?: BodyReader;
  /** Connections in parallel (≥ 1). */
  connections: number;
  /** Bytes that may be buffered ahead of the consumer. */
  windowBytes: number;
  /** Longest wait for response headers or the next chunk before re-requesting, in ms. */
  stallTimeoutMs: number;
  /** Failed attempts in a row per piece, without a new byte, before giving up. */
  maxAttempts: number;
  /** The wait before retry number `retry` (0-based) of one piece, in ms. */
  retryDelayMs(retry: number): number;
  /** Aborts everything. */
  signal: AbortSignal;
  /** Told before a piece is requested again. */
  onResume?: (info: PieceResume) => void;
}

/** The size of each piece for a window and a number of connections: two pieces per connection. */
export function pieceBytesFor(windowBytes: number, connections: number): number {
  const per = Math.floor(windowBytes / (2 * Math.max(1, connections)));
  return Math.min(MAX_PIECE_BYTES, Math.max(MIN_PIECE_BYTES, per));
}

/** One range of the object: its bytes as they arrive, until consumed. */
class Piece {
  readonly chunks: Uint8Array[] = [];
  /** Bytes received so far (the next request of this piece starts after them). */
  received = 0;
  done = false;
  error?: unknown;

  constructor(readonly start: number, readonly end: number) {}

  get length(): number {
    return this.end + 1 - this.start;
  }
}

/**
 * Reads an object's bytes `start`–`total` in order, fetching pieces over several connections.
 * Call {@link read} like a stream reader's `read()`; {@link cancel} stops every request.
 */
export class RangedReader {
  readonly #opts: RangedReaderOptions;
  readonly #pieceBytes: number;
  readonly #windowPieces: number;
  readonly #stop = new AbortController();
  readonly #signal: AbortSignal;
  readonly #pieces = new Map<number, Piece>();
  /** Index of the piece being consumed, and of the next one to request. */
  #head = 0;
  #next = 0;
  #changed?: { promise: Promise<void>; resolve: () => void };
  #failure?: unknown;

  /** Start the transfer at once: `connections` requests go out now. */
  constructor(opts: RangedReaderOptions) {
    this.#opts = opts;
    const connections = Math.max(1, Math.floor(opts.connections));
    this.#pieceBytes = pieceBytesFor(opts.windowBytes, connections);
    this.#windowPieces = Math.max(connections, Math.floor(opts.windowBytes / this.#pieceBytes));
    this.#signal = AbortSignal.any([opts.signal, this.#stop.signal]);
    for (let i = 0; i < connections; i++) this.#spawn(i === 0 ? opts.first : undefined);
  }

  /** The next bytes in object order; `done` once the last byte was delivered. */
  async read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#startOf(this.#head) >= this.#opts.total) return { done: true, value: undefined };
      const piece = this.#pieces.get(this.#head);
      if (piece !== undefined) {
        const chunk = piece.chunks.shift();
        if (chunk !== undefined) return { done: false, value: chunk };
        if (piece.error !== undefined) throw piece.error;
        if (piece.done) {
          this.#pieces.delete(this.#head++);
          this.#notify(); // the window moved: a worker may start the next piece
          continue;
        }
      }
      await this.#wait();
    }
  }

  /** Stop every request; later reads fail. */
  cancel(reason?: unknown): Promise<void> {
    this.#failure ??= new AbortError(reason);
    this.#stop.abort(reason);
    this.#pieces.clear();
    this.#notify();
    return Promise.resolve();
  }

  #startOf(index: number): number {
    return this.#opts.start + index * this.#pieceBytes;
  }

  /** One connection: take the next piece inside the window, fetch it, repeat. */
  #spawn(first: RangedReaderOptions["first"]): void {
    const work = async (): Promise<void> => {
      let opened = first;
      for (;;) {
        if (this.#failure !== undefined) return;
        const start = this.#startOf(this.#next);
        if (start >= this.#opts.total) return;
        if (this.#next >= this.#head + this.#windowPieces) {
          await this.#wait();
          continue;
        }
        const index = this.#next++;
        const piece = new Piece(start, Math.min(start + this.#pieceBytes, this.#opts.total) - 1);
        this.#pieces.set(index, piece);
        const response = opened;
        opened = undefined;
        await this.#fetch(piece, response);
        if (piece.error !== undefined) return;
      }
    };
    work().catch((e) => this.#fail(e));
  }

  /** Fetch one piece (resuming it as needed) into its chunk list. */
  async #fetch(piece: Piece, first?: BodyReader): Promise<void> {
    const o = this.#opts;
    let failures = 0;
    let opened = first;
    for (;;) {
      const from = piece.start + piece.received;
      const link = linkAbort(this.#signal, o.stallTimeoutMs);
      try {
        const reader: BodyReader = opened ??
          this.#checked(await o.open(from, piece.end, link.signal), from, piece.end).getReader();
        // An abort or a stall also ends a read of the first response (not fetched with `link`).
        link.signal.addEventListener("abort", () => void reader.cancel().catch(() => {}), {
          once: true,
        });
        try {
          for (;;) {
            link.reset();
            const { done, value } = await reader.read();
            if (done) break;
            const room = piece.length - piece.received;
            const chunk = value.length > room ? value.subarray(0, room) : value;
            piece.received += chunk.length;
            piece.chunks.push(chunk);
            failures = 0;
            this.#notify();
            if (piece.received === piece.length) break;
          }
        } finally {
          reader.cancel().catch(() => {});
        }
        if (piece.received === piece.length) {
          piece.done = true;
          this.#notify();
          return;
        }
        throw new Resumable("the response ended early", earlyEnd(piece));
      } catch (e) {
        if (this.#signal.aborted && !link.timedOut) {
          piece.error = this.#failure ?? new AbortError(o.signal.reason);
          this.#notify();
          return;
        }
        const retry = this.#resumable(e, link.timedOut, piece);
        if (retry === undefined || ++failures > o.maxAttempts) {
          piece.error = retry?.final ?? e;
          this.#fail(piece.error);
          return;
        }
        const delayMs = retry.delayMs ?? o.retryDelayMs(failures - 1);
        const offset = piece.start + piece.received;
        o.onResume?.({ offset, attempt: failures, reason: retry.reason, delayMs });
        try {
          if (delayMs > 0) await sleep(delayMs, this.#signal);
        } catch (abort) {
          piece.error = this.#failure ?? abort;
          this.#notify();
          return;
        }
      } finally {
        link.dispose();
        opened = undefined;
      }
    }
  }

  /**
   * What a failure of one piece's request means: another attempt (network failures, stalls,
   * whatever `open` marked resumable), or undefined to stop (our own errors: a changed object,
   * a bad answer, ranges ignored, a refused request).
   */
  #resumable(e: unknown, stalled: boolean, piece: Piece): Resumable | undefined {
    if (e instanceof Resumable) return e;
    if (e instanceof TinkerError || e instanceof RangesIgnoredError) return undefined;
    const at = `at byte ${piece.start + piece.received} of ${this.#opts.total}`;
    const reason = stalled ? `no data for ${this.#opts.stallTimeoutMs} ms` : "the connection broke";
    return new Resumable(
      reason,
      new ConnectionError(
        "GET",
        "(signed archive URL)",
        e,
        `Cannot download the archive: ${reason} ${at} and ${this.#opts.maxAttempts} resumes ` +
          "did not help; check the network and try again",
      ),
    );
  }

  /** The body of a `206` for exactly `start`–`end` of the same object, else an error. */
  #checked(res: Response, start: number, end: number): ReadableStream<Uint8Array> {
    const o = this.#opts;
    const validator = validatorOf(res.headers);
    if (validator !== undefined && validator !== o.validator) {
      void res.body?.cancel().catch(() => {});
      throw new IntegrityError(
        `the archive changed on the server during the download (${o.validator} → ${validator}); ` +
          "download it again",
      );
    }
    if (res.status === 200) {
      void res.body?.cancel().catch(() => {});
      throw new RangesIgnoredError();
    }
    const range = parseContentRange(res.headers.get("content-range"));
    const length = contentLength(res.headers);
    if (
      res.status !== 206 || range === undefined || range.start !== start || range.end > end ||
      range.end < start || (range.total !== undefined && range.total !== o.total) ||
      (length !== undefined && length !== range.end + 1 - range.start) || res.body === null
    ) {
      void res.body?.cancel().catch(() => {});
      throw new IntegrityError(
        `the server answered a request for bytes ${start}-${end} with ${res.status} and ` +
          `Content-Range ${JSON.stringify(res.headers.get("content-range"))}; download it again`,
      );
    }
    return res.body;
  }

  #fail(e: unknown): void {
    this.#failure ??= e;
    this.#stop.abort(e);
    this.#notify();
  }

  #wait(): Promise<void> {
    this.#changed ??= Promise.withResolvers<void>();
    return this.#changed.promise;
  }

  #notify(): void {
    const changed = this.#changed;
    this.#changed = undefined;
    changed?.resolve();
  }
}

function earlyEnd(piece: Piece): IntegrityError {
  return new IntegrityError(
    `the range ${piece.start}-${piece.end} ended after ${piece.received} of ${piece.length} ` +
      "bytes; download it again",
  );
}
