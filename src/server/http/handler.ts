/**
 * The web-standard handler: `(Request) => Promise<Response>` over a data directory. Routes the
 * request, authenticates it, turns every failure into a JSON `{"detail": …}` response, and tags
 * each response with an `x-request-id`.
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Archives } from "../archive/archive_store.ts";
import { Users } from "../auth/users.ts";
import { Accounts } from "../auth/accounts.ts";
import { authenticate } from "../auth/jwt.ts";
import { authRoutes } from "../routes/auth_routes.ts";
import { accountRoutes } from "../routes/account_routes.ts";
import { attachAuditLog } from "../account/audit_log.ts";
import type { ServerContext } from "./context.ts";
import { Futures } from "../training/future_registry.ts";
import { managementRoutes } from "../routes/management_routes.ts";
import { objectRoutes } from "../routes/archive_routes.ts";
import { resolveOptions, type ServerOptions } from "../options.ts";
import { errorResponse, HttpError } from "./responses.ts";
import { newRequestId, publicError } from "./failures.ts";
import { withBodyDeadline } from "./body_deadline.ts";
import { addCorsHeaders, corsPreflight } from "./cors.ts";
import { pathSegments, Router } from "./router.ts";
import { seedStore } from "../seed.ts";
import { UrlSigner } from "../auth/url_signing.ts";
import { Store } from "../store/record_store.ts";
import { looseModeWarning } from "../store/permissions.ts";
import { serviceRoutes } from "../routes/service_routes.ts";
import { trainingRoutes } from "../routes/training_routes.ts";
import { externalRoutes } from "../routes/external_routes.ts";
import { sessionRoutes } from "../routes/session_routes.ts";
import { copyRoutes } from "../routes/copy_routes.ts";

/**
 * A running handler over a data directory.
 *
 * @example
 * ```ts
 * import { createHandler } from "@tinkex/tinkex/server";
 * const handler = await createHandler();
 * const res = await handler.fetch(new Request("http://local/api/v1/checkpoints", {
 *   headers: { "X-API-Key": handler.apiKeys[0] },
 * }));
 * console.log(res.status, handler.dataDir);
 * await handler.close();
 * ```
 */
export interface TinkerHandler {
  /** Answer one request. */
  fetch(request: Request): Promise<Response>;
  /** Stop: end long-polls, wait for running work, remove the data dir if it was a temp one. */
  close(): Promise<void>;
  /** The data directory in use. */
  dataDir: string;
  /** The API keys it accepts (one user each). */
  apiKeys: string[];
  /** What start-up found and cleaned up in the data directory. */
  startup: StartupReport;
}

/**
 * What opening the data directory found: leftovers of crashes it removed, and problems worth
 * telling the operator (e.g. a directory other local users can read).
 *
 * @example
 * ```ts
 * import { createHandler } from "@tinkex/tinkex/server";
 * const handler = await createHandler({ dataDir: "./tinker-data" });
 * const { reclaimed, warnings } = handler.startup;
 * console.log(`reclaimed ${reclaimed.objects} orphaned archives, ${reclaimed.bytes} bytes`);
 * for (const w of warnings) console.warn(w);
 * await handler.close();
 * ```
 */
export interface StartupReport {
  /**
   * Removed at start-up: archive objects no record named (with their digest files), temp files
   * (and digest files whose archive never came), and their bytes.
   */
  reclaimed: { objects: number; tempFiles: number; bytes: number };
  /** Warnings for the operator, each a sentence saying what to do. */
  warnings: string[];
}

interface Internals {
  server: ServerContext;
  stop: AbortController;
}

const internals = new WeakMap<TinkerHandler, Internals>();
const router = new Router([
  ...authRoutes,
  ...accountRoutes,
  ...serviceRoutes,
  ...managementRoutes,
  ...trainingRoutes,
  ...objectRoutes,
  ...externalRoutes,
  ...sessionRoutes,
  ...copyRoutes,
]);

/** The server parts behind a handler made by {@link createHandler}. */
export function contextOf(handler: TinkerHandler): ServerContext {
  const found = internals.get(handler);
  if (!found) throw new TypeError("Not a handler made by createHandler()");
  return found.server;
}

/** Sign archive URLs against `url` (the listen address), unless a `publicUrl` was configured. */
export function setDefaultPublicUrl(handler: TinkerHandler, url: string): void {
  const options = contextOf(handler).options;
  options.publicUrl ??= url;
}

/** End long-polls now (before an HTTP server shuts down and waits for in-flight requests). */
export function abortWaits(handler: TinkerHandler): void {
  internals.get(handler)?.stop.abort();
}

/** Create the handler, opening (and if asked, seeding) the data directory. */
export async function createHandler(options: ServerOptions = {}): Promise<TinkerHandler> {
  const resolved = await resolveOptions(options);
  const ownsDir = resolved.dataDir === undefined;
  const dataDir = resolved.dataDir ?? await mkdtemp(join(tmpdir(), "tinkex-server-"));
  const stop = new AbortController();
  let server: ServerContext;
  const warnings: string[] = [];
  try {
    const loose = await looseModeWarning(dataDir);
    if (loose) warnings.push(loose);
    const store = await Store.open(dataDir);
    const signer = await UrlSigner.open(dataDir, store.tmpDir);
    const users = await Users.fromKeys(resolved.apiKeys, signer);
    await store.renameOwners(await users.legacyIds());
    server = {
      options: resolved,
      store,
      signer,
      users,
      accounts: accountsOf(users, resolved.adminKeys),
      futures: new Futures({
        delayMs: resolved.futureDelayMs,
        longPollMs: resolved.longPollMs,
        ttlMs: resolved.futureTtlMs,
      }, stop.signal),
      archives: new Archives(store),
      closed: stop.signal,
    };
    if (resolved.seed) await seedStore(server, resolved.seed);
    attachAuditLog(server);
  } catch (e) {
    if (ownsDir) await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  let closing: Promise<void> | undefined;
  const handler: TinkerHandler = {
    dataDir,
    apiKeys: [...resolved.apiKeys],
    startup: { reclaimed: { ...server.store.reclaimed }, warnings },
    fetch: (request) => dispatch(server, request),
    close(): Promise<void> {
      closing ??= (async () => {
        stop.abort();
        await server.futures.settle();
        await server.archives.settle();
        if (ownsDir) await rm(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
  internals.set(handler, { server, stop });
  return handler;
}

async function dispatch(server: ServerContext, incoming: Request): Promise<Response> {
  const preflight = corsPreflight(incoming, server.options.corsOrigins);
  if (preflight) return preflight;
  const requestId = newRequestId();
  const timed = withBodyDeadline(incoming, server.options.bodyTimeoutMs);
  const request = timed.request;
  let response: Response;
  try {
    if (server.closed.aborted) throw new HttpError(503, "The server is shutting down");
    const url = new URL(request.url);
    const segments = pathSegments(url.pathname);
    const at = prefixLength(segments);
    const rest = segments.slice(at);
    const { route, params } = router.match(request.method, rest, "/" + rest.join("/"));
    const user = route.auth ? await authenticate(server, request, route) : "";
    const prefix = at ? "/" + segments.slice(0, at).map(encodeURIComponent).join("/") : "";
    response = await route.handler({ request, url, params, user, server, prefix, requestId });
  } catch (e) {
    response = errorResponse(publicError(e, requestId, `${request.method} ${pathOf(request)}`));
  } finally {
    timed.release();
  }
  response.headers.set("x-request-id", requestId);
  addCorsHeaders(request, response, server.options.corsOrigins);
  if (request.method === "HEAD" && response.body) {
    await response.body.cancel();
    return new Response(null, { status: response.status, headers: response.headers });
  }
  return response;
}

/** The organization of a server: one member per key; `adminKeys` (default the first) are admins. */
function accountsOf(users: Users, adminKeys: readonly string[]): Accounts {
  const admins = new Set<string>();
  for (const key of adminKeys) {
    const id = users.idOf(key);
    if (id === undefined) {
      throw new TypeError("Cannot start the server: every admin key must be one of its API keys");
    }
    admins.add(id);
  }
  return new Accounts(users.ids(), admins);
}

/** The request's path without its query (which may hold a signature), for the log. */
function pathOf(request: Request): string {
  try {
    return new URL(request.url).pathname;
  } catch {
    return "(unparsable URL)";
  }
}

/** How many leading segments are a base-path prefix (e.g. `services/tinker-prod`). */
function prefixLength(segments: string[]): number {
  for (let i = 0; i < segments.length - 1; i++) {
    if (segments[i] === "api" && segments[i + 1] === "v1") return i;
  }
  return segments.length >= 2 && segments[segments.length - 2] === "archives"
    ? segments.length - 2
    : 0;
}
