/**
 * Auth endpoints: client config (whether JWT auth is on), the API-key → JWT exchange, and the
 * description of the key in use (`GET /api/v1/auth/apikey/me`, what `tinker auth login` checks).
 * @module
 */
import type { RequestContext, Route } from "../http/context.ts";
import { readJsonBody } from "../http/input.ts";
import { json, notFound } from "../http/responses.ts";
import { mintJwt } from "../auth/jwt.ts";
import { ORG_NAME } from "../auth/accounts.ts";

async function clientConfig(ctx: RequestContext): Promise<Response> {
  await readJsonBody(ctx.request, false);
  const { jwtAuth, credentialDefaultSource } = ctx.server.options;
  // Every flag has a default (pjwt_auth_enabled: false), so `{}` is the answer with JWT auth off.
  if (jwtAuth === "off") return json({});
  return json({ pjwt_auth_enabled: true, credential_default_source: credentialDefaultSource });
}

async function authToken(ctx: RequestContext): Promise<Response> {
  await readJsonBody(ctx.request, false);
  if (ctx.server.options.jwtAuth === "off") {
    throw notFound("JWT auth is off on this server: send the API key itself (start it with --jwt)");
  }
  return json({ jwt: await mintJwt(ctx.server, ctx.user) });
}

function apiKeyMe(ctx: RequestContext): Promise<Response> {
  const account = ctx.server.accounts.of(ctx.user)!;
  return Promise.resolve(json({
    key_id: account.keyId,
    name: account.keyName,
    note: "an API key of tinkex serve",
    details: { org_details: { name: ORG_NAME }, user_details: { email: account.email } },
  }));
}

/** The auth routes. */
export const authRoutes: Route[] = [
  {
    method: "POST",
    pattern: "/api/v1/client/config",
    auth: true,
    credential: "any",
    handler: clientConfig,
  },
  {
    method: "POST",
    pattern: "/api/v1/auth/token",
    auth: true,
    credential: "api-key",
    handler: authToken,
  },
  {
    method: "GET",
    pattern: "/api/v1/auth/apikey/me",
    auth: true,
    credential: "api-key",
    handler: apiKeyMe,
  },
];
