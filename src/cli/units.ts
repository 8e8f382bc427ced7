/**
 * Reading sizes typed on the command line: `500MB`, `1.5GiB`, `100k`, `123` (bytes). Units are
 * 1024 steps, as the tables print them.
 * @module
 */
import { UsageError } from "./errors.ts";

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

/** A size in bytes, or a {@link UsageError} naming the option. */
export function parseSize(raw: string, option: string, command: readonly string[]): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(raw.trim());
  const bytes = m ? Math.round(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]) : NaN;
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(
      `Invalid value '${raw}' for --${option}: expected a size such as 500MB, 1.5GB or 100k`,
      command,
    );
  }
  return bytes;
}
