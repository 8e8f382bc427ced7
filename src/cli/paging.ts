/**
 * Taking "N items from offset O" (or all) out of the module's page functions and generators,
 * for the list commands.
 * @module
 */

/** Items taken from a listing, and what is known of the rest. */
export interface Taken<T> {
  /** The items, in listing order. */
  items: T[];
  /** Items in the whole listing, when the service says. */
  total?: number;
  /** Whether more items follow (known even without a total). */
  hasMore: boolean;
}

/** One page as the list commands see it. */
export interface PageResult<T> {
  /** Items of the page. */
  items: T[];
  /** Total of the listing, when known. */
  total?: number;
}

/**
 * Take up to `limit` items from `offset`, asking again while the service returns shorter pages
 * than asked (services cap page sizes) and its total says more follow. Without a total, a short
 * page ends the listing, and a full one is followed by a one-item probe so that `hasMore` is
 * known.
 */
export async function takePage<T>(
  fetchPage: (offset: number, limit: number) => Promise<PageResult<T>>,
  offset: number,
  limit: number,
): Promise<Taken<T>> {
  const items: T[] = [];
  let total: number | undefined;
  for (;;) {
    const page = await fetchPage(offset + items.length, limit - items.length);
    items.push(...page.items);
    total = page.total ?? total;
    const ended = total === undefined || offset + items.length >= total;
    if (page.items.length === 0 || items.length >= limit || ended) break;
  }
  const taken = items.slice(0, limit);
  const hasMore = total !== undefined
    ? offset + taken.length < total
    : taken.length === limit && (await fetchPage(offset + limit, 1)).items.length > 0;
  return { items: taken, total, hasMore };
}

/** Every item of a generator after the first `offset`. */
export async function takeAll<T>(all: AsyncIterable<T>, offset: number): Promise<Taken<T>> {
  const items: T[] = [];
  let index = 0;
  for await (const item of all) {
    if (index++ >= offset) items.push(item);
  }
  return { items, total: index, hasMore: false };
}

/** `limit` items from `offset` of an array already in memory (0 = all). */
export function takeSlice<T>(all: readonly T[], offset: number, limit: number): Taken<T> {
  const end = limit === 0 ? all.length : offset + limit;
  return { items: all.slice(offset, end), total: all.length, hasMore: end < all.length };
}

/** How many items a list command shows when `--limit` is not given. */
export const DEFAULT_LIST_LIMIT = 20;

/** `--limit` (default 20; 0 = all) and `--offset` (default 0) of a list command. */
export function pageOptions(options: Readonly<Record<string, unknown>>): {
  limit: number;
  offset: number;
} {
  return {
    limit: typeof options.limit === "number" ? options.limit : DEFAULT_LIST_LIMIT,
    offset: typeof options.offset === "number" ? options.offset : 0,
  };
}

/**
 * Take `limit` items from `offset`: every item for `--limit 0` (walking the generator),
 * else one page (following capped pages).
 */
export async function takeListing<T>(
  opts: { limit: number; offset: number },
  all: () => AsyncIterable<T>,
  fetchPage: (offset: number, limit: number) => Promise<PageResult<T>>,
): Promise<Taken<T>> {
  return opts.limit === 0
    ? await takeAll(all(), opts.offset)
    : await takePage(fetchPage, opts.offset, opts.limit);
}

/** The cursor printed with a listing's JSON: where it started, how many, out of how many. */
export function listingCursor<T>(
  taken: Taken<T>,
  opts: { limit: number; offset: number },
): { offset: number; limit: number; total_count: number | null } {
  return {
    offset: opts.offset,
    limit: opts.limit === 0 ? taken.items.length : opts.limit,
    total_count: taken.total ?? null,
  };
}
