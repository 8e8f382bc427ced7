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
 * Yield every item of an offset-paginated listing. With a cursor, the pages after the first
 * are fetched `concurrency` at a time; without one, pages are read until a short page.
 */
export async function* walkPages<T>(
  fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
  opts: IterateOptions,
  fallbackPageSize: number,
): AsyncGenerator<T, void, undefined> {
  let pageSize = opts.pageSize ?? DEFAULT_ITERATE_PAGE_SIZE;
  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_ITERATE_CONCURRENCY);
  let first: Page<T>;
  try {
    first = await fetchPage(0, pageSize);
  } catch (e) {
    // A service that caps page sizes lower refuses the large page: use its default.
    const refused = e instanceof BadRequestError || e instanceof UnprocessableEntityError;
    if (!refused || opts.pageSize !== undefined || pageSize === fallbackPageSize) throw e;
    pageSize = fallbackPageSize;
    first = await fetchPage(0, pageSize);
  }
  yield* first.items;

  const total = first.cursor?.total_count;
  if (typeof total !== "number") {
    // No cursor: read on while pages come back full.
    let offset = first.items.length;
    let last = first.items.length;
    while (last >= pageSize && last > 0) {
      const page = await fetchPage(offset, pageSize);
      yield* page.items;
      offset += page.items.length;
      last = page.items.length;
    }
    return;
  }
  const offsets: number[] = [];
  for (let o = pageSize; o < total; o += pageSize) offsets.push(o);
  const inFlight: Promise<Page<T>>[] = [];
  let next = 0;
  const fill = () => {
    while (inFlight.length < concurrency && next < offsets.length) {
      const p = fetchPage(offsets[next++], pageSize);
      p.catch(() => {}); // surfaced when awaited, in order
      inFlight.push(p);
    }
  };
  fill();
  while (inFlight.length > 0) {
    const page = await inFlight.shift()!;
    fill();
    yield* page.items;
  }
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
