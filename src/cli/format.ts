/**
 * Human formatting of values for tables: sizes, times, expiries, flags, counts.
 * @module
 */

const SIZE_UNITS = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];

/**
 * A byte count in 1024 steps with one decimal (`88.2 MB`); `N/A` when unknown.
 *
 * @example
 * ```ts
 * formatSize(92_484_403); // "88.2 MB"
 * formatSize(null); // "N/A"
 * ```
 */
export function formatSize(bytes: number | null | undefined): string {
  if (typeof bytes !== "number" || !Number.isFinite(bytes) || bytes < 0) return "N/A";
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (unit < SIZE_UNITS.length - 1 && Number(value.toFixed(1)) >= 1024) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${SIZE_UNITS[unit]}`;
}

const RELATIVE_LIMIT_MS = 30 * 86_400_000;
const STEPS: readonly [number, string][] = [
  [86_400_000, "day"],
  [3_600_000, "hour"],
  [60_000, "minute"],
  [1_000, "second"],
];

/**
 * A time relative to `now` (`3 hours ago`, `in 2 days`), or its ISO date when more than 30 days
 * away; `N/A` when missing or unreadable.
 *
 * @example
 * ```ts
 * formatTime("2026-01-01T09:00:00Z", Date.parse("2026-01-01T12:00:00Z")); // "3 hours ago"
 * formatTime("2025-06-01T00:00:00Z", Date.parse("2026-01-01T00:00:00Z")); // "2025-06-01"
 * ```
 */
export function formatTime(iso: string | null | undefined, now: number = Date.now()): string {
  const t = typeof iso === "string" ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return "N/A";
  const delta = t - now;
  const abs = Math.abs(delta);
  if (abs > RELATIVE_LIMIT_MS) return new Date(t).toISOString().slice(0, 10);
  if (abs < 1_000) return "just now";
  const [ms, unit] = STEPS.find(([ms]) => abs >= ms)!;
  const amount = plural(Math.floor(abs / ms), unit);
  return delta < 0 ? `${amount} ago` : `in ${amount}`;
}

/**
 * An expiry: `Never` when there is none, else as {@link formatTime}.
 *
 * @example
 * ```ts
 * formatExpiry(null); // "Never"
 * ```
 */
export function formatExpiry(iso: string | null | undefined, now: number = Date.now()): string {
  return iso === null || iso === undefined ? "Never" : formatTime(iso, now);
}

/** `Yes` / `No`, or `N/A` when unknown. */
export function formatBool(value: unknown): string {
  if (typeof value !== "boolean") return "N/A";
  return value ? "Yes" : "No";
}

/**
 * A count with its noun, pluralized: `1 checkpoint`, `3 checkpoints`.
 *
 * @example
 * ```ts
 * plural(1, "checkpoint"); // "1 checkpoint"
 * plural(2, "training run"); // "2 training runs"
 * ```
 */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * A duration in seconds in the largest whole unit that fits: `7 days`, `90 minutes`, `45 seconds`.
 */
export function formatDuration(seconds: number): string {
  const ms = seconds * 1000;
  const step = STEPS.find(([unitMs]) => ms >= unitMs && ms % unitMs === 0);
  return step ? plural(ms / step[0], step[1]) : plural(seconds, "second");
}

/**
 * The title of a partial listing: `3 checkpoints`, plus `(K more not shown, …)` when `remaining`
 * (the total after the offset) is larger than what is shown, or `(more not shown, …)` when the
 * total is unknown but `hasMore`.
 *
 * @example
 * ```ts
 * listTitle({ shown: 20, remaining: 57, noun: "checkpoint", howToSeeMore: "use --limit 0 to show all" });
 * // "20 checkpoints (37 more not shown, use --limit 0 to show all)"
 * ```
 */
export function listTitle(
  opts: {
    shown: number;
    remaining?: number;
    hasMore?: boolean;
    noun: string;
    howToSeeMore: string;
  },
): string {
  const { shown, remaining, noun, howToSeeMore } = opts;
  const more = remaining === undefined ? 0 : remaining - shown;
  if (shown === 0 && more <= 0 && !opts.hasMore) return `No ${noun}s found`;
  const base = plural(shown, noun);
  if (more > 0) return `${base} (${more} more not shown, ${howToSeeMore})`;
  return opts.hasMore ? `${base} (more not shown, ${howToSeeMore})` : base;
}

/** The title of a listing taken from `offset`: see {@link listTitle}. */
export function takenTitle(
  taken: { items: readonly unknown[]; total?: number; hasMore: boolean },
  page: { offset: number },
  noun: string,
): string {
  return listTitle({
    shown: taken.items.length,
    remaining: taken.total === undefined ? undefined : taken.total - page.offset,
    hasMore: taken.hasMore,
    noun,
    howToSeeMore: "use --limit 0 to show all",
  });
}
