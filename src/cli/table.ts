/**
 * Plain-text tables and key/value blocks, aligned, with bold headers when colour is on.
 * @module
 */
import { makeStyles, type Styles, visibleLength } from "./color.ts";

/** A table: column headers and rows of cells. */
export interface Table {
  /** Optional line above the table (e.g. `3 checkpoints (5 more not shown, …)`). */
  title?: string;
  /** Column headers. */
  columns: readonly string[];
  /** Rows of cells, as many as columns. */
  rows: readonly (readonly string[])[];
}

/**
 * Render a table: the title, a header row, then the rows, columns two spaces apart. The first
 * column is cyan and the header bold when `styles` colour. No trailing spaces.
 *
 * @example
 * ```ts
 * renderTable({ columns: ["ID", "Size"], rows: [["a", "1.0 KB"]] });
 * // "ID  Size\na   1.0 KB\n"
 * ```
 */
export function renderTable(table: Table, styles: Styles = makeStyles(false)): string {
  table = {
    title: table.title === undefined ? undefined : printable(table.title),
    columns: table.columns,
    rows: table.rows.map((r) => r.map(printable)),
  };
  const widths = table.columns.map((c, i) =>
    Math.max(visibleLength(c), ...table.rows.map((r) => visibleLength(r[i] ?? "")))
  );
  const line = (cells: readonly string[], style: (t: string, i: number) => string) =>
    cells
      .map((cell, i) => {
        const pad = i === cells.length - 1 ? "" : " ".repeat(widths[i] - visibleLength(cell));
        return style(cell, i) + pad;
      })
      .join("  ")
      .trimEnd();
  const out: string[] = [];
  if (table.title) out.push(styles.bold(table.title));
  if (table.rows.length > 0) {
    out.push(line(table.columns, (c) => styles.bold(c)));
    for (const row of table.rows) out.push(line(row, (c, i) => (i === 0 ? styles.cyan(c) : c)));
  }
  return out.join("\n") + "\n";
}

/**
 * Render labelled values one per line, labels aligned:
 *
 * @example
 * ```ts
 * renderPairs([["Path", "tinker://r/weights/a"], ["Size", "1.0 KB"]]);
 * // "Path:  tinker://r/weights/a\nSize:  1.0 KB\n"
 * ```
 */
export function renderPairs(
  pairs: readonly (readonly [string, string])[],
  styles: Styles = makeStyles(false),
): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length + 1));
  return pairs.map(([k, v]) => `${styles.bold(`${k}:`.padEnd(width))}  ${printable(v)}`).join(
    "\n",
  ) + "\n";
}

// deno-lint-ignore no-control-regex -- finding control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Text from the server with its control characters written out (`\n`, `\u001b`), so a name or
 * a metadata value can neither break a table's lines nor send escape sequences to the terminal.
 *
 * @example
 * ```ts
 * printable("run\x1b[2J"); // "run\\u001b[2J"
 * ```
 */
export function printable(text: string): string {
  return text.replace(
    CONTROL,
    (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
