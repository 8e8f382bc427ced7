/**
 * Asking the user before something irreversible. Never prompts when stdin is not a terminal:
 * scripts must say `-y` explicitly.
 * @module
 */
import { stylesFor } from "./color.ts";
import { Cancelled, CliError } from "./errors.ts";
import { EXIT_INTERRUPTED } from "./interrupt.ts";
import type { CliIo } from "./io.ts";

/**
 * Ask a yes/no question on stderr; resolve to true for `y` / `yes`. `action` completes
 * "Refusing to …" when stdin is not a terminal (then this throws, telling to pass -y). When
 * `signal` aborts (Ctrl-C) while waiting, the line is ended and this throws {@link Cancelled}.
 */
export async function confirm(
  io: CliIo,
  question: string,
  action: string,
  signal?: AbortSignal,
): Promise<boolean> {
  if (!io.isTerminal.stdin) {
    throw new CliError(
      `Refusing to ${action} without confirmation: stdin is not a terminal`,
      `Pass -y (--yes) to ${action} without a prompt.`,
    );
  }
  const s = stylesFor(io, "stderr");
  io.stderr(`${s.bold(question)} [y/N] `);
  const answer = await untilAborted(io.readLine(), signal).catch((e) => {
    io.stderr("\n");
    throw e;
  });
  if (answer === null) io.stderr("\n");
  return /^\s*y(es)?\s*$/i.test(answer ?? "");
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Cancelled("Cancelled.", EXIT_INTERRUPTED));
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
