/**
 * Asking the user before something irreversible. Never prompts when stdin is not a terminal:
 * scripts must say `-y` explicitly.
 * @module
 */
import { stylesFor } from "./color.ts";
import { CliError } from "./errors.ts";
import type { CliIo } from "./io.ts";

/**
 * Ask a yes/no question on stderr; resolve to true for `y` / `yes`. `action` completes
 * "Refusing to …" when stdin is not a terminal (then this throws, telling to pass -y).
 */
export async function confirm(io: CliIo, question: string, action: string): Promise<boolean> {
  if (!io.isTerminal.stdin) {
    throw new CliError(
      `Refusing to ${action} without confirmation: stdin is not a terminal`,
      `Pass -y (--yes) to ${action} without a prompt.`,
    );
  }
  const s = stylesFor(io, "stderr");
  io.stderr(`${s.bold(question)} [y/N] `);
  const answer = await io.readLine();
  if (answer === null) io.stderr("\n");
  return /^\s*y(es)?\s*$/i.test(answer ?? "");
}
