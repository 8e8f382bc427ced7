/**
 * Service endpoints clients call beside the management API (protocol §7): client config,
 * dynamic client config, health, telemetry.
 * @module
 */
import type { Route, RouteHandler } from "../http/context.ts";
import { readJsonBody } from "../http/input.ts";
import { json } from "../http/responses.ts";

/** A handler that checks the (optional) JSON body and answers with a fixed `reply`. */
function acknowledge(reply: Record<string, string>): RouteHandler {
  return async (ctx) => {
    await readJsonBody(ctx.request, false);
    return json(reply);
  };
}

/** The service routes. */
export const serviceRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/api/v1/healthz",
    auth: false,
    handler: () => Promise.resolve(json({ status: "ok" })),
  },
  // POST /api/v1/client/config (feature flags: JWT auth) lives in auth_routes.ts.
  // Newer Python SDKs also fetch (and periodically refresh) `client/dynamic_config`; every
  // field of its response has a default, so `{}` keeps them all.
  {
    method: "POST",
    pattern: "/api/v1/client/dynamic_config",
    auth: true,
    handler: acknowledge({}),
  },
  {
    method: "POST",
    pattern: "/api/v1/telemetry",
    auth: true,
    handler: acknowledge({ status: "accepted" }),
  },
];
