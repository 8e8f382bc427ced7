/**
 * A small zero-dependency command-line parser: finds the command words, then reads options
 * (`--name value`, `--name=value`, `-x value`, `-xvalue`, flags) and positionals, checking each
 * value against its spec so bad input is a usage error before anything is sent.
 * @module
 */
import { parseDurationArg } from "./duration.ts";
import { UsageError } from "./errors.ts";
import { didYouMean } from "./suggest.ts";
import {
  type ArgSpec,
  type CommandSpec,
  GLOBAL_OPTIONS,
  globalOptionsOf,
  type GroupSpec,
  type OptionSpec,
  type OptionSpecs,
  type OptionValue,
} from "./spec.ts";

/** The outcome of parsing a command line. */
export interface ParsedCommandLine {
  /** The group named, if any. */
  group?: GroupSpec;
  /** The command named, if any. */
  command?: CommandSpec;
  /** The command words, e.g. `["checkpoint", "list"]`. */
  words: string[];
  /** Option values by long name. */
  options: Record<string, OptionValue>;
  /** Positional arguments after the command words. */
  args: string[];
  /** Whether `--help` / `-h` was given. */
  help: boolean;
}

/**
 * Parse `argv` against the command tree. Throws {@link UsageError} for an unknown command or
 * option, a missing or invalid value, or a wrong number of arguments (unless `--help` is given).
 */
export function parseCommandLine(
  argv: readonly string[],
  groups: readonly GroupSpec[],
): ParsedCommandLine {
  const out: ParsedCommandLine = { words: [], options: {}, args: [], help: false };
  let specs: OptionSpecs = GLOBAL_OPTIONS;
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (!onlyPositionals && token === "--") {
      // `deno task serve -- --seed` passes the `--` on; for a command without arguments it
      // separates nothing, so options still follow.
      onlyPositionals = !(out.command && out.command.args.length === 0);
    } else if (!onlyPositionals && token.startsWith("-") && token !== "-") {
      i = readOption(argv, i, specs, out);
    } else if (!out.group || (!out.command && out.group.commands)) {
      const command = resolveWord(token, out, groups);
      if (command) {
        specs = { ...globalOptionsOf(command), ...command.options };
      }
    } else {
      // A pasted path often carries a trailing space or newline: never send it as part of the id.
      out.args.push(token.trim());
    }
  }
  out.help = out.options.help === true;
  if (out.command && !out.help) checkArgs(out.command.args, out);
  return out;
}

function resolveWord(
  word: string,
  out: ParsedCommandLine,
  groups: readonly GroupSpec[],
): CommandSpec | undefined {
  if (!out.group) {
    const group = groups.find((g) => g.name === word);
    if (!group) {
      const names = groups.map((g) => g.name);
      throw new UsageError(
        `Unknown command '${word}'`,
        [],
        didYouMean(word, names, (n) => `'tinkex ${n}'`),
      );
    }
    out.group = group;
    out.words.push(word);
    out.command = group.command;
    return group.command;
  }
  const command = out.group.commands?.find((c) => c.name === word);
  if (!command) {
    const names = out.group.commands?.map((c) => c.name) ?? [];
    const group = out.group.name;
    throw new UsageError(
      `Unknown command '${word}' for 'tinkex ${group}'`,
      out.words,
      didYouMean(word, names, (n) => `'tinkex ${group} ${n}'`),
    );
  }
  out.command = command;
  out.words.push(word);
  return command;
}

function readOption(
  argv: readonly string[],
  i: number,
  specs: OptionSpecs,
  out: ParsedCommandLine,
): number {
  const token = argv[i];
  const { name, inline } = lookupOption(token, specs, out.words);
  const spec = specs[name];
  const label = `--${name}`;
  if (spec.type === "boolean") {
    if (inline !== undefined) throw new UsageError(`Option ${label} takes no value`, out.words);
    out.options[name] = true;
    return i;
  }
  let raw = inline;
  if (raw === undefined) {
    if (i + 1 >= argv.length) {
      throw new UsageError(
        `Option ${label} needs a value (${spec.valueName ?? "VALUE"})`,
        out.words,
      );
    }
    raw = argv[++i];
  }
  // As for positionals: a pasted value keeps no surrounding space, and nothing is not a value.
  raw = raw.trim();
  if (raw === "") {
    throw new UsageError(`Option ${label} needs a value (${spec.valueName ?? "VALUE"})`, out.words);
  }
  const value = convertValue(label, spec, raw, out.words);
  if (spec.multiple) {
    const previous = out.options[name];
    out.options[name] = [...(Array.isArray(previous) ? previous : []), String(value)];
  } else {
    out.options[name] = value;
  }
  return i;
}

function lookupOption(
  token: string,
  specs: OptionSpecs,
  words: readonly string[],
): { name: string; inline?: string } {
  const where = words.length > 0 ? ` for 'tinkex ${words.join(" ")}'` : "";
  if (token.startsWith("--")) {
    const eq = token.indexOf("=");
    const name = eq === -1 ? token.slice(2) : token.slice(2, eq);
    if (!Object.hasOwn(specs, name)) {
      const suggestion = didYouMean(name, Object.keys(specs), (n) => `--${n}`);
      throw new UsageError(`Unknown option --${name}${where}`, words, suggestion);
    }
    return { name, inline: eq === -1 ? undefined : token.slice(eq + 1) };
  }
  const letter = token[1];
  const entry = Object.entries(specs).find(([, s]) => s.short === letter);
  if (!entry) throw new UsageError(`Unknown option -${letter}${where}`, words);
  const rest = token.slice(2).replace(/^=/, "");
  if (entry[1].type === "boolean" && rest !== "") {
    throw new UsageError(`Unknown option ${token}${where}`, words);
  }
  return { name: entry[0], inline: rest === "" ? undefined : rest };
}

function convertValue(
  label: string,
  spec: OptionSpec,
  raw: string,
  words: readonly string[],
): OptionValue {
  const invalid = (expected: string) =>
    new UsageError(`Invalid value '${raw}' for ${label}: expected ${expected}`, words);
  if (spec.type === "integer") {
    const min = spec.min ?? 0;
    const max = spec.max ?? Number.MAX_SAFE_INTEGER;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max || !Number.isSafeInteger(n)) {
      throw invalid(
        spec.max === undefined ? `a whole number ≥ ${min}` : `a whole number from ${min} to ${max}`,
      );
    }
    return Number(raw);
  }
  if (spec.type === "duration") {
    const seconds = parseDurationArg(raw);
    const min = spec.min ?? 0;
    const max = spec.max ?? Number.MAX_SAFE_INTEGER;
    if (seconds === undefined || seconds < min || seconds > max) {
      throw invalid(`seconds or a duration such as 12h or 7d, from ${min} s to ${max} s`);
    }
    return seconds;
  }
  if (spec.type === "date") {
    const date = parseDateArg(raw);
    if (!date) throw invalid("an ISO date (2025-01-31), a date-time, or an age such as 7d or 12h");
    return date;
  }
  if (spec.choices && !spec.choices.includes(raw)) throw invalid(alternatives(spec.choices));
  return raw;
}

/** `a, b or c`. */
export function alternatives(values: readonly string[]): string {
  return values.length <= 1
    ? values.join("")
    : `${values.slice(0, -1).join(", ")} or ${values.at(-1)}`;
}

const AGE_UNITS_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Read a date argument: an ISO 8601 date or date-time, or an age before `now` such as `7d`,
 * `12h`, `30m`, `2w`. Returns undefined when it is neither.
 */
export function parseDateArg(raw: string, now: number = Date.now()): Date | undefined {
  const age = /^(\d+)([smhdw])$/.exec(raw.trim());
  if (age) return new Date(now - Number(age[1]) * AGE_UNITS_MS[age[2]]);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw)) return undefined;
  const t = Date.parse(raw);
  return Number.isFinite(t) ? new Date(t) : undefined;
}

function checkArgs(specs: readonly ArgSpec[], out: ParsedCommandLine): void {
  const required = specs.filter((a) => a.required);
  if (out.args.length < required.length) {
    throw new UsageError(`Missing argument ${required[out.args.length].name}`, out.words);
  }
  out.args.forEach((arg, i) => {
    // `run info " "` would otherwise ask for the list endpoint (`/training_runs/`).
    const spec = specs[Math.min(i, specs.length - 1)];
    if (arg === "" && spec) throw new UsageError(`Empty argument ${spec.name}`, out.words);
  });
  const variadic = specs.some((a) => a.variadic);
  if (!variadic && out.args.length > specs.length) {
    throw new UsageError(`Unexpected argument '${out.args[specs.length]}'`, out.words);
  }
}
