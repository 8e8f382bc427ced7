/**
 * ANSI styling that turns itself off: every style is the identity when colour is disabled.
 * @module
 */
import { type CliIo, colorEnabled } from "./io.ts";

/** Text styles; each returns its input unchanged when colour is off. */
export interface Styles {
  /** Bold text. */
  bold(text: string): string;
  /** Dim text, for hints. */
  dim(text: string): string;
  /** Red text, for errors. */
  red(text: string): string;
  /** Yellow text, for warnings. */
  yellow(text: string): string;
  /** Green text, for success. */
  green(text: string): string;
  /** Cyan text, for ids and the progress bar. */
  cyan(text: string): string;
}

const CODES: Record<keyof Styles, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  yellow: [33, 39],
  green: [32, 39],
  cyan: [36, 39],
};

/** Styles for a stream: real ANSI codes on a terminal without `NO_COLOR`, plain text otherwise. */
export function stylesFor(io: CliIo, stream: "stdout" | "stderr"): Styles {
  return makeStyles(colorEnabled(io, stream));
}

/** Styles that colour (`true`) or pass text through (`false`). */
export function makeStyles(enabled: boolean): Styles {
  const entries = Object.entries(CODES).map(([name, [open, close]]) => [
    name,
    enabled ? (t: string) => `\x1b[${open}m${t}\x1b[${close}m` : (t: string) => t,
  ]);
  return Object.fromEntries(entries) as unknown as Styles;
}

// deno-lint-ignore no-control-regex -- matching ANSI escapes is the point
const ANSI = /\x1b\[[0-9;]*m/g;

/** Text without its ANSI codes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/** Visible length of text, ignoring ANSI codes. */
export function visibleLength(text: string): number {
  return stripAnsi(text).length;
}
