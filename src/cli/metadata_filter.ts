/**
 * `--meta key=value` (repeatable): keep only checkpoints whose `user_metadata` has every pair.
 * @module
 */
import type { Checkpoint, IterateOptions } from "../../mod.ts";
import { UsageError } from "./errors.ts";

/** The pairs every kept checkpoint's metadata must hold. */
export type MetaFilter = readonly (readonly [string, string])[];

/** Parse the `--meta` values (`key=value`; the value may contain `=`; empty means none). */
export function parseMetaFilter(raw: unknown, command: readonly string[]): MetaFilter {
  const values = Array.isArray(raw) ? raw as string[] : typeof raw === "string" ? [raw] : [];
  return values.map((v) => {
    const at = v.indexOf("=");
    if (at <= 0) {
      throw new UsageError(`Invalid value '${v}' for --meta: expected KEY=VALUE`, command);
    }
    return [v.slice(0, at), v.slice(at + 1)] as const;
  });
}

/** Whether `c` carries every pair of `filter` in its `user_metadata`. */
export function matchesMeta(c: Checkpoint, filter: MetaFilter): boolean {
  const meta = c.user_metadata;
  return filter.every(([k, v]) => meta != null && Object.hasOwn(meta, k) && meta[k] === v);
}

/**
 * The window `offset`/`limit` of the checkpoints of `all` that match `filter` (the service cannot
 * filter, so the whole listing is walked).
 */
export async function* filteredWindow(
  all: AsyncIterable<Checkpoint>,
  filter: MetaFilter,
  opts: IterateOptions,
): AsyncGenerator<Checkpoint, void, undefined> {
  let skip = opts.offset ?? 0;
  let left = opts.limit ?? Infinity;
  if (left <= 0) return;
  for await (const c of all) {
    if (!matchesMeta(c, filter)) continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    yield c;
    if (--left <= 0) return;
  }
}
