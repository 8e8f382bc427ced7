/**
 * A minimum-throughput rule for one response: every window must bring a minimum number of
 * bytes. "Any byte resets the timer" would let a body trickling one byte a second run forever.
 * @module
 */
import { onTimeout } from "../http/timeouts.ts";

/** Default minimum throughput of an archive response, in bytes per second (1 KiB/s). */
export const DEFAULT_MIN_BYTES_PER_SECOND = 1024;

/** Watches one response; its `signal` aborts when a window brings too few bytes. */
export class ThroughputWatch {
  /** Aborts when the rule is broken (or when the parent aborts). */
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #windowMs: number;
  readonly #minBytes: number;
  readonly #parent: AbortSignal;
  readonly #onParentAbort = () => this.#controller.abort(this.#parent.reason);
  #cancel?: () => void;
  #bytes = 0;
  #tripped?: string;

  /**
   * Start watching: each `windowMs` must bring at least `minBytes` bytes (the response
   * headers, before the first window ends, count as the window's progress only if bytes come).
   */
  constructor(parent: AbortSignal, windowMs: number, minBytes: number) {
    this.#parent = parent;
    this.#windowMs = windowMs;
    this.#minBytes = Math.max(1, minBytes);
    this.signal = this.#controller.signal;
    if (parent.aborted) this.#controller.abort(parent.reason);
    else parent.addEventListener("abort", this.#onParentAbort, { once: true });
    this.#arm();
  }

  /** Why the rule tripped (`no data for 30000 ms`, …), or undefined. */
  get tripped(): string | undefined {
    return this.#tripped;
  }

  /** Count bytes received. */
  add(bytes: number): void {
    this.#bytes += bytes;
  }

  /** Stop watching. */
  dispose(): void {
    this.#cancel?.();
    this.#parent.removeEventListener("abort", this.#onParentAbort);
  }

  #arm(): void {
    this.#cancel = onTimeout(this.#windowMs, () => {
      const got = this.#bytes;
      this.#bytes = 0;
      if (got >= this.#minBytes) return this.#arm();
      this.#tripped = got === 0
        ? `no data for ${this.#windowMs} ms`
        : `only ${got} bytes in ${this.#windowMs} ms (the minimum is ${this.#minBytes})`;
      this.#controller.abort(new DOMException(this.#tripped, "TimeoutError"));
    });
  }
}
