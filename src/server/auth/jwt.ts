/**
 * JWT auth of the local server (the service's `pjwt_auth_enabled` mode): API keys are exchanged
 * at `POST /api/v1/auth/token` for short-lived JWTs signed with the server's secret, and (in the
 * `required` mode) only JWTs open the other routes.
 * @module
 */
import type { Route, ServerContext } from "../http/context.ts";
import { HttpError } from "../http/responses.ts";
import { fromBase64Url, toBase64Url } from "../store/encoding.ts";
import { identityOf } from "./accounts.ts";

const encoder = new TextEncoder();
const HEADER = toBase64Url(encoder.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
/** The `iss` claim of the JWTs a local server mints. */
export const JWT_ISSUER = "tinkex-serve";

/** A JWT for `userId`, valid for the configured lifetime. */
export async function mintJwt(server: ServerContext, userId: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + server.options.jwtTtlSeconds;
  const { org_user_urn, email } = identityOf(userId);
  const claims = { iss: JWT_ISSUER, sub: org_user_urn, email, uid: userId, iat: now, exp };
  const body = `${HEADER}.${toBase64Url(encoder.encode(JSON.stringify(claims)))}`;
  return `${body}.${await server.signer.sign({
    objectId: `jwt:${body}`,
    expires: exp,
    user: userId,
  })}`;
}

/** The user a JWT was minted for, if it is ours, intact and unexpired. */
async function verifyJwt(server: ServerContext, token: string): Promise<string | undefined> {
  const [header, payload, sig, ...rest] = token.split(".");
  if (rest.length > 0 || !header || !payload || !sig) return undefined;
  const bytes = fromBase64Url(payload);
  if (!bytes) return undefined;
  let claims: { exp?: unknown; uid?: unknown };
  try {
    claims = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  const { exp, uid } = claims;
  if (typeof exp !== "number" || typeof uid !== "string") return undefined;
  const grant = { objectId: `jwt:${header}.${payload}`, expires: exp, user: uid };
  if (!(await server.signer.verify(grant, sig))) return undefined;
  if (exp * 1000 <= Date.now() || !server.accounts.of(uid)) return undefined;
  return uid;
}

/**
 * The user making `request` on `route`: a known API key, or (with JWT auth on) a JWT this server
 * minted. With JWT auth `required`, API keys open only the routes that take them (the exchange,
 * the key's own description, client config).
 */
export async function authenticate(
  server: ServerContext,
  request: Request,
  route: Route,
): Promise<string> {
  const mode = server.options.jwtAuth;
  const key = request.headers.get("x-api-key") ?? "";
  if (mode !== "off" && key.startsWith("eyJ") && !server.users.idOf(key)) {
    if (route.credential === "api-key") {
      throw new HttpError(401, "This route takes the API key itself, not a JWT");
    }
    const user = await verifyJwt(server, key);
    if (!user) {
      throw new HttpError(
        401,
        "Invalid JWT: expired or not issued by this server; exchange the API key again at POST /api/v1/auth/token",
      );
    }
    return user;
  }
  const user = server.users.authenticate(request);
  if (mode === "required" && route.credential === undefined) {
    throw new HttpError(
      401,
      "This server requires JWT auth: exchange the API key at POST /api/v1/auth/token and send the JWT as X-API-Key",
    );
  }
  return user;
}
