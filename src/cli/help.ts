/**
 * Help text for the root, each group and each command, generated from the command tree.
 * @module
 */
import { alternatives } from "./args.ts";
import {
  type CommandSpec,
  GLOBAL_OPTIONS,
  globalOptionsOf,
  type GroupSpec,
  type OptionSpec,
  type OptionSpecs,
} from "./spec.ts";

/** Help for `tinkex` itself. */
export function rootHelp(groups: readonly GroupSpec[]): string {
  return [
    "tinkex: manage Tinker checkpoints, training runs and sessions",
    "",
    "Usage: tinkex [global options] <command> [options]",
    "",
    "Commands:",
    ...listing(groups.map((g) => [g.name, g.summary])),
    "",
    "Global options:",
    ...optionLines(GLOBAL_OPTIONS),
    "",
    "Environment: TINKER_API_KEY, TINKER_CREDENTIAL_CMD, TINKER_BASE_URL, NO_COLOR; else the key\n" +
    "stored by 'tinker auth login' (~/.tinker/credentials.json). See 'tinkex auth status'.",
    "Run 'tinkex <command> --help' (or 'tinkex help <command>') for a command's options;",
    "'tinkex --version' (-v) prints the version.",
    "",
  ].join("\n");
}

/** Help for a group such as `tinkex checkpoint`. */
export function groupHelp(group: GroupSpec): string {
  if (group.command) return commandHelp([group.name], group.command);
  const commands = group.commands ?? [];
  return [
    `tinkex ${group.name}: ${group.summary}`,
    "",
    `Usage: tinkex ${group.name} <command> [options]`,
    "",
    "Commands:",
    ...listing(commands.map((c) => [c.name, c.summary])),
    "",
    `Run 'tinkex ${group.name} <command> --help' for a command's options.`,
    "",
  ].join("\n");
}

/** Help for one command, e.g. `tinkex checkpoint delete`. */
export function commandHelp(words: readonly string[], command: CommandSpec): string {
  const name = `tinkex ${words.join(" ")}`;
  const lines = [`${name}: ${command.summary}`, "", `Usage: ${name}${usageTail(command)}`];
  if (command.description) lines.push("", command.description);
  if (command.args.length > 0) {
    lines.push("", "Arguments:", ...listing(command.args.map((a) => [a.name, a.description])));
  }
  if (Object.keys(command.options).length > 0) {
    lines.push("", "Options:", ...optionLines(command.options));
  }
  const globals = Object.fromEntries(
    Object.entries(globalOptionsOf(command)).filter(([n]) => !Object.hasOwn(command.options, n)),
  );
  lines.push("", "Global options:", ...optionLines(globals));
  if (command.examples?.length) {
    lines.push("", "Examples:", ...command.examples.map((e) => `  ${e}`));
  }
  return lines.join("\n") + "\n";
}

function usageTail(command: CommandSpec): string {
  const args = command.args.map((a) => {
    const text = a.variadic ? `${a.name}...` : a.name;
    return a.required ? ` ${text}` : ` [${text}]`;
  });
  const hasOptions = Object.keys(command.options).length > 0;
  return `${args.join("")}${hasOptions ? " [options]" : ""}`;
}

function optionLines(options: OptionSpecs): string[] {
  return listing(
    Object.entries(options).map(([name, spec]) => {
      const short = spec.short ? `-${spec.short}, ` : "    ";
      const value = spec.type === "boolean" ? "" : ` ${spec.valueName ?? "VALUE"}`;
      return [`${short}--${name}${value}`, describeOption(spec)];
    }),
  );
}

/** An option's help line, naming its accepted values when the description does not. */
export function describeOption(spec: OptionSpec): string {
  const choices = spec.choices ?? [];
  if (choices.every((c) => new RegExp(`\\b${c}\\b`).test(spec.description))) {
    return spec.description;
  }
  return `${spec.description}: ${alternatives(choices)}`;
}

function listing(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}
