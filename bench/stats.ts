/**
 * Summaries of repeated measurements: median, min and max, and how to print them.
 * @module
 */

/** The median, min and max of a series of measurements. */
export interface Summary {
  /** Median (mean of the two middle values for an even count). */
  median: number;
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
  /** Number of values. */
  n: number;
}

/** Summarize `values` (at least one). */
export function summarize(values: number[]): Summary {
  if (values.length === 0) throw new Error("Cannot summarize: no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** `median (min–max)` with `digits` decimals. */
export function formatSummary(s: Summary, digits = 0): string {
  const f = (v: number): string => v.toFixed(digits);
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/** Bytes as MiB/GiB, e.g. `256 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${+(bytes / 2 ** 30).toFixed(2)} GiB`;
  return `${+(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Pad and join cells into a plain-text table (first row is the header). */
export function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)]
    .join("\n");
}

/** A Markdown table (first row is the header); `|` in cells is escaped. */
export function markdownTable(rows: string[][]): string {
  const line = (r: string[]): string => `| ${r.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(rows[0]), line(rows[0].map(() => "---")), ...rows.slice(1).map(line)].join("\n");
}
