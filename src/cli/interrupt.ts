/**
 * Ctrl-C while a command runs. A command that can stop cleanly (a download removing its temp
 * directory, a prompt, the server closing) takes the interrupt over and gets an `AbortSignal`;
 * any other command is cancelled at once (`Cancelled.`, exit 130). Once a command took it over,
 * a repeated interrupt changes nothing: `deno task` forwards Ctrl-C to its child, which the
 * terminal already signalled, so one key press can arrive twice.
 * @module
 */
import process from "node:process";
import { Cancelled } from "./errors.ts";

/** Exit code after Ctrl-C cancelled the command (128 + SIGINT, as shells expect). */
export const EXIT_INTERRUPTED = 130;

/** The Ctrl-C handling of one command run. */
export interface InterruptScope {
  /** Handle Ctrl-C in the command: the returned signal aborts on it. */
  takeOver(): AbortSignal;
  /** `work`, or a rejection with {@link Cancelled} on Ctrl-C unless the command took it over. */
  race<T>(work: Promise<T>): Promise<T>;
  /** Stop listening for Ctrl-C. */
  dispose(): void;
}

/** Handle Ctrl-C for one run; `listen` false (the CLI embedded in a program) never listens. */
export function interruptScope(listen: boolean): InterruptScope {
  const controller = new AbortController();
  let takenOver = false;
  let cancel: (e: Cancelled) => void = () => {};
  const cancelled = new Promise<never>((_, reject) => cancel = reject);
  cancelled.catch(() => {});
  const onSigint = (): void => {
    if (!takenOver) cancel(new Cancelled("Cancelled.", EXIT_INTERRUPTED, true));
    else if (!controller.signal.aborted) controller.abort(new Error("interrupted by Ctrl-C"));
  };
  if (listen) process.on("SIGINT", onSigint);
  return {
    takeOver: () => {
      takenOver = true;
      return controller.signal;
    },
    race: (work) => Promise.race([work, cancelled]),
    dispose: () => {
      if (listen) process.off("SIGINT", onSigint);
    },
  };
}
