/**
 * Types describing the CLI's commands and options, shared by the parser, the help text and the
 * command handlers. Light on purpose: loaded on every start.
 * @module
 */
import type { CliIo } from "./io.ts";

/** How an option's value is read. */
export type OptionType = "boolean" | "string" | "integer" | "date" | "duration";

/** One `--option`. */
export interface OptionSpec {
  /** How the value is read: a flag, text, a whole number, or a date. */
  type: OptionType;
  /** A one-letter alias, e.g. `o` for `-o`. */
  short?: string;
  /** Placeholder shown in help, e.g. `DIR`. */
  valueName?: string;
  /** The only accepted values (for `string`). */
  choices?: readonly string[];
  /** Smallest accepted value (for `integer`; seconds for `duration`). */
  min?: number;
  /** Largest accepted value (for `integer`; seconds for `duration`). */
  max?: number;
  /** May be given several times; the values are collected in order (for `string`). */
  multiple?: boolean;
  /** One line of help. */
  description: string;
}

/** Options by long name (without `--`). */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** One positional argument. */
export interface ArgSpec {
  /** Name shown in help, e.g. `PATH`. */
  name: string;
  /** Whether it must be given. */
  required: boolean;
  /** Whether it takes one or more values (must be last). */
  variadic?: boolean;
  /** One line of help. */
  description: string;
}

/** A parsed option value: text, a number, a flag, a date. */
export type OptionValue = string | string[] | number | boolean | Date | undefined;

/** Global options, as parsed. */
export interface GlobalOptions {
  /** `table` (default) or `json`. */
  format: "table" | "json";
  /** `--api-key`, when given. */
  apiKey?: string;
  /** `--base-url`, when given. */
  baseUrl?: string;
}

/** What a command handler gets. */
export interface CommandContext {
  /** Positional arguments after the command words. */
  args: string[];
  /** Parsed option values by long name. */
  options: Readonly<Record<string, OptionValue>>;
  /** Global options. */
  globals: GlobalOptions;
  /** Where output goes. */
  io: CliIo;
  /** The command words, e.g. `["checkpoint", "list"]`, for messages. */
  command: readonly string[];
  /**
   * Take over Ctrl-C: the returned signal aborts on it, and the command stops itself (cleaning
   * up). Commands that do not call this are cancelled at once.
   */
  cancellation(): AbortSignal;
}

/** Runs one command; resolves to the exit code. */
export type Handler = (ctx: CommandContext) => Promise<number>;

/** A module implementing one command group: handlers by sub-command name. */
export interface GroupModule {
  /** Handlers by sub-command name (or `""` for a command without sub-commands). */
  handlers: Readonly<Record<string, Handler>>;
}

/** A leaf command. */
export interface CommandSpec {
  /** Its word, e.g. `list`. */
  name: string;
  /** One line shown in lists. */
  summary: string;
  /** More text for its own help. */
  description?: string;
  /** Positional arguments. */
  args: readonly ArgSpec[];
  /** Its own options (the global ones are added). */
  options: OptionSpecs;
  /** Example command lines. */
  examples?: readonly string[];
  /** The global options that apply (default: all); a command's own option of the same name wins. */
  globals?: readonly string[];
}

/** A command group such as `checkpoint`, or a command without sub-commands such as `version`. */
export interface GroupSpec {
  /** Its word, e.g. `checkpoint`. */
  name: string;
  /** One line shown in the root help. */
  summary: string;
  /** Loads the handlers (lazily, so start-up stays fast). */
  load: () => Promise<GroupModule>;
  /** Sub-commands; absent when the group word is itself the command. */
  commands?: readonly CommandSpec[];
  /** The command itself, when there are no sub-commands. */
  command?: CommandSpec;
}

/** The global options a command accepts: all, or the ones it names, under its own. */
export function globalOptionsOf(command: CommandSpec | undefined): OptionSpecs {
  if (!command?.globals) return GLOBAL_OPTIONS;
  const names = command.globals;
  return Object.fromEntries(Object.entries(GLOBAL_OPTIONS).filter(([n]) => names.includes(n)));
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: OptionSpecs = {
  format: {
    type: "string",
    short: "f",
    valueName: "FORMAT",
    choices: ["table", "json"],
    description: "Output format: table (default) or json",
  },
  json: { type: "boolean", description: "Same as --format json" },
  "api-key": {
    type: "string",
    valueName: "KEY",
    description: "Tinker API key (default: $TINKER_API_KEY)",
  },
  "base-url": {
    type: "string",
    valueName: "URL",
    description: "Service URL (default: $TINKER_BASE_URL, else the hosted service)",
  },
  help: { type: "boolean", short: "h", description: "Show help" },
};
