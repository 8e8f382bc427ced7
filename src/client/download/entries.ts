/**
 * Archive bytes → checked entries, streaming (web APIs only): gzip detection, tar decoding,
 * the safety rules of {@link EntryGuard}, and completeness checks of every member.
 * @module
 */
// modern-tar is pinned (0.8.6) also for a property download()'s buffer pool relies on: its
// decoder hands member bodies out as views of the chunks written in, never copies (see
// buffer_pool.ts; tests/download_pool.test.ts fails if that changes).
import { createTarDecoder, type ParsedTarEntry } from "modern-tar";
import { IntegrityError, TinkerError, UnsafeArchiveError } from "../errors.ts";
import { gunzipIfNeeded, type OpenedArchive } from "./decompress.ts";
import {
  type ArchiveLimits,
  type CheckedEntry,
  DEFAULT_MAX_HEADER_BYTES,
  EntryGuard,
} from "./entry_guard.ts";

/** One archive member: a regular file or a directory, with its body as a stream. */
export interface ArchiveEntry extends CheckedEntry {
  /**
   * The member's bytes (empty for directories). Read it to the end or cancel it; whatever is
   * unread when the next entry is requested is skipped. It errors with {@link IntegrityError}
   * when the member is cut short.
   */
  body: ReadableStream<Uint8Array>;
}

/** Options of {@link archiveEntries}: limits on what the archive may extract. */
export interface ArchiveEntriesOptions extends ArchiveLimits {}

/**
 * Turn an archive byte stream (plain tar, or gzip-compressed tar) into its entries, one at a
 * time, without buffering members. Every member is checked before it is handed out: absolute
 * paths, `..`, links, devices, FIFOs, duplicates and archives over the limits raise
 * {@link UnsafeArchiveError} naming the member. A truncated archive, an incomplete member or a
 * missing end-of-archive marker raise {@link IntegrityError}. Leaving the loop early cancels the
 * source stream. Uses only web APIs.
 *
 * @example
 * ```ts
 * import { archiveEntries } from "@tinkex/tinkex";
 * const res = await fetch("https://example.com/checkpoint.tar");
 * for await (const entry of archiveEntries(res.body!, { maxEntries: 1000 })) {
 *   if (entry.type === "file") console.log(entry.path, await new Response(entry.body).bytes());
 * }
 * ```
 */
export async function* archiveEntries(
  stream: ReadableStream<Uint8Array>,
  opts: ArchiveEntriesOptions = {},
): AsyncGenerator<ArchiveEntry, void, undefined> {
  const guard = new EntryGuard(opts);
  const decoder = createTarDecoder({ strict: true });
  let source: OpenedArchive;
  try {
    source = await gunzipIfNeeded(stream);
  } catch (e) {
    throw asArchiveError(e);
  }
  const budget = new HeaderBudget(
    opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    source,
    decoder.writable,
  );
  const reader = decoder.readable.getReader();
  let body: MemberBody | undefined;
  try {
    for (;;) {
      await body?.skipRest();
      let next: ReadableStreamReadResult<ParsedTarEntry>;
      try {
        next = await budget.feedUntil(reader.read());
      } catch (e) {
        throw asArchiveError(e);
      }
      if (next.done) return;
      budget.header(next.value.header.name, next.value.header.size);
      let entry: CheckedEntry | null;
      try {
        entry = guard.check(next.value.header);
      } catch (e) {
        await next.value.body.cancel().catch(() => {});
        throw e;
      }
      if (entry === null) {
        await next.value.body.cancel();
        continue;
      }
      body = new MemberBody(next.value.body, entry, budget);
      yield { ...entry, body: body.stream };
    }
  } finally {
    // Normal end, an error or the consumer leaving early: stop reading the source.
    body?.stop();
    budget.stop(new TinkerError("Stopped reading the archive"));
    await reader.cancel().catch(() => {});
  }
}

/** A member's body as handed to the consumer: counted, checked, skippable. */
class MemberBody {
  readonly stream: ReadableStream<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #controller?: ReadableStreamDefaultController<Uint8Array>;
  #received = 0;
  #finished = false;

  constructor(inner: ReadableStream<Uint8Array>, entry: CheckedEntry, budget: HeaderBudget) {
    this.#reader = inner.getReader();
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: async (controller) => {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await budget.feedUntil(this.#reader.read());
        } catch (e) {
          this.#finished = true;
          throw asArchiveError(e);
        }
        if (r.done) {
          this.#finished = true;
          if (this.#received !== entry.size) {
            throw new IntegrityError(
              `archive member ${JSON.stringify(entry.path)} is incomplete: ${this.#received} of ` +
                `${entry.size} bytes; download it again`,
            );
          }
          controller.close();
          return;
        }
        this.#received += r.value.length;
        controller.enqueue(r.value);
      },
      cancel: (reason) => {
        this.#finished = true;
        return this.#reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
  }

  /** The consumer asked for the next entry: skip what it did not read of this one. */
  async skipRest(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.#controller?.error(
      new TinkerError("This entry's body was not read before the next entry was requested"),
    );
    await this.#reader.cancel().catch(() => {});
  }

  /** The iteration ended: make any further read of this body fail instead of hang. */
  stop(): void {
    if (this.#finished) return;
    this.#finished = true;
    try {
      this.#controller?.error(new TinkerError("The archive iteration ended"));
    } catch {
      // already closed
    }
    this.#reader.cancel().catch(() => {});
  }
}

/** Bytes handed to the tar decoder at once while they count as header bytes. */
const TAR_BLOCK_BYTES = 512;

/**
 * Feeds the tar decoder and bounds the tar bytes that are not member data. Nothing runs ahead:
 * input reaches the decoder only while the next header is awaited or a body is read, one piece
 * at a time, and after each piece the wait is over if the decoder answered (it answers within
 * the write, so no piece goes past what it needed). The current member's body (and its padding)
 * goes in views as large as they came; every other byte — headers (PAX records, long names),
 * padding between members, what follows the end-of-archive marker — goes one tar block at a time
 * and is counted. More than `limit` of them before one member is refused, before the decoder can
 * buffer a giant header or spend forever on an endless trailer. The accounting never depends on
 * timing: a header ends on a block boundary, so when it is handed out the decoder holds none of
 * the body that follows.
 */
class HeaderBudget {
  readonly #limit: number;
  #bytes = 0;
  /** Bytes of the current member's body, padding included, not yet handed to the decoder. */
  #bodyLeft = 0;
  #after = "";
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  /** What is left of the source chunk being fed. */
  #rest: Uint8Array;
  /** Bytes handed to the decoder so far. */
  #fed = 0;
  /** The source ended and the decoder was told so. */
  #closed = false;
  /** The piece being fed: one at a time, whoever asks (a body read left pending, the next header). */
  #feeding: Promise<void> = Promise.resolve();

  constructor(limit: number, source: OpenedArchive, decoder: WritableStream<Uint8Array>) {
    this.#limit = limit;
    this.#reader = source.reader;
    this.#rest = source.head ?? new Uint8Array(0);
    this.#writer = decoder.getWriter();
  }

  /** A member's header was handed out: its body follows, and the next member starts afresh. */
  header(name: string, size: number): void {
    this.#after = name;
    this.#bytes = 0;
    this.#bodyLeft = Math.ceil(size / TAR_BLOCK_BYTES) * TAR_BLOCK_BYTES;
  }

  /** Stop: the source is cancelled and the decoder aborted. */
  stop(reason: unknown): void {
    this.#closed = true;
    this.#reader.cancel(reason).catch(() => {});
    this.#writer.abort(reason).catch(() => {});
  }

  /**
   * Feed the decoder, a piece at a time, until `answer` (the next header, or a body's next
   * bytes) settles: the rest of the current body first, then counted blocks.
   */
  async feedUntil<T>(answer: Promise<T>): Promise<T> {
    let settled = false;
    answer.then(() => settled = true, () => settled = true);
    // An answer already there (a queued header, a body read to its end) needs no more input.
    await undefined;
    while (!settled && !this.#closed) {
      try {
        await this.#feedPiece();
      } catch (e) {
        // A decoder that failed has failed its readable too: that answer says more.
        if (settled) break;
        this.stop(e);
        throw e;
      }
    }
    return await answer;
  }

  /** The next piece, after the one being fed (two feeders at once would split the source). */
  #feedPiece(): Promise<void> {
    const piece = this.#feeding.then(() => this.#closed ? undefined : this.#feedOnePiece());
    this.#feeding = piece.catch(() => {});
    return piece;
  }

  /** One piece: a view of the current body's bytes, or one counted block, or the end. */
  async #feedOnePiece(): Promise<void> {
    while (this.#rest.length === 0) {
      const { done, value } = await this.#reader.read();
      if (done) {
        this.#closed = true;
        return await this.#writer.close();
      }
      this.#rest = value;
    }
    const body = this.#bodyLeft > 0;
    // A counted piece ends on the tar's block grid, whatever the chunks: a header's last piece
    // then holds nothing of what follows.
    const toGrid = TAR_BLOCK_BYTES - (this.#fed % TAR_BLOCK_BYTES);
    const piece = this.#rest.subarray(0, body ? this.#bodyLeft : toGrid);
    this.#rest = this.#rest.subarray(piece.length);
    this.#fed += piece.length;
    if (body) this.#bodyLeft -= piece.length;
    else {
      this.#bytes += piece.length;
      if (this.#bytes > this.#limit) throw this.#refusal();
    }
    await this.#writer.write(piece);
  }

  #refusal(): UnsafeArchiveError {
    return new UnsafeArchiveError(
      this.#after === "" ? "(start of the archive)" : this.#after,
      `more than ${this.#limit} bytes of headers or padding follow it (a PAX or long-name ` +
        "header, or data after the end-of-archive marker); raise maxHeaderBytes if you trust it",
    );
  }
}

/** Keep tinkex errors (network, abort, unsafe); anything else is a malformed archive. */
function asArchiveError(e: unknown): Error {
  if (e instanceof TinkerError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new IntegrityError(
    `the archive is not a complete tar or gzip stream (${message}); download it again`,
    { cause: e },
  );
}
