/**
 * The README's CLI reference, generated from the command specs so it cannot drift from what the
 * parser accepts. `deno task docs:cli` rewrites the marked block of README.md;
 * `tests/readme_cli.test.ts` fails while they differ.
 * @module
 */
import { GROUPS } from "./commands.ts";
import {
  type CommandSpec,
  GLOBAL_OPTIONS,
  globalOptionsOf,
  type GroupSpec,
  type OptionSpec,
  type OptionSpecs,
} from "./spec.ts";

/** Opens the generated block in README.md. */
export const REFERENCE_START =
  "<!-- cli-reference: generated from src/cli/commands.ts by `deno task docs:cli`; do not edit -->";
/** Closes the generated block in README.md. */
export const REFERENCE_END = "<!-- /cli-reference -->";

const WIDTH = 100;

/** The reference block (without the markers): every command with all its options. */
export function cliReference(groups: readonly GroupSpec[] = GROUPS): string {
  const lines: string[] = [];
  for (const group of groups) {
    const commands = group.commands ?? (group.command ? [group.command] : []);
    for (const command of commands) {
      const words = group.commands ? [group.name, command.name] : [group.name];
      lines.push(...wrap(synopsis(words, command)), `    ${command.summary}`);
    }
  }
  lines.push(
    "tinkex help [COMMAND…]",
    "    Same as tinkex COMMAND… --help",
    "tinkex --version | -v",
    "    Same as tinkex version",
    "",
    ...wrap(["global options:", ...optionList(GLOBAL_OPTIONS)]),
  );
  return ["```text", ...lines, "```"].join("\n");
}

/** `text` with the block between the markers replaced by `reference`. */
export function withReference(text: string, reference: string = cliReference()): string {
  const start = text.indexOf(REFERENCE_START);
  const end = text.indexOf(REFERENCE_END);
  if (start === -1 || end < start) {
    throw new Error(`Cannot update the CLI reference: markers not found (${REFERENCE_START})`);
  }
  // Blank lines around the block, as `deno fmt` wants them.
  return `${text.slice(0, start + REFERENCE_START.length)}\n\n${reference}\n\n${text.slice(end)}`;
}

function synopsis(words: readonly string[], command: CommandSpec): string[] {
  const args = command.args.map((a) => {
    const text = a.variadic ? `${a.name}…` : a.name;
    return a.required ? text : `[${text}]`;
  });
  // A command taking only some global options lists them; the others say "[global options]".
  const globals = command.globals ? optionList(globalOptionsOf(command)) : ["[global options]"];
  return ["tinkex", ...words, ...args, ...optionList(command.options), ...globals];
}

function optionList(options: OptionSpecs): string[] {
  return Object.entries(options).map(([name, spec]) => {
    const flag = spec.short ? `-${spec.short}|--${name}` : `--${name}`;
    const repeat = spec.multiple ? "…" : "";
    return `[${flag}${valueText(spec)}]${repeat}`;
  });
}

function valueText(spec: OptionSpec): string {
  if (spec.type === "boolean") return "";
  return ` ${spec.choices ? spec.choices.join("|") : spec.valueName ?? "VALUE"}`;
}

/** Join tokens (an option never splits) into lines of at most WIDTH, continuing indented. */
function wrap(tokens: readonly string[]): string[] {
  const out: string[] = [];
  let current = "";
  for (const word of tokens) {
    if (current !== "" && current.length + 1 + word.length > WIDTH) {
      out.push(current);
      current = `      ${word}`;
    } else {
      current = current === "" ? word : `${current} ${word}`;
    }
  }
  out.push(current);
  return out;
}

if (import.meta.main) {
  const { readFile, writeFile } = await import("node:fs/promises");
  const file = new URL("../../README.md", import.meta.url);
  const before = await readFile(file, "utf8");
  const after = withReference(before);
  if (after !== before) await writeFile(file, after);
  console.log(
    after === before ? "README.md: CLI reference up to date" : "README.md: CLI reference updated",
  );
}
