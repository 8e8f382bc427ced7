/**
 * `--limit N --offset O` for the list commands, on top of the module's `iterate…` generators
 * (the one pagination engine): N items from O (0 = all), the total when the service says it,
 * and whether more follow.
 * @module
 */
import type { IterateOptions } from "../../mod.ts";

/** Items taken from a listing, and what is known of the rest. */
export interface Taken<T> {
  /** The items, in listing order. */
  items: T[];
  /** Items in the whole listing, when the service says. */
  total?: number;
  /** Whether more items follow (known even without a total). */
  hasMore: boolean;
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
 * Take `limit` items from `offset` (every item for 0) from an `iterate…` generator. Without a
 * total from the service, a full window is followed by a one-item probe so `hasMore` is known.
 */
export async function takeListing<T>(
  page: { limit: number; offset: number },
  iterate: (opts: IterateOptions) => AsyncIterable<T> | Iterable<T>,
): Promise<Taken<T>> {
  let total: number | undefined;
  const limit = page.limit === 0 ? undefined : page.limit;
  const items: T[] = [];
  for await (const item of iterate({ offset: page.offset, limit, onTotal: (t) => total = t })) {
    items.push(item);
  }
  if (limit === undefined) {
    return { items, total: total ?? page.offset + items.length, hasMore: false };
  }
  let hasMore: boolean;
  if (total !== undefined) {
    hasMore = page.offset + items.length < total;
  } else if (items.length < limit) {
    hasMore = false;
  } else {
    hasMore = false;
    for await (const _ of iterate({ offset: page.offset + limit, limit: 1 })) hasMore = true;
  }
  return { items, total, hasMore };
}

/**
 * The cursor printed with a listing's JSON: where it started, how many, out of how many (null
 * when the service does not say, as for sessions), and whether more follow (always known).
 */
export function listingCursor<T>(
  taken: Taken<T>,
  opts: { limit: number; offset: number },
): { offset: number; limit: number; total_count: number | null; has_more: boolean } {
  return {
    offset: opts.offset,
    limit: opts.limit === 0 ? taken.items.length : opts.limit,
    total_count: taken.total ?? null,
    has_more: taken.hasMore,
  };
}
