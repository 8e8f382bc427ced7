/**
 * Durations on the command line: whole seconds (`3600`) or a number with a unit (`90m`, `12h`,
 * `7d`, `2w`, `1y` = 365 days), as `--ttl` takes them.
 * @module
 */

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/** Seconds of a duration argument, or undefined when it is not one. */
export function parseDurationArg(raw: string): number | undefined {
  const m = /^(\d+)([smhdwy]?)$/.exec(raw.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] || "s"];
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}
