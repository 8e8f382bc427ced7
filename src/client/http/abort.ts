/**
 * Abort helpers: cancellable sleeps and signals that combine a caller's signal with a timeout.
 * @module
 */
import { AbortError } from "../errors.ts";
import { onTimeout } from "./timeouts.ts";

/**
 * Wait `ms`, rejecting with {@link AbortError} at once when `signal` aborts. A real `setTimeout`:
 * a wait must keep the process alive (timeouts.ts's timers do not).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Throw {@link AbortError} when `signal` is already aborted. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortError(signal.reason);
}

/** A controller aborted by the parent signal or after `timeoutMs`; `timedOut` tells which. */
export interface LinkedAbort {
  /** The combined signal to hand to fetch. */
  signal: AbortSignal;
  /** True once the timeout fired. */
  readonly timedOut: boolean;
  /** Restart the timeout (e.g. after each chunk, for stall detection). */
  reset(): void;
  /** Remove listeners and timers. */
  dispose(): void;
}

/**
 * Link a caller's signal with a timeout of `timeoutMs` (no timeout when Infinity). A `reset`
 * only notes the time: the timer, when it fires, waits on for what is left, so resetting after
 * every chunk costs no timer.
 */
export function linkAbort(parent: AbortSignal | undefined, timeoutMs: number): LinkedAbort {
  const controller = new AbortController();
  let timedOut = false;
  let cancel: (() => void) | undefined;
  let since = performance.now();
  const wait = (ms: number) => {
    cancel = onTimeout(ms, () => {
      const left = since + timeoutMs - performance.now();
      if (left > 1) return wait(left);
      timedOut = true;
      controller.abort(new DOMException("timed out", "TimeoutError"));
    });
  };
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  if (Number.isFinite(timeoutMs)) wait(timeoutMs);
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    reset: () => {
      since = performance.now();
    },
    dispose() {
      cancel?.();
      parent?.removeEventListener("abort", onParentAbort);
    },
  };
}
