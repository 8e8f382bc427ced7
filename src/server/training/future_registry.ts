/**
 * Futures of the training-state requests (protocol §5): work starts at submission, the result is
 * revealed no sooner than `futureDelayMs` later, `retrieve_future` long-polls up to `longPollMs`
 * and then answers try_again. Finished futures are kept `futureTtlMs`; after that (or for an
 * unknown id) the answer is 410. Resubmitting with the same `X-Idempotency-Key` returns the
 * same future instead of doing the work twice.
 * @module
 */
import type { ErrorCategory } from "../../protocol/errors.ts";
import { setTimeout as delay } from "node:timers/promises";
import { HttpError, json } from "../http/responses.ts";
import { publicError } from "../http/failures.ts";

/** Timing of futures. */
export interface FutureTimings {
  delayMs: number;
  longPollMs: number;
  ttlMs: number;
}

type Outcome = { ok: true; value: unknown } | {
  ok: false;
  message: string;
  category: ErrorCategory;
};

interface Entry {
  owner: string;
  /** `<owner>\n<X-Idempotency-Key>`, when the request carried one. */
  idemKey?: string;
  readyAt: number;
  outcome?: Outcome;
  finishedAt?: number;
  ready: Promise<void>;
}

/** The futures of one server. */
export class Futures {
  readonly #entries = new Map<string, Entry>();
  /** Request id by idempotency key, for the entries that carry one. */
  readonly #idempotent = new Map<string, string>();
  readonly #timings: FutureTimings;
  readonly #closed: AbortSignal;
  readonly #running = new Set<Promise<void>>();

  /** Build with the timings and a signal that aborts every wait when the server closes. */
  constructor(timings: FutureTimings, closed: AbortSignal) {
    this.#timings = timings;
    this.#closed = closed;
  }

  /**
   * Start `work` for `owner` and return its request id. A rejection becomes the future's error:
   * an {@link HttpError} with a 4xx status is category `user`, anything else `server`.
   */
  submit(owner: string, idempotencyKey: string | null, work: () => Promise<unknown>): string {
    this.#sweep();
    const idemKey = idempotencyKey ? `${owner}\n${idempotencyKey}` : undefined;
    const seen = idemKey ? this.#idempotent.get(idemKey) : undefined;
    if (seen) return seen;
    const requestId = `req-${crypto.randomUUID()}`;
    const now = Date.now();
    const entry: Entry = {
      owner,
      idemKey,
      readyAt: now + this.#timings.delayMs,
      ready: null!,
    };
    const settled = work().then(
      (value): Outcome => ({ ok: true, value }),
      (e): Outcome => {
        // What the client may see: never an internal error's text (it is logged instead).
        const shown = publicError(e, requestId, "a future");
        return { ok: false, message: shown.message, category: categoryOf(shown) };
      },
    ).then((outcome) => {
      entry.outcome = outcome;
      entry.finishedAt = Date.now();
    });
    this.#running.add(settled);
    settled.finally(() => this.#running.delete(settled));
    entry.ready = settled.then(() => pause(entry.readyAt - Date.now(), this.#closed));
    this.#entries.set(requestId, entry);
    if (idemKey) this.#idempotent.set(idemKey, requestId);
    return requestId;
  }

  /** Answer a `retrieve_future` poll (long-polling while the future is pending). */
  async retrieve(
    owner: string,
    requestId: string,
    allowMetadataOnly: boolean,
  ): Promise<Response> {
    this.#sweep();
    const entry = this.#entries.get(requestId);
    if (!entry || entry.owner !== owner) throw gone(requestId);
    if (!this.#isReady(entry)) {
      const stop = new AbortController();
      await Promise.race([
        entry.ready,
        pause(this.#timings.longPollMs, AbortSignal.any([this.#closed, stop.signal])),
      ]);
      stop.abort();
    }
    if (!this.#isReady(entry)) {
      return json({ type: "try_again", request_id: requestId, queue_state: "active" });
    }
    const outcome = entry.outcome!;
    if (!outcome.ok) return json({ error: outcome.message, category: outcome.category });
    if (allowMetadataOnly) {
      const size = new TextEncoder().encode(JSON.stringify(outcome.value)).length;
      return json({ status: "complete_metadata", response_payload_size: size });
    }
    return json(outcome.value);
  }

  /** Wait until no submitted work is running (used on close). */
  async settle(): Promise<void> {
    while (this.#running.size) await Promise.allSettled([...this.#running]);
  }

  #isReady(entry: Entry): boolean {
    return entry.outcome !== undefined && Date.now() >= entry.readyAt;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, e] of this.#entries) {
      if (e.finishedAt !== undefined && e.finishedAt + this.#timings.ttlMs < now) {
        this.#entries.delete(id);
        if (e.idemKey) this.#idempotent.delete(e.idemKey);
      }
    }
  }
}

/**
 * Wait `ms` (0 when the moment is already past, so Node warns of no negative timeout), ending
 * early and never rejecting when `signal` aborts, so no timer outlives a poll.
 */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return delay(Math.max(0, ms), undefined, { signal }).catch(() => undefined);
}

function gone(requestId: string): HttpError {
  return new HttpError(
    410,
    `Future ${JSON.stringify(requestId)} is unknown or expired; submit the request again`,
  );
}

function categoryOf(e: HttpError): ErrorCategory {
  return e.status < 500 ? "user" : "server";
}
