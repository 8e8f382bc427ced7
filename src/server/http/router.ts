/**
 * Routing: split the raw path, percent-decode each segment (`%3A` in run ids, `%2F` inside a
 * checkpoint id), and match `:param` patterns. A known path with another method is a 405.
 * @module
 */
import type { Route } from "./context.ts";
import { badRequest, HttpError, notFound } from "./responses.ts";

/** A matched route and its parameters. */
export interface Match {
  route: Route;
  params: Record<string, string>;
}

/** Matches requests against a route table. */
export class Router {
  readonly #routes: { route: Route; parts: string[] }[];

  /** Build from routes. */
  constructor(routes: Route[]) {
    this.#routes = routes.map((route) => ({ route, parts: route.pattern.split("/").slice(1) }));
  }

  /** The route for `method` and decoded `segments`; 404 or 405 (with `Allow`) otherwise. */
  match(method: string, segments: string[], displayPath: string): Match {
    const allowed = new Set<string>();
    for (const { route, parts } of this.#routes) {
      const params = matchParts(parts, segments);
      if (!params) continue;
      if (route.method === method || (method === "HEAD" && route.method === "GET")) {
        return { route, params };
      }
      allowed.add(route.method);
    }
    if (allowed.size) {
      const allow = [...allowed].sort().join(", ");
      throw new HttpError(405, `Method ${method} is not allowed on ${displayPath}; use ${allow}`, {
        allow,
      });
    }
    throw notFound(`No route for ${method} ${displayPath}`);
  }
}

/** Split a raw URL path into decoded segments (a decoded `/` splits the segment too). */
export function pathSegments(pathname: string): string[] {
  const out: string[] = [];
  for (const raw of pathname.split("/").slice(1)) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      throw badRequest(`Path segment ${JSON.stringify(raw)} is not valid percent-encoding`);
    }
    out.push(...decoded.split("/"));
  }
  if (out.length > 1 && out[out.length - 1] === "") out.pop();
  return out;
}

function matchParts(parts: string[], segments: string[]): Record<string, string> | undefined {
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].startsWith(":")) {
      if (segments[i] === "") return undefined;
      params[parts[i].slice(1)] = segments[i];
    } else if (parts[i] !== segments[i]) {
      return undefined;
    }
  }
  return params;
}
