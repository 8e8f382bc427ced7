/**
 * The CLI's driver: parse, show help, load the command's module, run it, map errors to exit
 * codes (0 ok, 1 failure, 2 usage error, 130 cancelled by Ctrl-C).
 * @module
 */
import { parseCommandLine, type ParsedCommandLine } from "./args.ts";
import { stylesFor } from "./color.ts";
import { GROUPS } from "./commands.ts";
import { Cancelled, UsageError } from "./errors.ts";
import { commandHelp, groupHelp, rootHelp } from "./help.ts";
import { EXIT_INTERRUPTED, interruptScope } from "./interrupt.ts";
import { type CliIo, withDefaults } from "./io.ts";
import type { CommandContext, GlobalOptions } from "./spec.ts";
import { rememberedSecrets } from "./secrets.ts";
import { printable } from "./table.ts";

/** Exit code of a usage error. */
export const EXIT_USAGE = 2;
export { EXIT_INTERRUPTED };

/**
 * Run the CLI with `argv` (without the program name); resolves to the exit code. Without
 * `partialIo` it is the process itself, so Ctrl-C is handled (`Cancelled.`, exit 130).
 */
export async function runCli(argv: readonly string[], partialIo?: Partial<CliIo>): Promise<number> {
  const io = withDefaults(partialIo);
  argv = aliasesResolved(argv);
  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(argv, GROUPS);
  } catch (e) {
    return await report(io, e, argv);
  }
  const { group, command } = parsed;
  if (parsed.help) {
    io.stdout(helpText(parsed));
    return 0;
  }
  if (!group || !command) {
    io.stderr(helpText(parsed));
    return EXIT_USAGE;
  }
  const interrupt = interruptScope(partialIo === undefined);
  const ctx: CommandContext = {
    args: parsed.args,
    options: parsed.options,
    globals: globalsOf(parsed),
    io,
    command: parsed.words,
    cancellation: interrupt.takeOver,
  };
  try {
    const { handlers } = await group.load();
    return await interrupt.race(handlers[command.name](ctx));
  } catch (e) {
    return await report(io, e, argv);
  } finally {
    interrupt.dispose();
  }
}

/**
 * `--version` / `-v` mean `version`; `help [WORDS…]` means `WORDS… --help`; a leading `--`
 * (`deno task cli -- checkpoint list` passes it on) only separates, so it is dropped.
 */
function aliasesResolved(argv: readonly string[]): readonly string[] {
  if (argv[0] === "--") argv = argv.slice(1);
  if (argv[0] === "--version" || argv[0] === "-v") return ["version", ...argv.slice(1)];
  if (argv[0] === "help") return [...argv.slice(1), "--help"];
  return argv;
}

function helpText(parsed: ParsedCommandLine): string {
  if (parsed.command) return commandHelp(parsed.words, parsed.command);
  if (parsed.group) return groupHelp(parsed.group);
  return rootHelp(GROUPS);
}

function globalsOf(parsed: ParsedCommandLine): GlobalOptions {
  const { json, format, "api-key": apiKey, "base-url": baseUrl } = parsed.options;
  return {
    format: json === true || format === "json" ? "json" : "table",
    apiKey: typeof apiKey === "string" ? apiKey : undefined,
    baseUrl: typeof baseUrl === "string" ? baseUrl : undefined,
  };
}

async function report(io: CliIo, error: unknown, argv: readonly string[]): Promise<number> {
  const s = stylesFor(io, "stderr");
  if (error instanceof Cancelled) {
    // On a terminal the `^C` echo stands where the cursor was: start a line of our own.
    io.stderr(`${error.midLine && io.isTerminal.stderr ? "\n" : ""}${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof Error && error.name === "AbortError") {
    io.stderr("Cancelled.\n");
    return EXIT_INTERRUPTED;
  }
  let message: string;
  let hint: string;
  let code = 1;
  if (error instanceof UsageError) {
    message = error.message;
    const words = error.command.length > 0 ? `${error.command.join(" ")} ` : "";
    const help = `Run 'tinkex ${words}--help' for usage.`;
    hint = error.suggestion ? `${error.suggestion} ${help}` : help;
    code = EXIT_USAGE;
  } else {
    const { describeFailure } = await import("./failure.ts");
    ({ message, hint } = describeFailure(error));
  }
  const secrets = secretsOf(io, argv);
  // The message may quote the server (`detail`): no control characters reach the terminal.
  io.stderr(`${s.red(s.bold("Error:"))} ${printable(redact(message, secrets))}\n`);
  if (hint) io.stderr(`${s.dim(redact(hint, secrets))}\n`);
  return code;
}

/** The API keys in play, which must never be printed. */
function secretsOf(io: CliIo, argv: readonly string[]): string[] {
  const keys = [io.env("TINKER_API_KEY"), ...rememberedSecrets()];
  argv.forEach((arg, i) => {
    if (arg === "--api-key") keys.push(argv[i + 1]);
    else if (arg.startsWith("--api-key=")) keys.push(arg.slice("--api-key=".length));
  });
  return keys.filter((k): k is string => typeof k === "string" && k.length >= 4);
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, key) => t.split(key).join("***"), text);
}
