/**
 * The one place API requests are made: headers, timeout, retries, error mapping.
 * @module
 */
import { joinUrl, resolveConfig, type ResolvedConfig, type TinkerConfig } from "../config.ts";
import {
  AbortError,
  apiErrorFor,
  ApiStatusError,
  ConnectionError,
  TimeoutError,
  UnsafeUrlError,
} from "../errors.ts";
import { runtimeDescription } from "../runtime.ts";
import { credentialsOf } from "./auth.ts";
import { VERSION } from "../../protocol/version.ts";
import { linkAbort, sleep } from "./abort.ts";
import { Redactor, secretHeaderValues } from "./redact.ts";
import { fetchFollowing } from "./redirects.ts";
import { authHeaderFor, forgetJwt } from "./auth.ts";
import { fastFailure } from "./connection_failure.ts";
import {
  backoffDelayMs,
  isRetryableStatus,
  retryAfterMs,
  serverRetryVerdict,
} from "../../protocol/retry.ts";

/** Per-call options accepted by every API function. */
export interface RequestOptions {
  /** Cancels the call, including during a backoff wait. */
  signal?: AbortSignal;
  /** Overrides the config's per-request timeout, in ms. */
  timeoutMs?: number;
  /** Overrides the config's retry count. */
  maxRetries?: number;
  /** Extra headers for this call. */
  headers?: Record<string, string>;
}

/** One API request. */
export interface RequestSpec {
  /** HTTP method. */
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Path under the base URL, e.g. `/api/v1/checkpoints`. */
  path: string;
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON body. */
  body?: unknown;
  /**
   * `follow` lets the platform follow redirects. Only for browsers, whose manual redirects are
   * opaque (no status, no `Location`) and whose CORS preflight keeps the key from other
   * origins; otherwise redirects are followed here, within the API origin only.
   */
  redirect?: "follow";
  /**
   * Statuses handed back to the caller instead of becoming errors (besides 2xx); a redirect
   * status accepted here is not followed (0: an opaque redirect).
   */
  passStatus?: (status: number) => boolean;
  /** Send this credential as `X-API-Key` instead of the config's (the JWT exchange itself). */
  credential?: string;
}

/**
 * The user agent tinkex sends: `tinkex-ts/<version> (<runtime> <version>)`.
 *
 * @example
 * ```ts
 * import { USER_AGENT } from "@tinkex/tinkex";
 * console.log(USER_AGENT); // e.g. "tinkex-ts/0.1.0 (deno 2.5.0)"
 * ```
 */
export const USER_AGENT: string = `tinkex-ts/${VERSION} (${runtimeDescription()})`;

/**
 * Send a request with retries and return the response with its body unread (status is 2xx
 * or accepted by `passStatus`). Non-retryable or exhausted failures throw typed errors.
 */
export async function sendRequest(
  config: TinkerConfig,
  spec: RequestSpec,
  opts: RequestOptions = {},
): Promise<Response> {
  return await withRetries(config, spec, opts, (res) => Promise.resolve(res));
}

/**
 * Send a request with retries and `read` its answer (status 2xx or accepted by `passStatus`)
 * while the call's signal and timeout still hold: a body that stalls is bounded like the
 * request, and a failure while reading is retried like a fetch failure.
 */
export async function requestReading<T>(
  config: TinkerConfig,
  spec: RequestSpec,
  opts: RequestOptions,
  read: (res: Response) => Promise<T>,
): Promise<T> {
  return await withRetries(config, spec, opts, read);
}

/** Send a request and parse its JSON body (an empty body gives `{}`). */
export async function requestJson<T>(
  config: TinkerConfig,
  spec: RequestSpec,
  opts: RequestOptions = {},
): Promise<T> {
  return await withRetries(config, spec, opts, async (res) => {
    const text = await res.text();
    return (text === "" ? {} : JSON.parse(text)) as T;
  });
}

async function withRetries<T>(
  rawConfig: TinkerConfig,
  spec: RequestSpec,
  opts: RequestOptions,
  read: (res: Response) => Promise<T>,
): Promise<T> {
  const config = resolveConfig(rawConfig);
  const url = buildUrl(config.baseUrl, spec);
  const maxRetries = opts.maxRetries ?? config.maxRetries;
  const timeoutMs = opts.timeoutMs ?? config.timeoutMs;
  // One idempotency key for all attempts of this call, so the server can de-duplicate.
  const idempotencyKey = spec.method === "GET" ? undefined : `tinkex-${crypto.randomUUID()}`;
  const apiKey = spec.credential ?? await authHeaderFor(config, opts.signal);
  const headers = buildHeaders(config, spec, opts, idempotencyKey, apiKey);
  const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
  // Whatever a server echoes back (or a platform error names) loses the credentials sent.
  const redactor = new Redactor([apiKey, ...credentialsOf(config), ...secretHeaderValues(headers)]);
  // Redirects are followed by hand and only within the API origin, so the key stays there.
  const follow = { check: sameOriginAs(url), stopAt: spec.passStatus };

  for (let retry = 0;; retry++) {
    const link = linkAbort(opts.signal, timeoutMs);
    let failure: { status?: number; error?: unknown; retryAfter?: number };
    try {
      const init = { method: spec.method, headers, body, signal: link.signal };
      const res = spec.redirect === "follow"
        ? await config.fetch(url, { ...init, redirect: "follow" })
        : await fetchFollowing(config.fetch, url, init, follow);
      // A failure while reading the body is classified (and retried) like a fetch failure.
      if (res.ok || spec.passStatus?.(res.status)) return await read(res);
      const verdict = serverRetryVerdict(res.headers);
      const retryable = verdict ?? isRetryableStatus(res.status);
      if (!retryable || retry >= maxRetries) {
        if (res.status === 401 && spec.credential === undefined) forgetJwt(config, apiKey);
        throw apiErrorFor({
          status: res.status,
          // A server echoing a credential (key, command output, JWT) does not get it shown.
          body: redactor.value(await readErrorBody(res)),
          method: spec.method,
          url,
          requestId: res.headers.get("x-request-id") ?? undefined,
        });
      }
      await res.body?.cancel().catch(() => {});
      failure = { status: res.status, retryAfter: retryAfterMs(res.headers) };
    } catch (e) {
      if (e instanceof ApiStatusError || e instanceof UnsafeUrlError) throw e;
      const err = classifyFetchError(e, redactor, spec.method, url, opts, link.timedOut, timeoutMs);
      const fast = err instanceof TimeoutError ? undefined : fastFailure(e, url, retry);
      if (err instanceof AbortError || retry >= maxRetries || fast?.giveUp) throw err;
      failure = { error: err, retryAfter: fast?.delayMs };
    } finally {
      link.dispose();
    }
    const delayMs = failure.retryAfter ??
      backoffDelayMs(retry, config.retryInitialDelayMs, config.retryMaxDelayMs);
    config.onRetry?.({
      retry: retry + 1,
      delayMs,
      status: failure.status,
      error: failure.error,
      method: spec.method,
      url,
    });
    await sleep(delayMs, opts.signal);
  }
}

/** The redirect rule of API requests: only to the origin of `url` (the API's). */
function sameOriginAs(url: string): (next: URL) => void {
  const origin = new URL(url).origin;
  return (next) => {
    if (next.origin === origin) return;
    throw new UnsafeUrlError(
      next.href,
      `Cannot follow the redirect to ${next.origin}: it leaves the API origin ${origin}, and ` +
        "tinkex sends the API key nowhere else; check TINKER_BASE_URL (or ask the service why " +
        "it redirects there)",
    );
  };
}

function classifyFetchError(
  e: unknown,
  redactor: Redactor,
  method: string,
  url: string,
  opts: RequestOptions,
  timedOut: boolean,
  timeoutMs: number,
): Error {
  if (e instanceof AbortError || e instanceof ConnectionError) return e;
  if (opts.signal?.aborted) return new AbortError(opts.signal.reason);
  const cause = redactor.cause(e);
  if (timedOut) return new TimeoutError(method, url, timeoutMs, cause);
  if (e instanceof SyntaxError) {
    // JSON.parse quotes the start of the text it choked on, which may be an echoed credential.
    const plain = new SyntaxError("the response body is not valid JSON");
    return new ConnectionError(method, url, plain, "Malformed JSON from");
  }
  return new ConnectionError(method, url, cause);
}

function buildUrl(baseUrl: string, spec: RequestSpec): string {
  const url = joinUrl(baseUrl, spec.path);
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(spec.query ?? {})) {
    if (v !== undefined) params.set(k, String(v));
  }
  const qs = params.toString();
  return qs === "" ? url : `${url}?${qs}`;
}

function buildHeaders(
  config: ResolvedConfig,
  spec: RequestSpec,
  opts: RequestOptions,
  idempotencyKey: string | undefined,
  apiKey: string,
): Headers {
  const h = new Headers({ ...config.headers, ...opts.headers });
  h.set("X-API-Key", apiKey);
  h.set("Accept", "application/json");
  h.set("User-Agent", USER_AGENT);
  if (spec.body !== undefined) h.set("Content-Type", "application/json");
  if (idempotencyKey) h.set("X-Idempotency-Key", idempotencyKey);
  return h;
}

/** An error response's body: parsed JSON, else the text (empty when unreadable). */
export async function readErrorBody(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => "");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
