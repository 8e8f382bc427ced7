/**
 * CORS for browser clients of the local server (off unless origins are given): preflights are
 * answered for the allowed origins, and every response to them carries the headers a browser
 * needs to let the page read it (including `ETag` and `Content-Range`, for resuming).
 * @module
 */

/** Response headers a browser page may read besides the CORS-safelisted ones. */
const EXPOSED = [
  "accept-ranges",
  "content-length",
  "content-range",
  "etag",
  "expires",
  "location",
  "retry-after",
  "retry-after-ms",
  "x-request-id",
  "x-should-retry",
].join(", ");
const METHODS = "GET, HEAD, POST, PUT, DELETE";

/** The origin to allow for this request (`*` or its own `Origin`), or undefined. */
function allowedOrigin(request: Request, origins: readonly string[]): string | undefined {
  const origin = request.headers.get("origin");
  if (origin === null || origins.length === 0) return undefined;
  if (origins.includes("*")) return "*";
  return origins.includes(origin) ? origin : undefined;
}

/** The answer to a CORS preflight from an allowed origin; undefined for any other request. */
export function corsPreflight(request: Request, origins: readonly string[]): Response | undefined {
  if (request.method !== "OPTIONS" || !request.headers.has("access-control-request-method")) {
    return undefined;
  }
  const origin = allowedOrigin(request, origins);
  if (origin === undefined) return undefined;
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": METHODS,
      "access-control-allow-headers": request.headers.get("access-control-request-headers") ?? "",
      "access-control-max-age": "600",
      vary: "Origin",
    },
  });
}

/** Let an allowed origin read `response` (headers are added in place). */
export function addCorsHeaders(
  request: Request,
  response: Response,
  origins: readonly string[],
): void {
  const origin = allowedOrigin(request, origins);
  if (origin === undefined) return;
  response.headers.set("access-control-allow-origin", origin);
  response.headers.set("access-control-expose-headers", EXPOSED);
  response.headers.append("vary", "Origin");
}

/** Check the `cors` option: each entry is `*` or an origin such as `http://localhost:5173`. */
export function checkCorsOrigins(origins: readonly string[]): string[] {
  for (const o of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(o);
    } catch {
      parsed = undefined;
    }
    if (o !== "*" && parsed?.origin !== o) {
      throw new TypeError(
        `Cannot start the server: CORS origin ${
          JSON.stringify(o)
        } is not an origin like http://localhost:5173 (scheme, host, optional port; no path) or *`,
      );
    }
  }
  return [...new Set(origins)];
}
