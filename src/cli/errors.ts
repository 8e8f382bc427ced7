/**
 * The CLI's own errors: usage errors (exit 2) and failures with a hint (exit 1).
 * @module
 */

/** Bad command-line input: exit code 2 and a pointer to the relevant help. */
export class UsageError extends Error {
  /** The command words resolved so far, for the "see --help" hint. */
  readonly command: readonly string[];
  /** Build from a message and the command words it concerns. */
  constructor(message: string, command: readonly string[] = []) {
    super(message);
    this.name = "UsageError";
    this.command = command;
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
