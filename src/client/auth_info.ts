/**
 * Who the credential belongs to: `whoami` (from the JWT's claims, no request, as the SDK does)
 * and `getApiKeyInfo` (`GET /api/v1/auth/apikey/me`, what `tinker auth login` checks a key with).
 * @module
 */
import { resolveConfig, type TinkerConfig } from "./config.ts";
import { JwtUnavailableError, TinkerError } from "./errors.ts";
import { credentialFor, identityJwt, readClaims } from "./http/auth.ts";
import { requestJson, type RequestOptions } from "./http/request.ts";

/** The calling principal, from the JWT's `sub` and `email` claims. */
export interface WhoamiResponse {
  /** The org-user URN (`sub`). */
  user_urn: string;
  /** The email, when the principal is a user (`email`; empty means none). */
  email: string | null;
}

/** What `GET /api/v1/auth/apikey/me` says about the key in use. */
export interface ApiKeyInfo {
  /** The key's public id. */
  key_id: number;
  /** Its name. */
  name: string;
  /** Its note. */
  note: string;
  /** Who it was minted for. */
  details: {
    /** The organization. */
    org_details: { name: string; [extra: string]: unknown };
    /** The user. */
    user_details: { email: string; [extra: string]: unknown };
    /** Fields added by newer service versions. */
    [extra: string]: unknown;
  };
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/**
 * Who the credential belongs to, read from the claims of the JWT in use (exchanged when the
 * server has JWT auth on, or the key itself when it is an identity JWT). Makes no request of
 * its own beyond the one-time auth discovery and exchange.
 *
 * @example
 * ```ts
 * import { configFromEnv, whoami } from "@tinkex/tinkex";
 * const me = await whoami(configFromEnv({ auth: "auto" }));
 * console.log(me.user_urn, me.email);
 * ```
 * @throws {JwtUnavailableError} when there is no JWT: the server has JWT auth off and the
 *   credential is a plain API key.
 */
export async function whoami(
  config: TinkerConfig,
  opts: Pick<RequestOptions, "signal"> = {},
): Promise<WhoamiResponse> {
  const jwt = await identityJwt(resolveConfig(config), opts.signal);
  if (jwt === undefined) throw new JwtUnavailableError();
  const claims = readClaims(jwt);
  if (typeof claims?.sub !== "string") {
    throw new TinkerError("Cannot tell who you are: the JWT has no subject claim", {
      category: "server",
    });
  }
  return {
    user_urn: claims.sub,
    email: typeof claims.email === "string" && claims.email !== "" ? claims.email : null,
  };
}

/**
 * Describe the API key in use (`GET /api/v1/auth/apikey/me`, sent with the key itself even when
 * requests otherwise carry a JWT): its id, name, note, organization and user.
 *
 * @example
 * ```ts
 * import { configFromEnv, getApiKeyInfo } from "@tinkex/tinkex";
 * const info = await getApiKeyInfo(configFromEnv());
 * console.log(info.name, info.details.user_details.email);
 * ```
 */
export async function getApiKeyInfo(
  config: TinkerConfig,
  opts: RequestOptions = {},
): Promise<ApiKeyInfo> {
  const resolved = resolveConfig(config);
  const credential = await credentialFor(resolved, opts.signal);
  return await requestJson<ApiKeyInfo>(resolved, {
    method: "GET",
    path: "/api/v1/auth/apikey/me",
    credential,
  }, opts);
}
