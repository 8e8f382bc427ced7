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
import { gunzipIfNeeded } from "./decompress.ts";
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
  const stopPipe = new AbortController();
  let source: ReadableStream<Uint8Array>;
  try {
    source = await gunzipIfNeeded(stream);
  } catch (e) {
    throw asArchiveError(e);
  }
  const budget = new HeaderBudget(opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
  const piping = budget.watch(source).pipeTo(decoder.writable, { signal: stopPipe.signal });
  piping.catch(() => {}); // its failure also errors the decoder, which is where we see it
  const reader = decoder.readable.getReader();
  let body: MemberBody | undefined;
  try {
    for (;;) {
      await body?.skipRest();
      let next: ReadableStreamReadResult<ParsedTarEntry>;
      try {
        next = await reader.read();
      } catch (e) {
        throw asArchiveError(e);
      }
      if (next.done) return;
      budget.header(next.value.header.name);
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
      if (entry.size === 0) budget.betweenMembers();
      body = new MemberBody(next.value.body, entry, () => budget.betweenMembers());
      yield { ...entry, body: body.stream };
    }
  } finally {
    // Normal end, an error or the consumer leaving early: stop reading the source.
    body?.stop();
    stopPipe.abort(new TinkerError("Stopped reading the archive"));
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

  constructor(inner: ReadableStream<Uint8Array>, entry: CheckedEntry, onComplete: () => void) {
    this.#reader = inner.getReader();
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: async (controller) => {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await this.#reader.read();
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
        if (this.#received === entry.size) onComplete();
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

/** Most bytes handed to the tar decoder at once (see {@link HeaderBudget.watch}). */
const HEADER_BUDGET_SLICE_BYTES = 64 * 1024;

/**
 * Bounds the tar bytes that are not member data: between the end of one member's body and the
 * next header handed out, only headers (PAX records, long names) and padding flow, and after
 * the end-of-archive marker only zero padding. More than `limit` of them is refused, before the
 * decoder can buffer a giant header or an endless trailer. Bytes the decoder read ahead while a
 * body was still being consumed are not counted, so the bound may be reached a little late,
 * never early.
 */
class HeaderBudget {
  readonly #limit: number;
  #between = true;
  #bytes = 0;
  #after = "";

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** A header was handed out: a body (if any) follows. */
  header(name: string): void {
    this.#after = name;
    this.#between = false;
    this.#bytes = 0;
  }

  /** The current member's body was received whole: headers or the end come next. */
  betweenMembers(): void {
    this.#between = true;
    this.#bytes = 0;
  }

  /**
   * `source` cut into views of at most {@link HEADER_BUDGET_SLICE_BYTES} (no copies: pooled
   * buffers keep their identity), each counted against the budget, so a big chunk holding a
   * header and its body is not taken for a big header.
   */
  watch(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    const reader = source.getReader();
    let rest: Uint8Array = new Uint8Array(0);
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        while (rest.length === 0) {
          const { done, value } = await reader.read();
          if (done) return controller.close();
          rest = value;
        }
        const value = rest.subarray(0, HEADER_BUDGET_SLICE_BYTES);
        rest = rest.subarray(value.length);
        if (this.#between) {
          this.#bytes += value.length;
          if (this.#bytes > this.#limit) {
            const error = this.#refusal();
            await reader.cancel(error).catch(() => {});
            throw error;
          }
        }
        controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    }, { highWaterMark: 0 });
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
