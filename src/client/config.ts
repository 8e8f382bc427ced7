/**
 * Client configuration: a plain object passed first to every call.
 * @module
 */
import { ConfigError } from "./errors.ts";
import { readEnv } from "./runtime.ts";
import { isValidApiKey } from "../protocol/api_key.ts";

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

/** Configuration of every call. Only `apiKey` is required. */
export interface TinkerConfig {
  /** A Tinker API key (`tml-…`, or a JWT starting `eyJ`). Sent as `X-API-Key`, never logged. */
  apiKey: string;
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
  /** The API key (non-enumerable, so it is not printed or serialized). */
  readonly apiKey: string;
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
  if (config.apiKey === undefined || config.apiKey === "") {
    throw new ConfigError(
      "Cannot call Tinker: no API key. Set TINKER_API_KEY or pass { apiKey: 'tml-…' }",
    );
  }
  if (!isValidApiKey(config.apiKey)) {
    throw new ConfigError(
      "Cannot call Tinker: the API key is malformed (Tinker keys start with 'tml-'); nothing was sent",
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
  } as ResolvedConfig;
  return hideApiKey(resolved, config.apiKey);
}

/** Where {@link configFromEnv} reads variables: a lookup function or a plain record. */
export type EnvSource =
  | ((name: string) => string | undefined)
  | Readonly<Record<string, string | undefined>>;

/** Options of {@link configFromEnv}. */
export interface ConfigFromEnvOptions {
  /** Read variables from here instead of the process environment (e.g. a worker's `env`). */
  env?: EnvSource;
}

/**
 * Build a config from the environment: `TINKER_API_KEY`, `TINKER_BASE_URL`, and the optional
 * `CLOUDFLARE_ACCESS_CLIENT_ID` / `CLOUDFLARE_ACCESS_CLIENT_SECRET`. Overrides win. Reads the
 * process environment under Deno (needs `--allow-env`), Bun and Node, or `options.env`.
 *
 * @example
 * ```ts
 * import { configFromEnv, listTrainingRuns } from "@tinkex/tinkex";
 * const config = configFromEnv({ timeoutMs: 30_000 });
 * const { training_runs } = await listTrainingRuns(config);
 * // Elsewhere (a worker, a test): read variables from an object instead.
 * configFromEnv({}, { env: { TINKER_API_KEY: "tml-…", TINKER_BASE_URL: "http://127.0.0.1:8080" } });
 * ```
 * @throws {ConfigError} when no usable key is found.
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
  return resolveConfig({
    ...overrides,
    apiKey: overrides.apiKey ?? env("TINKER_API_KEY") ?? "",
    baseUrl: overrides.baseUrl ?? (env("TINKER_BASE_URL") || undefined),
    headers: { ...headers, ...overrides.headers },
  });
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

function hideApiKey(resolved: ResolvedConfig, apiKey: string): ResolvedConfig {
  Object.defineProperty(resolved, "apiKey", { value: apiKey, enumerable: false });
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
