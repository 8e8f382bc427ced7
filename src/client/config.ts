/**
 * Client configuration: a plain object passed first to every call.
 * @module
 */
import { ConfigError } from "./errors.ts";
import { readEnv } from "./runtime.ts";
import { isValidApiKey } from "../protocol/api_key.ts";
import {
  NO_CREDENTIAL_MESSAGE,
  planCredential,
  readStoredDefault,
  resolveCredential,
} from "./credentials/resolve.ts";

/** The hosted service, used when no base URL is given. */
export const DEFAULT_BASE_URL = "https://tinker.thinkingmachines.dev/services/tinker-prod";
/** Per-request timeout, in ms (60 s, as the official SDKs). */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** Retries after the first attempt for retryable failures. */
export const DEFAULT_MAX_RETRIES = 5;
/** First backoff delay in ms; doubles per retry. */
export const DEFAULT_RETRY_INITIAL_DELAY_MS = 500;
/** Cap of one backoff delay in ms. */
export const DEFAULT_RETRY_MAX_DELAY_MS = 10_000;

/** What a retry is about to happen for, passed to `onRetry`. */
export interface RetryInfo {
  /** 1 for the first retry. */
  retry: number;
  /** How long tinkex waits before it, in ms. */
  delayMs: number;
  /** The status that caused it, when the server answered. */
  status?: number;
  /** The error that caused it, when no response arrived. */
  error?: unknown;
  /** Request method and URL. */
  method: string;
  /** Request URL. */
  url: string;
}

/**
 * How requests authenticate: `api-key` sends the credential itself as `X-API-Key`; `jwt`
 * exchanges it at `POST /api/v1/auth/token` for a short-lived JWT and sends that; `auto` asks
 * the server once per process (`POST /api/v1/client/config`, `pjwt_auth_enabled`), as the
 * official SDK does.
 */
export type AuthMode = "auto" | "api-key" | "jwt";

/** Configuration of every call. An `apiKey` (or a `getApiKey` source) is required. */
export interface TinkerConfig {
  /** A Tinker API key (`tml-…`, or a JWT starting `eyJ`). Sent as `X-API-Key`, never logged. */
  apiKey?: string;
  /**
   * Where the credential comes from when there is no `apiKey`, e.g. a command printing one
   * (what {@link configFromEnv} makes of `TINKER_CREDENTIAL_CMD`). Called once per process for
   * API-key auth, and for every JWT exchange.
   */
  getApiKey?: () => Promise<string>;
  /**
   * The credential for a server that requires dynamic credentials (its client config says
   * `credential_default_source: "credential_cmd"`, with JWT auth on): called for every JWT
   * exchange instead of `apiKey` / `getApiKey`. {@link configFromEnv} makes it from
   * `TINKER_CREDENTIAL_CMD` by the SDK's rule. Without it such a server is sent `apiKey` only
   * when that is a JWT (`eyJ…`); anything else is a `ConfigError`, before the key is sent.
   */
  getDynamicCredential?: () => Promise<string>;
  /**
   * `api-key` (default with an `apiKey`), `jwt`, or `auto` (default with `getApiKey`: ask the
   * server once per process whether it wants JWTs).
   */
  auth?: AuthMode;
  /** Service base URL; its path prefix is kept. Defaults to the hosted service. */
  baseUrl?: string;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
  /** Per-request timeout in ms (default 60 000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 5). 0 disables retrying. */
  maxRetries?: number;
  /** First backoff delay in ms (default 500); the delay doubles per retry. */
  retryInitialDelayMs?: number;
  /** Cap of one backoff delay in ms (default 10 000). */
  retryMaxDelayMs?: number;
  /** Extra headers sent on every API request. */
  headers?: Record<string, string>;
  /** Called before each retry, e.g. to log it. */
  onRetry?: (info: RetryInfo) => void;
}

/** A configuration with every default filled in and the key checked. */
export interface ResolvedConfig {
  /** The API key (non-enumerable, so it is not printed or serialized); absent with `getApiKey`. */
  readonly apiKey?: string;
  /** The credential source used when there is no `apiKey`. */
  readonly getApiKey?: () => Promise<string>;
  /** The credential for servers that require dynamic credentials. */
  readonly getDynamicCredential?: () => Promise<string>;
  /** How requests authenticate. */
  readonly auth: AuthMode;
  /** Base URL without a trailing slash. */
  readonly baseUrl: string;
  /** The fetch in use. */
  readonly fetch: typeof fetch;
  /** Per-request timeout, in ms. */
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** First backoff delay in ms. */
  readonly retryInitialDelayMs: number;
  /** Cap of one backoff delay in ms. */
  readonly retryMaxDelayMs: number;
  /** Extra headers. */
  readonly headers: Record<string, string>;
  /** Retry observer. */
  readonly onRetry?: (info: RetryInfo) => void;
}

/** Configs made by {@link resolveConfig}: frozen, so they need no second check. */
const resolvedConfigs = new WeakSet<object>();

/**
 * Fill in defaults and check the key and base URL. Calls do this themselves; use it to fail early.
 * The result is frozen, and passing it to calls skips the checks.
 *
 * @example
 * ```ts
 * import { resolveConfig } from "@tinkex/tinkex";
 * const c = resolveConfig({ apiKey: "tml-demo", baseUrl: "http://127.0.0.1:8000/prefix/" });
 * console.log(c.baseUrl); // "http://127.0.0.1:8000/prefix"
 * console.log(JSON.stringify(c).includes("tml-demo")); // false
 * ```
 * @throws {ConfigError} when the key is missing or malformed, or the base URL is not http(s).
 */
export function resolveConfig(config: TinkerConfig): ResolvedConfig {
  if (config === null || typeof config !== "object") {
    throw new ConfigError("Cannot use config: expected an object such as { apiKey: 'tml-…' }");
  }
  if (resolvedConfigs.has(config)) return config as unknown as ResolvedConfig;
  const hasKey = config.apiKey !== undefined && config.apiKey !== "";
  if (!hasKey && typeof config.getApiKey !== "function") {
    throw new ConfigError(NO_CREDENTIAL_MESSAGE);
  }
  if (hasKey && !isValidApiKey(config.apiKey)) {
    throw new ConfigError(
      "Cannot call Tinker: the API key is malformed (Tinker keys start with 'tml-'); nothing was sent",
    );
  }
  const dynamic = config.getDynamicCredential;
  if (dynamic !== undefined && typeof dynamic !== "function") {
    throw new ConfigError(
      "Cannot use getDynamicCredential: expected a function returning a promise",
    );
  }
  const baseUrl = normalizeBaseUrl(config.baseUrl);
  const fetchImpl = config.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== "function") {
    throw new ConfigError("Cannot call Tinker: no fetch available; pass { fetch }");
  }
  const resolved = {
    baseUrl,
    // Called unbound: a browser's or workerd's global fetch called as a method of this object
    // throws "Illegal invocation".
    fetch: ((input, init) => fetchImpl(input, init)) as typeof fetch,
    timeoutMs: positive(config.timeoutMs, DEFAULT_TIMEOUT_MS, "timeoutMs"),
    maxRetries: nonNegativeInt(config.maxRetries, DEFAULT_MAX_RETRIES, "maxRetries"),
    retryInitialDelayMs: nonNegative(
      config.retryInitialDelayMs,
      DEFAULT_RETRY_INITIAL_DELAY_MS,
      "retryInitialDelayMs",
    ),
    retryMaxDelayMs: nonNegative(
      config.retryMaxDelayMs,
      DEFAULT_RETRY_MAX_DELAY_MS,
      "retryMaxDelayMs",
    ),
    headers: { ...config.headers },
    onRetry: config.onRetry,
    auth: authMode(config.auth, hasKey),
  } as ResolvedConfig;
  if (!hasKey) Object.defineProperty(resolved, "getApiKey", { value: config.getApiKey });
  if (dynamic) Object.defineProperty(resolved, "getDynamicCredential", { value: dynamic });
  return hideApiKey(resolved, hasKey ? config.apiKey : undefined);
}

function authMode(mode: AuthMode | undefined, hasKey: boolean): AuthMode {
  if (mode === undefined) return hasKey ? "api-key" : "auto";
  if (mode !== "auto" && mode !== "api-key" && mode !== "jwt") {
    throw new ConfigError(`Cannot use auth=${mode}: expected auto, api-key or jwt`);
  }
  return mode;
}

/** Where {@link configFromEnv} reads variables: a lookup function or a plain record. */
export type EnvSource =
  | ((name: string) => string | undefined)
  | Readonly<Record<string, string | undefined>>;

/** Options of {@link configFromEnv}. */
export interface ConfigFromEnvOptions {
  /** Read variables from here instead of the process environment (e.g. a worker's `env`). */
  env?: EnvSource;
  /** Hears warnings, e.g. a credentials file other users can read. */
  onWarning?: (message: string) => void;
}

/**
 * Build a config from the environment: `TINKER_BASE_URL`, the optional
 * `CLOUDFLARE_ACCESS_CLIENT_ID` / `CLOUDFLARE_ACCESS_CLIENT_SECRET`, and the credential in the
 * official SDK's order: `overrides.apiKey`, `TINKER_API_KEY`, `TINKER_CREDENTIAL_CMD` (run
 * through the shell; its trimmed stdout), the default key of `~/.tinker/credentials.json`
 * (`tinker auth login`; `~` is `HOME`). The command runs and the file is read at the first
 * request, not here (so this stays synchronous); configs from either use `auth: "auto"`.
 * A server requiring dynamic credentials (`credential_default_source: "credential_cmd"`) is
 * sent the command's credential instead, as the SDK does (`getDynamicCredential`). Overrides win. Reads the process environment under Deno (needs `--allow-env`), Bun and Node,
 * or `options.env`.
 *
 * @example
 * ```ts
 * import { configFromEnv, listTrainingRuns } from "@tinkex/tinkex";
 * const config = configFromEnv({ timeoutMs: 30_000 });
 * const { training_runs } = await listTrainingRuns(config);
 * // Elsewhere (a worker, a test): read variables from an object instead.
 * configFromEnv({}, { env: { TINKER_API_KEY: "tml-…", TINKER_BASE_URL: "http://127.0.0.1:8080" } });
 * ```
 * @throws {ConfigError} when no credential source is found, or the key is malformed.
 */
export function configFromEnv(
  overrides: Partial<TinkerConfig> = {},
  options: ConfigFromEnvOptions = {},
): ResolvedConfig {
  const env = envReader(options.env);
  const headers: Record<string, string> = {};
  const cfId = env("CLOUDFLARE_ACCESS_CLIENT_ID");
  const cfSecret = env("CLOUDFLARE_ACCESS_CLIENT_SECRET");
  if (cfId) headers["CF-Access-Client-Id"] = cfId;
  if (cfSecret) headers["CF-Access-Client-Secret"] = cfSecret;
  const credential = overrides.apiKey === undefined && overrides.getApiKey
    ? { getApiKey: overrides.getApiKey }
    : credentialFromEnv(overrides.apiKey, env, options.onWarning);
  return resolveConfig({
    ...overrides,
    ...credential,
    getDynamicCredential: overrides.getDynamicCredential ??
      dynamicCredentialFromEnv(overrides.apiKey, env, options.onWarning),
    baseUrl: overrides.baseUrl ?? (env("TINKER_BASE_URL") || undefined),
    headers: { ...headers, ...overrides.headers },
  });
}

/** The credential part of a config from the environment, in the SDK's order (no I/O yet). */
function credentialFromEnv(
  apiKey: string | undefined,
  env: (name: string) => string | undefined,
  onWarning: ((message: string) => void) | undefined,
): Pick<TinkerConfig, "apiKey" | "getApiKey"> {
  const plan = planCredential(apiKey, env);
  switch (plan.source) {
    case "argument":
    case "TINKER_API_KEY":
      return { apiKey: plan.apiKey };
    case "TINKER_CREDENTIAL_CMD":
      return {
        apiKey: undefined,
        getApiKey: async () => {
          const { runCredentialCommand } = await import("./credentials/local_io.ts");
          return await runCredentialCommand(plan.command);
        },
      };
    case "credentials_file": {
      let read: Promise<string> | undefined;
      const readOnce = async () => {
        const found = await readStoredDefault(plan.path, onWarning);
        if (!found) throw new ConfigError(NO_CREDENTIAL_MESSAGE);
        return found.key;
      };
      return {
        apiKey: undefined,
        // Read once; a failed read is tried again next time.
        getApiKey: () =>
          read ??= readOnce().catch((e) => {
            read = undefined;
            throw e;
          }),
      };
    }
    case "none":
      throw new ConfigError(NO_CREDENTIAL_MESSAGE);
  }
}

/** The SDK's rule for servers that require dynamic credentials, applied at each exchange. */
function dynamicCredentialFromEnv(
  apiKey: string | undefined,
  env: (name: string) => string | undefined,
  onWarning: ((message: string) => void) | undefined,
): () => Promise<string> {
  return async () => {
    const found = await resolveCredential({
      apiKey,
      env,
      onWarning,
      credentialDefaultSource: "credential_cmd",
    });
    return found.apiKey;
  };
}

function envReader(source: EnvSource | undefined): (name: string) => string | undefined {
  if (source === undefined) return readEnv;
  if (typeof source === "function") return source;
  return (name) => source[name];
}

/**
 * Join a base URL and an API path, keeping the base's path prefix
 * (`new URL("/api/v1/x", base)` would drop it).
 */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

function normalizeBaseUrl(baseUrl: string | undefined): string {
  const raw = baseUrl === undefined || baseUrl === "" ? DEFAULT_BASE_URL : baseUrl;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`Cannot use base URL ${JSON.stringify(raw)}: it is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`Cannot use base URL ${JSON.stringify(raw)}: use http or https`);
  }
  return raw.replace(/\/+$/, "");
}

function hideApiKey(resolved: ResolvedConfig, apiKey: string | undefined): ResolvedConfig {
  if (apiKey !== undefined) {
    Object.defineProperty(resolved, "apiKey", { value: apiKey, enumerable: false });
  }
  Object.freeze(resolved);
  resolvedConfigs.add(resolved);
  return resolved;
}

function positive(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!(typeof v === "number" && v > 0 && Number.isFinite(v))) {
    throw new ConfigError(`Cannot use ${name}=${v}: expected a positive number`);
  }
  return v;
}

function nonNegative(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!(typeof v === "number" && v >= 0 && Number.isFinite(v))) {
    throw new ConfigError(`Cannot use ${name}=${v}: expected a number ≥ 0`);
  }
  return v;
}

function nonNegativeInt(v: number | undefined, dflt: number, name: string): number {
  const n = nonNegative(v, dflt, name);
  if (!Number.isInteger(n)) throw new ConfigError(`Cannot use ${name}=${v}: expected an integer`);
  return n;
}
