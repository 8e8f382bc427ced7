/**
 * Signed archive URLs (protocol §4): redirect or JSON, with waiting while the archive is built.
 * @module
 */
import { joinUrl, resolveConfig, type ResolvedConfig, type TinkerConfig } from "./config.ts";
import { apiErrorFor, UnsafeUrlError } from "./errors.ts";
import { sleep } from "./http/abort.ts";
import { retryAfterMs } from "../protocol/retry.ts";
import { type RequestOptions, requestReading } from "./http/request.ts";
import { isRedirect } from "./http/redirects.ts";
import { Redactor, secretHeaderValues, shownUrl } from "./http/redact.ts";
import { checkpointApiPath, parseTinkerPath } from "../protocol/paths.ts";
import type { CheckpointArchiveUrlResponse } from "../protocol/types.ts";

/** Wait between "being built" answers when the server does not say (the official SDKs' 30 s). */
const DEFAULT_BUILD_WAIT_MS = 30_000;
/** Assumed lifetime of a signed URL whose response carries no `Expires`. */
const DEFAULT_URL_LIFETIME_MS = 15 * 60_000;

/** Options of {@link getArchiveUrl}. */
export interface ArchiveUrlOptions extends RequestOptions {
  /** How many times to ask while the service answers 503 "being built" (default 6). */
  buildAttempts?: number;
  /** Wait between those attempts, in ms (default: the server's `Retry-After`, else 30 000). */
  buildWaitMs?: number;
  /** Told each time the archive is still being built, before the wait. */
  onBuilding?: (info: { attempt: number; waitMs: number }) => void;
  /**
   * Where a redirect is hidden (browsers: an opaque redirect shows no status and no `Location`),
   * let the platform follow it anyway (default false: {@link UnsafeUrlError}). The browser then
   * sends `X-API-Key` on to wherever the redirect leads, if that origin's CORS preflight allows
   * the header — a storage origin, not the API's — and tinkex cannot check where that is.
   */
  followHiddenRedirect?: boolean;
}

/**
 * A signed URL for a checkpoint's archive (a tar), valid until `expires`. Fetch it without the
 * API key. If the service is still building the archive (503) this waits and asks again.
 *
 * @example
 * ```ts
 * import { configFromEnv, getArchiveUrl } from "@tinkex/tinkex";
 * const { url, expires } = await getArchiveUrl(configFromEnv(), "tinker://run-1:train:0/weights/0001", {
 *   onBuilding: ({ waitMs }) => console.error(`archive is being built; asking again in ${waitMs} ms`),
 * });
 * console.log(url, expires);
 * ```
 * @throws {InternalServerError} when it is still being built after every attempt.
 * @throws {UnsafeUrlError} when the URL is not one tinkex fetches, or when a browser hides the
 *   redirect and `followHiddenRedirect` is not set.
 */
export async function getArchiveUrl(
  config: TinkerConfig,
  tinkerPath: string,
  opts: ArchiveUrlOptions = {},
): Promise<CheckpointArchiveUrlResponse> {
  const resolved = resolveConfig(config);
  const path = `${checkpointApiPath(parseTinkerPath(tinkerPath))}/archive`;
  const attempts = Math.max(1, opts.buildAttempts ?? 6);
  const redactor = new Redactor([resolved.apiKey, ...secretHeaderValues(resolved.headers)]);
  /** Set once a redirect came back hidden: the JSON form is asked for (`format=json`). */
  let askJson = false;
  for (let attempt = 1;; attempt++) {
    const { res, text } = await requestReading(
      resolved,
      {
        method: "GET",
        path,
        query: askJson ? { format: "json" } : undefined,
        // 0: an opaque redirect (browsers hide a manual redirect's status and Location).
        passStatus: (s) => isRedirect(s) || s === 503 || s === 0,
      },
      opts,
      readAnswer,
    );
    if (res.type === "opaqueredirect") {
      // Asked once more for the JSON form (tinkex serve gives it; a page on the API's own origin
      // sends no Origin to be recognised by): only a service that redirects anyway is refused.
      if (!askJson) {
        askJson = true;
        attempt--;
        continue;
      }
      if (opts.followHiddenRedirect !== true) throw hiddenRedirect(joinUrl(resolved.baseUrl, path));
      const followed = await followedArchiveUrl(resolved, path, opts, redactor);
      checkArchiveUrl(followed.url, resolved.baseUrl);
      return followed;
    }
    if (res.status === 503) {
      if (attempt >= attempts) {
        throw apiErrorFor({
          status: 503,
          body: redactor.value(text),
          method: "GET",
          url: joinUrl(resolved.baseUrl, path),
          requestId: res.headers.get("x-request-id") ?? undefined,
        });
      }
      const waitMs = opts.buildWaitMs ?? retryAfterMs(res.headers) ?? DEFAULT_BUILD_WAIT_MS;
      opts.onBuilding?.({ attempt, waitMs });
      await sleep(waitMs, opts.signal);
      continue;
    }
    const found = archiveUrlFrom(res, text, joinUrl(resolved.baseUrl, path), redactor);
    checkArchiveUrl(found.url, resolved.baseUrl);
    return found;
  }
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The rule for archive URLs, checked before anything is requested: `https:` always; plain
 * `http:` only when the API itself is plain http (the local server) or the host is a loopback
 * address; nothing else (`file:`, `data:`, `blob:`, …). Returns the parsed URL.
 * @throws {UnsafeUrlError} when the URL breaks the rule.
 */
export function checkArchiveUrl(url: string | URL, apiBaseUrl: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsafeUrlError("(not a URL)", "Cannot fetch the archive URL: it is not a URL");
  }
  if (parsed.protocol === "https:") return parsed;
  if (parsed.protocol === "http:") {
    if (new URL(apiBaseUrl).protocol === "http:" || LOOPBACK_HOST.test(parsed.hostname)) {
      return parsed;
    }
    throw new UnsafeUrlError(
      shownUrl(parsed),
      `Cannot fetch the archive URL ${
        shownUrl(parsed)
      }: it is plain http while the API is https, ` +
        "so anyone on the way could read or change the archive; ask the service for an https URL",
    );
  }
  throw new UnsafeUrlError(
    shownUrl(parsed),
    `Cannot fetch the archive URL ${
      shownUrl(parsed)
    }: only https: (and http: from a local server) ` +
      `archive URLs are fetched, not ${parsed.protocol}; the service sent something unexpected`,
  );
}

/**
 * The archive endpoint redirected where this runtime hides the target: following would send the
 * API key to an origin nobody checked, so it is refused unless the caller accepts that.
 */
function hiddenRedirect(url: string): UnsafeUrlError {
  return new UnsafeUrlError(
    url,
    `The service answered GET ${url} with a redirect this runtime hides (a browser shows no ` +
      "Location), also when asked for the JSON form (format=json): following it would send " +
      "the API key to wherever it leads, which cannot be checked. Use a service that answers " +
      "with JSON (tinkex serve does), or pass followHiddenRedirect: true to accept the risk",
  );
}

/**
 * Where a manual redirect is opaque (browsers: no status, no `Location`) and the caller said
 * `followHiddenRedirect`, let the browser follow it and take the URL the answer came from; its
 * body, the archive itself, is not read. A browser forwards `X-API-Key` to another origin if
 * that origin's CORS preflight (which carries no key) allows the header. The signed URL's expiry
 * is not visible, so the default lifetime applies (an archive stream replaces an expired URL on
 * its 403).
 */
async function followedArchiveUrl(
  config: ResolvedConfig,
  path: string,
  opts: RequestOptions,
  redactor: Redactor,
): Promise<CheckpointArchiveUrlResponse> {
  const { res, text } = await requestReading(
    config,
    { method: "GET", path, redirect: "follow" },
    opts,
    readAnswer,
  );
  // Not redirected this time: the JSON form.
  if (!res.redirected) return archiveUrlFrom(res, text, joinUrl(config.baseUrl, path), redactor);
  return { url: res.url, expires: new Date(Date.now() + DEFAULT_URL_LIFETIME_MS).toISOString() };
}

/** An answer of the archive endpoint and its body's text (none read after a redirect). */
interface Answer {
  res: Response;
  text: string;
}

/**
 * Read the answer's body while the request's signal and timeout hold; a redirect's is not read
 * (a followed one's is the archive itself).
 */
async function readAnswer(res: Response): Promise<Answer> {
  if (res.type === "opaqueredirect" || isRedirect(res.status) || res.redirected) {
    await res.body?.cancel().catch(() => {});
    return { res, text: "" };
  }
  return { res, text: await res.text() };
}

function archiveUrlFrom(
  res: Response,
  text: string,
  requestUrl: string,
  redactor: Redactor,
): CheckpointArchiveUrlResponse {
  if (isRedirect(res.status)) {
    const location = res.headers.get("location");
    if (!location) {
      throw apiErrorFor({
        status: res.status,
        body: "redirect without a Location header",
        method: "GET",
        url: requestUrl,
      });
    }
    return { url: new URL(location, requestUrl).href, expires: expiresFrom(res.headers) };
  }
  let body: Partial<CheckpointArchiveUrlResponse> | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    // reported below
  }
  if (typeof body?.url !== "string") {
    const shown = body === undefined ? text.slice(0, 500) : body;
    throw apiErrorFor({
      status: res.status,
      body: redactor.value(shown),
      method: "GET",
      url: requestUrl,
    });
  }
  const expires = typeof body.expires === "string"
    ? body.expires
    : new Date(Date.now() + DEFAULT_URL_LIFETIME_MS).toISOString();
  return { ...body, url: body.url, expires };
}

function expiresFrom(headers: Headers): string {
  const raw = headers.get("expires");
  const t = raw ? Date.parse(raw) : NaN;
  return new Date(Number.isFinite(t) ? t : Date.now() + DEFAULT_URL_LIFETIME_MS).toISOString();
}
