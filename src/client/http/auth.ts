/**
 * What goes into `X-API-Key`: the credential itself, or — when the server asks for it
 * (`pjwt_auth_enabled` from `POST /api/v1/client/config`) — a short-lived JWT exchanged for it at
 * `POST /api/v1/auth/token`. One state per process for each base URL and credential: one
 * discovery, one exchange for any number of concurrent calls, a new JWT before the old expires.
 * When the server also says `credential_default_source: "credential_cmd"`, the exchanged
 * credential follows the SDK's stricter rule (`getDynamicCredential`).
 * @module
 */
import type { ResolvedConfig } from "../config.ts";
import { DYNAMIC_CREDENTIAL_REQUIRED_MESSAGE } from "../credentials/resolve.ts";
import { AbortError, ApiStatusError, ConfigError, TinkerError } from "../errors.ts";
import type { ClientConfigResponse } from "../../protocol/types.ts";
import { TINKER_SDK_VERSION } from "../../protocol/version.ts";
import { requestJson } from "./request.ts";

/** A JWT is replaced once it has less than this left (the SDK's background refresh point). */
export const JWT_REFRESH_BEFORE_EXPIRY_MS = 300_000;

/** The JWT exchanged for one credential source. */
interface JwtSlot {
  /** The current JWT and its expiry (epoch ms; 0 when unreadable). */
  jwt?: { token: string; expiresAt: number };
  /** The exchange in flight, shared by concurrent calls. */
  exchanging?: Promise<string>;
}

interface AuthState extends JwtSlot {
  /** The credential, for API-key auth from a `getApiKey` source (asked once). */
  credential?: Promise<string>;
  /** The server's client config (asked once). */
  flags?: Promise<ClientConfigResponse>;
  /**
   * JWTs exchanged for a `getDynamicCredential` source: another principal's, possibly, so never
   * shared with a config of the same key without that source.
   */
  dynamic?: WeakMap<object, JwtSlot>;
  /** Credentials and JWTs obtained so far (newest last), which no error may show. */
  secrets?: string[];
}

/** How many obtained credentials and JWTs are remembered for redaction, per state. */
const MAX_SECRETS = 8;

/** States by base URL and key; by base URL under each credential source. */
const byKey = new Map<string, AuthState>();
const bySource = new WeakMap<object, Map<string, AuthState>>();
/** Bound on {@link byKey}: the oldest state goes first. */
const MAX_STATES = 256;

function stateOf(config: ResolvedConfig): AuthState {
  if (config.apiKey === undefined) {
    const source = config.getApiKey!;
    let perUrl = bySource.get(source);
    if (!perUrl) bySource.set(source, perUrl = new Map());
    let state = perUrl.get(config.baseUrl);
    if (!state) perUrl.set(config.baseUrl, state = {});
    return state;
  }
  const id = `${config.baseUrl}\n${config.apiKey}`;
  let state = byKey.get(id);
  if (!state) {
    if (byKey.size >= MAX_STATES) byKey.delete(byKey.keys().next().value!);
    byKey.set(id, state = {});
  }
  return state;
}

/** How requests made with a config authenticate, and where an exchanged credential comes from. */
interface AuthPlan {
  mode: "api-key" | "jwt";
  /** The server requires dynamic credentials (`credential_default_source: "credential_cmd"`). */
  dynamic: boolean;
}

/** The `X-API-Key` value for a request made with `config`. */
export async function authHeaderFor(config: ResolvedConfig, signal?: AbortSignal): Promise<string> {
  const state = stateOf(config);
  const plan = await planOf(config, state, signal);
  if (plan.mode === "api-key") return await credentialFor(config, signal);
  return await jwtFor(config, state, plan, signal);
}

/**
 * Drop a JWT the server refused (401), so the next call exchanges the credential again instead
 * of sending it until it expires (e.g. after the server's signing secret changed).
 */
export function forgetJwt(config: ResolvedConfig, token: string): void {
  const state = stateOf(config);
  const slots = [state, state.dynamic?.get(config.getDynamicCredential ?? state)];
  for (const slot of slots) if (slot?.jwt?.token === token) slot.jwt = undefined;
}

/** Where the JWT of `config` under `plan` is kept. */
function slotOf(config: ResolvedConfig, state: AuthState, plan: AuthPlan): JwtSlot {
  const source = config.getDynamicCredential;
  if (!plan.dynamic || !source) return state;
  const slots = state.dynamic ??= new WeakMap();
  let slot = slots.get(source);
  if (!slot) slots.set(source, slot = {});
  return slot;
}

/** The credential itself (never a JWT): for the exchange, and for `GET /api/v1/auth/apikey/me`. */
export async function credentialFor(config: ResolvedConfig, signal?: AbortSignal): Promise<string> {
  if (config.apiKey !== undefined) return config.apiKey;
  const state = stateOf(config);
  state.credential ??= freshCredential(state, config.getApiKey!).catch((e) => {
    state.credential = undefined;
    throw e;
  });
  return await abortable(state.credential, signal);
}

/**
 * The JWT whose claims say who the caller is: the current exchanged JWT, or the key itself when
 * it is an identity JWT (`iss` starting `passport-`); undefined with plain API-key auth.
 */
export async function identityJwt(
  config: ResolvedConfig,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const key = config.apiKey;
  if (key?.startsWith("eyJ")) {
    const iss = readClaims(key)?.iss;
    if (typeof iss === "string" && iss.startsWith("passport-")) return key;
  }
  const state = stateOf(config);
  const plan = await planOf(config, state, signal);
  if (plan.mode === "api-key") return undefined;
  return await jwtFor(config, state, plan, signal);
}

/** Whether `config` ends up sending JWTs (asks the server once, for `auto`). */
export async function usesJwt(config: ResolvedConfig, signal?: AbortSignal): Promise<boolean> {
  return (await planOf(config, stateOf(config), signal)).mode === "jwt";
}

/**
 * The server's client config as the auth of `config` follows it: asked once per state (shared
 * with the `auto` discovery), every default filled in for a server that will not answer.
 */
export async function clientConfigOf(
  config: ResolvedConfig,
  signal?: AbortSignal,
): Promise<ClientConfigResponse> {
  return await flagsOf(config, stateOf(config), signal);
}

/**
 * A JWT's claims, decoded without checking the signature (as the SDK does: the token came from
 * the API origin); undefined when it is not a readable JWT.
 */
export function readClaims(jwt: string): Record<string, unknown> | undefined {
  const part = jwt.split(".")[1];
  if (!part) return undefined;
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(
      Math.ceil(part.length / 4) * 4,
      "=",
    );
    const text = new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    const claims = JSON.parse(text);
    return claims !== null && typeof claims === "object" && !Array.isArray(claims)
      ? claims
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `auto` asks the server; `api-key` and `jwt` do not (so they know nothing of its
 * `credential_default_source`, and a forced `jwt` exchanges the usual credential).
 */
async function planOf(
  config: ResolvedConfig,
  state: AuthState,
  signal: AbortSignal | undefined,
): Promise<AuthPlan> {
  if (config.auth !== "auto") return { mode: config.auth, dynamic: false };
  const flags = await flagsOf(config, state, signal);
  if (!flags.pjwt_auth_enabled) return { mode: "api-key", dynamic: false };
  return { mode: "jwt", dynamic: flags.credential_default_source === "credential_cmd" };
}

async function flagsOf(
  config: ResolvedConfig,
  state: AuthState,
  signal: AbortSignal | undefined,
): Promise<ClientConfigResponse> {
  state.flags ??= discover(config).catch((e) => {
    state.flags = undefined;
    throw e;
  });
  return await abortable(state.flags, signal);
}

/**
 * Ask the server for its feature flags, with the usual credential (as the SDK does, whatever
 * the answer then says about the exchanged one). A server without the route, or one that refuses
 * the question for any reason but the credential (400, 404, 422, 5xx…), is taken to want API
 * keys: the calls themselves then say whether the key works. A refused credential (401/403) fails.
 */
async function discover(config: ResolvedConfig): Promise<ClientConfigResponse> {
  const credential = await credentialFor(config);
  let flags: Record<string, unknown> = {};
  try {
    const body = await requestJson<unknown>(config, {
      method: "POST",
      path: "/api/v1/client/config",
      // The service resolves flags per SDK version: ask as the official SDK tinkex follows.
      body: { sdk_version: TINKER_SDK_VERSION },
      credential,
    });
    if (body !== null && typeof body === "object" && !Array.isArray(body)) {
      flags = body as Record<string, unknown>;
    }
  } catch (e) {
    if (!(e instanceof ApiStatusError) || e.status === 401 || e.status === 403) throw e;
  }
  return {
    ...flags,
    pjwt_auth_enabled: flags.pjwt_auth_enabled === true,
    credential_default_source: typeof flags.credential_default_source === "string"
      ? flags.credential_default_source
      : "api_key",
  };
}

async function jwtFor(
  config: ResolvedConfig,
  state: AuthState,
  plan: AuthPlan,
  signal: AbortSignal | undefined,
): Promise<string> {
  const slot = slotOf(config, state, plan);
  const current = slot.jwt;
  if (current && current.expiresAt - Date.now() > JWT_REFRESH_BEFORE_EXPIRY_MS) {
    return current.token;
  }
  slot.exchanging ??= exchange(config, state, plan).then((jwt) => {
    slot.jwt = jwt;
    remember(state, jwt.token);
    return jwt.token;
  }).finally(() => slot.exchanging = undefined);
  try {
    return await abortable(slot.exchanging, signal);
  } catch (e) {
    // A failed refresh falls back to a JWT that is still valid, as the SDK does.
    const still = slot.jwt;
    if (!(e instanceof AbortError) && still && still.expiresAt > Date.now()) return still.token;
    throw e;
  }
}

async function exchange(
  config: ResolvedConfig,
  state: AuthState,
  plan: AuthPlan,
): Promise<{ token: string; expiresAt: number }> {
  // A credential command runs again for every exchange: its credentials may be short-lived.
  const credential = plan.dynamic
    ? await dynamicCredential(config, state)
    : config.apiKey ?? await freshCredential(state, config.getApiKey!);
  const body = await requestJson<{ jwt?: unknown }>(config, {
    method: "POST",
    path: "/api/v1/auth/token",
    body: {},
    credential,
  });
  if (typeof body.jwt !== "string" || !body.jwt.startsWith("eyJ") || /\s/.test(body.jwt)) {
    throw new TinkerError(
      "Cannot authenticate: the server's answer to POST /api/v1/auth/token holds no JWT",
      { category: "server" },
    );
  }
  const exp = Number(readClaims(body.jwt)?.exp);
  return { token: body.jwt, expiresAt: Number.isFinite(exp) ? exp * 1000 : 0 };
}

/**
 * The credential a server requiring dynamic credentials is sent: `getDynamicCredential`'s (run
 * for each exchange), else the key when it is a JWT, else nothing is sent (the SDK's rule).
 */
async function dynamicCredential(config: ResolvedConfig, state: AuthState): Promise<string> {
  if (config.getDynamicCredential) {
    return await freshCredential(state, config.getDynamicCredential);
  }
  const key = config.apiKey ?? await credentialFor(config);
  if (key.startsWith("eyJ")) return key;
  throw new ConfigError(
    `${DYNAMIC_CREDENTIAL_REQUIRED_MESSAGE} In code: build the config with configFromEnv(), or pass { getDynamicCredential }.`,
  );
}

async function freshCredential(
  state: AuthState,
  source: () => Promise<string>,
): Promise<string> {
  const value = await source();
  if (typeof value === "string") remember(state, value);
  if (typeof value !== "string" || value === "" || /\s/.test(value)) {
    throw new TinkerError(
      "Cannot authenticate: the credential source gave no usable credential (empty or with spaces)",
      { category: "user" },
    );
  }
  return value;
}

function remember(state: AuthState, secret: string): void {
  const list = state.secrets ??= [];
  if (secret === "" || list.includes(secret)) return;
  list.push(secret);
  if (list.length > MAX_SECRETS) list.shift();
}

/**
 * Every credential `config` has: its key, what its source gave (the command's output, the stored
 * key) and the JWTs it was issued. A server echoing any of them must not put it in an error.
 */
export function credentialsOf(config: ResolvedConfig): string[] {
  const state = stateOf(config);
  return [...(config.apiKey === undefined ? [] : [config.apiKey]), ...(state.secrets ?? [])];
}

/** Wait for shared work, but give up at once when this caller's signal aborts. */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new AbortError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortError(signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
