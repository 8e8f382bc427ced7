/**
 * Redirects followed by hand: the platform `fetch` keeps custom headers (the API key) on a
 * redirect to another origin, and follows wherever it is sent. Here every hop is checked by the
 * caller's rule before it is requested, and hops are bounded.
 * @module
 */
import { apiErrorFor, UnsafeUrlError } from "../errors.ts";

/** Statuses that redirect. */
export const REDIRECT_STATUSES: readonly number[] = [301, 302, 303, 307, 308];
/** Most redirects followed for one request. */
export const MAX_REDIRECTS = 5;

/** Whether `status` is a redirect. */
export function isRedirect(status: number): boolean {
  return REDIRECT_STATUSES.includes(status);
}

/** Options of {@link fetchFollowing}. */
export interface FollowOptions {
  /** Throws (typically {@link UnsafeUrlError}) when `next` must not be requested. */
  check: (next: URL) => void;
  /** Statuses handed back as they are instead of being followed. */
  stopAt?: (status: number) => boolean;
}

/**
 * `fetch` that follows redirects itself: each `Location` is checked with `opts.check` before
 * it is requested, at most {@link MAX_REDIRECTS} times (then an `ApiStatusError` with the last
 * redirect status). A 303, and a 301/302 answering a non-GET, continue as a GET without body,
 * as browsers do. A redirect without `Location` is returned as it is.
 */
export async function fetchFollowing(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit,
  opts: FollowOptions,
): Promise<Response> {
  let current = url;
  let request: RequestInit = { ...init, redirect: "manual" };
  for (let hops = 0;; hops++) {
    const res = await fetchImpl(current, request);
    if (res.type === "opaqueredirect") {
      if (opts.stopAt?.(0)) return res; // the caller knows what to do (see archive_url.ts)
      throw new UnsafeUrlError(
        current,
        `Cannot follow the redirect of ${request.method ?? "GET"} ${current}: this runtime hides ` +
          "where it leads, so it cannot be checked; ask the service not to redirect",
      );
    }
    if (!isRedirect(res.status) || opts.stopAt?.(res.status)) return res;
    const location = res.headers.get("location");
    if (location === null) return res;
    await res.body?.cancel().catch(() => {});
    if (hops >= MAX_REDIRECTS) {
      throw apiErrorFor({
        status: res.status,
        body: `more than ${MAX_REDIRECTS} redirects`,
        method: request.method ?? "GET",
        url: current,
      });
    }
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new UnsafeUrlError(
        location,
        `Cannot follow the redirect of ${current}: its Location ${
          JSON.stringify(location)
        } is not a URL`,
      );
    }
    opts.check(next);
    const method = (request.method ?? "GET").toUpperCase();
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method !== "GET")) {
      const headers = new Headers(request.headers);
      headers.delete("content-type");
      request = { ...request, method: "GET", body: undefined, headers };
    }
    current = next.href;
  }
}
