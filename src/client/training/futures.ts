/**
 * Futures (protocol §5): requests that answer with a `request_id` whose result is fetched by
 * long-polling `retrieve_future`.
 * @module
 */
import { joinUrl, resolveConfig, type TinkerConfig } from "../config.ts";
import {
  ApiStatusError,
  type ErrorCategory,
  FutureExpiredError,
  FutureFailedError,
  TimeoutError,
} from "../errors.ts";
import { sleep, throwIfAborted } from "../http/abort.ts";
import { requestJson, type RequestOptions } from "../http/request.ts";
import { Redactor, secretHeaderValues } from "../http/redact.ts";

/** Why a future is not ready yet. */
export interface QueueStateInfo {
  /** The future's request id. */
  requestId: string;
  /** `active`, `paused_capacity` or `paused_rate_limit` (open for newer states). */
  queueState: string;
  /** The service's explanation, when given. */
  reason?: string;
}

/** Options of calls that wait for a future. */
export interface FutureOptions extends RequestOptions {
  /** Give up after this long overall, in ms (default 30 minutes). */
  futureTimeoutMs?: number;
  /** Told each time the service answers "try again", with the queue state. */
  onQueueState?: (info: QueueStateInfo) => void;
}

/** What a future-returning request answers at once. */
export interface UntypedFuture {
  /** The id to poll. */
  request_id: string;
  /** The model the request is about, when known. */
  model_id?: string;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

const DEFAULT_FUTURE_TIMEOUT_MS = 30 * 60_000;
/** Poll timeout: the server holds a poll open for a while, well under this. */
const POLL_TIMEOUT_MS = 45_000;
/** If the server answers "try again" faster than this, pause the rest before polling again. */
const MIN_POLL_INTERVAL_MS = 200;

/**
 * Wait for a future's result: long-poll `retrieve_future` until it completes, fails (typed
 * {@link FutureFailedError} with `category`) or expires ({@link FutureExpiredError}).
 *
 * @example
 * ```ts
 * import { configFromEnv, retrieveFuture } from "@tinkex/tinkex";
 * const result = await retrieveFuture<{ path: string }>(configFromEnv(), "req-123", {
 *   onQueueState: ({ queueState }) => console.error(`waiting: ${queueState}`),
 * });
 * ```
 */
export async function retrieveFuture<T>(
  config: TinkerConfig,
  requestId: string,
  opts: FutureOptions = {},
): Promise<T> {
  const resolved = resolveConfig(config);
  const timeoutMs = opts.futureTimeoutMs ?? DEFAULT_FUTURE_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let metadataOnly = true;
  for (;;) {
    throwIfAborted(opts.signal);
    if (Date.now() > deadline) {
      throw new TimeoutError(
        "POST",
        joinUrl(resolved.baseUrl, "/api/v1/retrieve_future"),
        timeoutMs,
      );
    }
    const started = Date.now();
    let body: Record<string, unknown>;
    try {
      body = await requestJson<Record<string, unknown>>(resolved, {
        method: "POST",
        path: "/api/v1/retrieve_future",
        body: { request_id: requestId, allow_metadata_only: metadataOnly },
      }, { timeoutMs: POLL_TIMEOUT_MS, ...opts });
    } catch (e) {
      if (e instanceof ApiStatusError && e.status === 410) throw new FutureExpiredError(requestId);
      throw e;
    }
    if (body.type === "try_again") {
      opts.onQueueState?.({
        requestId,
        queueState: String(body.queue_state ?? "active"),
        reason: typeof body.queue_state_reason === "string" ? body.queue_state_reason : undefined,
      });
      const elapsed = Date.now() - started;
      if (elapsed < MIN_POLL_INTERVAL_MS) await sleep(MIN_POLL_INTERVAL_MS - elapsed, opts.signal);
      continue;
    }
    if (typeof body.error === "string") {
      // The server's words, minus any credential it echoes.
      const redactor = new Redactor([resolved.apiKey, ...secretHeaderValues(resolved.headers)]);
      throw new FutureFailedError(requestId, redactor.text(body.error), categoryOf(body.category));
    }
    if (body.status === "complete_metadata") {
      metadataOnly = false;
      continue;
    }
    return body as T;
  }
}

/**
 * Send a request that returns a future, then wait for its result.
 */
export async function submitAndWait<T>(
  config: TinkerConfig,
  path: string,
  body: Record<string, unknown>,
  opts: FutureOptions = {},
): Promise<T> {
  const first = await requestJson<UntypedFuture & Record<string, unknown>>(config, {
    method: "POST",
    path,
    body,
  }, opts);
  if (typeof first.request_id !== "string") return first as unknown as T; // answered at once
  return await retrieveFuture<T>(config, first.request_id, opts);
}

function categoryOf(v: unknown): ErrorCategory {
  return v === "user" || v === "server" ? v : "unknown";
}
