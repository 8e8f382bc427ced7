/**
 * Walking offset-paginated listings: a large first page, then the rest fetched a few at a time,
 * yielded in order.
 * @module
 */
import { BadRequestError, UnprocessableEntityError } from "./errors.ts";
import type { RequestOptions } from "./http/request.ts";
import type { Cursor } from "../protocol/types.ts";

/** Options of the `iterate…` generators. */
export interface IterateOptions extends RequestOptions {
  /** Items per request (default 1000; falls back to the service default if refused). */
  pageSize?: number;
  /** Pages requested at once once the total is known (default 4). */
  concurrency?: number;
  /** Skip this many items first (default 0). */
  offset?: number;
  /** Yield at most this many items (default: all of them). */
  limit?: number;
  /** Called once with the listing's total when the service reports it (e.g. "20 of 312"). */
  onTotal?: (total: number) => void;
}

/** One fetched page, normalized. */
export interface Page<T> {
  /** The items of the page. */
  items: T[];
  /** The cursor, when the listing has one. */
  cursor?: Cursor | null;
}

/** Default page size of the `iterate…` generators. */
export const DEFAULT_ITERATE_PAGE_SIZE = 1000;
/** Default number of pages fetched at once. */
export const DEFAULT_ITERATE_CONCURRENCY = 4;

/**
 * The items of an offset-paginated listing from `opts.offset`, at most `opts.limit` of them, a
 * page at a time (callers iterate items with a plain loop: each step of an async generator costs
 * about a microsecond, and a listing can be 100,000 items). With a cursor, the pages after the
 * first are fetched `concurrency` at a time; without one, pages are read until a short page. A
 * service that answers fewer items than asked (it caps page sizes) sets the page size for the
 * rest of the walk.
 */
export async function* pagesOf<T>(
  fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
  opts: IterateOptions,
  fallbackPageSize: number,
): AsyncGenerator<T[], void, undefined> {
  const start = Math.max(0, Math.floor(opts.offset ?? 0));
  const end = start + Math.max(0, opts.limit ?? Infinity);
  if (end <= start) return;
  let pageSize = opts.pageSize ?? DEFAULT_ITERATE_PAGE_SIZE;
  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_ITERATE_CONCURRENCY);
  const sizeAt = (offset: number) => Math.min(pageSize, end - offset);
  let asked = sizeAt(start);
  let first: Page<T>;
  try {
    first = await fetchPage(start, asked);
  } catch (e) {
    // A service that caps page sizes lower refuses the large page: use its default.
    const refused = e instanceof BadRequestError || e instanceof UnprocessableEntityError;
    if (!refused || opts.pageSize !== undefined || pageSize === fallbackPageSize) throw e;
    pageSize = fallbackPageSize;
    asked = sizeAt(start);
    first = await fetchPage(start, asked);
  }
  const total = first.cursor?.total_count;
  if (typeof total === "number") opts.onTotal?.(total);
  yield first.items.slice(0, end - start);
  let offset = start + first.items.length;
  if (first.items.length === 0 || offset >= end) return;
  if (first.items.length < asked) {
    if (typeof total !== "number" || offset >= total) return; // a short page ends the listing
    pageSize = first.items.length; // the service's own cap
  }

  if (typeof total !== "number") {
    // No cursor: read on while pages come back full.
    for (;;) {
      const want = sizeAt(offset);
      const page = await fetchPage(offset, want);
      yield page.items.slice(0, end - offset);
      offset += page.items.length;
      if (page.items.length < want || page.items.length === 0 || offset >= end) return;
    }
  }
  const stop = Math.min(total, end);
  const offsets: number[] = [];
  for (let o = offset; o < stop; o += pageSize) offsets.push(o);
  const inFlight: { want: number; page: Promise<Page<T>> }[] = [];
  let next = 0;
  const fill = () => {
    while (inFlight.length < concurrency && next < offsets.length) {
      const o = offsets[next++];
      const want = sizeAt(o);
      const page = fetchPage(o, want);
      page.catch(() => {}); // surfaced when awaited, in order
      inFlight.push({ want, page });
    }
  };
  fill();
  while (inFlight.length > 0) {
    const { want, page } = inFlight.shift()!;
    const items = (await page).items;
    fill();
    // A service that sends more than asked does not stretch the window.
    yield items.length > want ? items.slice(0, want) : items;
  }
}

/** The `offset`/`limit` window of a listing already in memory, reporting its total. */
export function* walkArray<T>(
  all: readonly T[],
  opts: IterateOptions,
): Generator<T, void, undefined> {
  opts.onTotal?.(all.length);
  const start = Math.max(0, Math.floor(opts.offset ?? 0));
  yield* all.slice(start, start + Math.max(0, opts.limit ?? Infinity));
}

/**
 * Whether a cursor says more items follow: `offset + limit < total_count`.
 *
 * @example
 * ```ts
 * import { hasMore } from "@tinkex/tinkex";
 * hasMore({ offset: 0, limit: 100, total_count: 250 }); // true
 * ```
 */
export function hasMore(cursor: Cursor | null | undefined): boolean {
  return !!cursor && cursor.offset + cursor.limit < cursor.total_count;
}
