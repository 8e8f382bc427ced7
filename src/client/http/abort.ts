/**
 * Abort helpers: cancellable sleeps and signals that combine a caller's signal with a timeout.
 * @module
 */
import { AbortError } from "../errors.ts";

/** Wait `ms`, rejecting with {@link AbortError} at once when `signal` aborts. */
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

/** Link a caller's signal with a timeout of `timeoutMs` (no timeout when Infinity). */
export function linkAbort(parent: AbortSignal | undefined, timeoutMs: number): LinkedAbort {
  const controller = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (timer !== undefined) clearTimeout(timer);
    if (Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new DOMException("timed out", "TimeoutError"));
      }, timeoutMs);
    }
  };
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  arm();
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    reset: arm,
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      parent?.removeEventListener("abort", onParentAbort);
    },
  };
}
