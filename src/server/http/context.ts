/**
 * What request handlers get: the server's parts and the request's own details.
 * @module
 */
import type { Archives } from "../archive/archive_store.ts";
import type { Users } from "../auth/users.ts";
import type { Accounts } from "../auth/accounts.ts";
import type { Futures } from "../training/future_registry.ts";
import type { ResolvedServerOptions } from "../options.ts";
import type { UrlSigner } from "../auth/url_signing.ts";
import type { Store } from "../store/record_store.ts";

/** The parts of one running server. */
export interface ServerContext {
  options: ResolvedServerOptions;
  store: Store;
  signer: UrlSigner;
  users: Users;
  /** Identities and roles of the users (account endpoints). */
  accounts: Accounts;
  futures: Futures;
  archives: Archives;
  /** Aborts when the server closes (ends long-polls). */
  closed: AbortSignal;
}

/** One request, routed. */
export interface RequestContext {
  request: Request;
  url: URL;
  /** Decoded path parameters. */
  params: Record<string, string>;
  /** The authenticated user id ("" on routes without auth). */
  user: string;
  server: ServerContext;
  /** Path prefix before `/api/v1` (e.g. `/services/tinker-prod`), usually "". */
  prefix: string;
  /** This request's id (`x-request-id`), under which the server logs its internal errors. */
  requestId: string;
}

/** A route handler. */
export type RouteHandler = (ctx: RequestContext) => Promise<Response>;

/** One route: method, path pattern (`:name` segments are parameters), whether it needs a key. */
export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  pattern: string;
  auth: boolean;
  /**
   * Which credential opens it when JWT auth is on: `api-key` only the key itself (the JWT
   * exchange), `any` a key or a JWT even when JWTs are required; absent: a JWT when required.
   */
  credential?: "api-key" | "any";
  handler: RouteHandler;
}
