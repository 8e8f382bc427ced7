/**
 * The CLI's own errors: usage errors (exit 2) and failures with a hint (exit 1).
 * @module
 */

/** Bad command-line input: exit code 2 and a pointer to the relevant help. */
export class UsageError extends Error {
  /** The command words resolved so far, for the "see --help" hint. */
  readonly command: readonly string[];
  /** A likely fix, e.g. `Did you mean 'list'?`, printed before the pointer to --help. */
  readonly suggestion?: string;
  /** Build from a message, the command words it concerns and an optional suggestion. */
  constructor(message: string, command: readonly string[] = [], suggestion?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
    if (suggestion !== undefined) this.suggestion = suggestion;
  }
}

/**
 * The user stopped the command (Ctrl-C, or declined a prompt): not a failure to report with
 * `Error:`, just what happened (`Cancelled.`, `Nothing deleted.`) and its exit code.
 */
export class Cancelled extends Error {
  /** The exit code: 130 after Ctrl-C, 1 after a declined prompt. */
  readonly exitCode: number;
  /** Whether the terminal's `^C` echo may still stand on the current line. */
  readonly midLine: boolean;
  /** Build from what to print, the exit code, and whether the cursor may be mid-line. */
  constructor(message: string, exitCode: number, midLine = false) {
    super(message);
    this.name = "Cancelled";
    this.exitCode = exitCode;
    this.midLine = midLine;
  }
}

/** A failure the CLI explains itself: exit code 1, the message and a hint on stderr. */
export class CliError extends Error {
  /** What the user can do about it. */
  readonly hint?: string;
  /** Build from a message and an optional hint. */
  constructor(message: string, hint?: string) {
    super(message);
    this.name = "CliError";
    this.hint = hint;
  }
}
