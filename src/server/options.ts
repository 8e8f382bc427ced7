/**
 * Options of the local server and their defaults.
 * @module
 */
import { readFile } from "node:fs/promises";
import { isValidApiKey } from "../protocol/api_key.ts";
import { checkCorsOrigins } from "./http/cors.ts";

/**
 * What the seed puts into an empty data directory.
 *
 * @example
 * ```ts
 * import { serve } from "@tinkex/tinkex/server";
 * // One run holding one ~1 GiB checkpoint, for download benchmarks.
 * const server = await serve({ seed: { runs: 1, checkpointsPerRun: 1, checkpointBytes: 2 ** 30 } });
 * await server.close();
 * ```
 */
export interface SeedOptions {
  /** Approximate size of each seeded checkpoint archive in bytes (default: a natural ~100 KiB). */
  checkpointBytes?: number;
  /** How many training runs to create (default 3). */
  runs?: number;
  /** Checkpoints per run, of both kinds (default 3). */
  checkpointsPerRun?: number;
}

/**
 * Options of `createHandler` and `serve`.
 *
 * @example
 * ```ts
 * import { serve } from "@tinkex/tinkex/server";
 * const server = await serve({
 *   dataDir: "./tinker-data", // kept across restarts
 *   apiKeys: ["tml-alice-key", "tml-bob-key"], // two users
 *   seed: true, // sample runs and checkpoints when the directory is empty
 *   futureDelayMs: 3000, // futures stay pending 3 s…
 *   longPollMs: 1000, // …so retrieve_future answers try_again after holding 1 s
 *   publicUrl: "https://tinker.example.com", // signed archive URLs start here (behind a proxy)
 * });
 * await server.close();
 * ```
 */
export interface ServerOptions {
  /** Persistent store; default: a fresh temp dir that `close()` removes. */
  dataDir?: string;
  /** Each `tml-…` key is one user; default `["tml-local-dev-key"]`. */
  apiKeys?: string[];
  /** Fill an EMPTY data dir with a few runs, sessions and checkpoints of both kinds. */
  seed?: boolean | SeedOptions;
  /** Lifetime of signed archive URLs in seconds (default 900). */
  signedUrlTtlSeconds?: number;
  /** How long futures stay pending, in ms (default 50). */
  futureDelayMs?: number;
  /** How long `retrieve_future` holds a poll before answering try_again, in ms (default 2000). */
  longPollMs?: number;
  /** If > 0, the archive endpoint answers 503 (+ Retry-After) until this long after first asked. */
  archiveBuildDelayMs?: number;
  /** How long a finished future stays retrievable before it answers 410, in ms (default 10 min). */
  futureTtlMs?: number;
  /**
   * The shortest checkpoint TTL accepted, in seconds (default 3600, as the service). Lower it only
   * to watch checkpoints expire in a test.
   */
  minTtlSeconds?: number;
  /**
   * The base models listed by `get_server_capabilities`. When given, `create_model` and
   * `create_sampling_session` accept only these; by default a lineup of the service's models is
   * listed and any name is accepted.
   */
  baseModels?: string[];
  /**
   * A file of accepted API keys, one per line (blank lines and `#` comments skipped), added to
   * `apiKeys`. Keeps keys out of the command line, where `ps` shows them.
   */
  apiKeyFile?: string;
  /**
   * The URL clients reach the server at, e.g. `https://tinker.example.com`: signed archive URLs
   * and `Location` start with it. `serve()` defaults it to the listen address; a bare handler
   * without it uses the origin of the request URL its host server gives it. Never taken from
   * the `Host` header under `serve()`.
   */
  publicUrl?: string;
  /** How long a request body may take to arrive before the answer is 408, in ms (default 30 s). */
  bodyTimeoutMs?: number;
  /**
   * JWT auth, as the service's `pjwt_auth_enabled`: `off` (default); `on` (client config says
   * so and `POST /api/v1/auth/token` mints JWTs; keys still work); `required` (only JWTs open
   * the API).
   */
  jwtAuth?: "off" | "on" | "required";
  /**
   * What client config says in `credential_default_source` (with `jwtAuth` on or required):
   * `api_key` (default) or `credential_cmd`, an organization requiring dynamic credentials, so
   * the SDK (and tinkex) exchange only the output of `TINKER_CREDENTIAL_CMD` (or a JWT key) —
   * even when `TINKER_API_KEY` is set. The exchange itself still takes any of `apiKeys`.
   */
  credentialDefaultSource?: "api_key" | "credential_cmd";
  /** Lifetime of minted JWTs in seconds (default 3600). */
  jwtTtlSeconds?: number;
  /** Keys whose users hold the admin role (audit log, the organization's usage); default the first key. */
  adminKeys?: string[];
  /** Storage rate behind the cost estimates, in USD per GiB-month (default 3, a stand-in). */
  storageUsdPerGigabyteMonth?: number;
  /** How long a session's trace export stays `pending` after it is first asked for, in ms (default 1000). */
  traceExportDelayMs?: number;
  /** Origins whose browser pages may call the server (CORS), e.g. `http://localhost:5173`, or `*`; default none. */
  corsOrigins?: string[];
}

/** The base models listed when `baseModels` is not given. */
export const DEFAULT_BASE_MODELS: readonly string[] = [
  "Qwen/Qwen3-8B",
  "Qwen/Qwen3-30B-A3B",
  "Qwen/Qwen3-32B",
  "meta-llama/Llama-3.2-1B",
  "meta-llama/Llama-3.1-8B",
  "meta-llama/Llama-3.1-70B",
];

/**
 * The default API key of a local server started without keys.
 *
 * @example
 * ```ts
 * import { DEFAULT_API_KEY } from "@tinkex/tinkex/server";
 * console.log(DEFAULT_API_KEY); // "tml-local-dev-key"
 * ```
 */
export const DEFAULT_API_KEY = "tml-local-dev-key";

/** Options with every default filled in. */
export interface ResolvedServerOptions {
  dataDir?: string;
  apiKeys: string[];
  seed: SeedOptions | false;
  signedUrlTtlSeconds: number;
  futureDelayMs: number;
  longPollMs: number;
  archiveBuildDelayMs: number;
  futureTtlMs: number;
  jwtAuth: "off" | "on" | "required";
  credentialDefaultSource: "api_key" | "credential_cmd";
  jwtTtlSeconds: number;
  adminKeys: string[];
  storageUsdPerGigabyteMonth: number;
  traceExportDelayMs: number;
  minTtlSeconds: number;
  /** The listed base models, and whether only these are accepted. */
  baseModels: { names: readonly string[]; enforced: boolean };
  /** Origin (and optional base path) of signed URLs, without a trailing `/`, if configured. */
  publicUrl?: string;
  bodyTimeoutMs: number;
  corsOrigins: string[];
}

/** Fill defaults and reject unusable options (keys must pass `isValidApiKey`, numbers be ≥ 0). */
export async function resolveOptions(options: ServerOptions = {}): Promise<ResolvedServerOptions> {
  const given = [
    ...(options.apiKeys ?? []),
    ...(options.apiKeyFile === undefined ? [] : await readKeyFile(options.apiKeyFile)),
  ];
  const apiKeys = given.length ? [...new Set(given)] : [DEFAULT_API_KEY];
  for (const key of apiKeys) {
    // The clients' own check, so the server never accepts a key every client refuses to send.
    if (!isValidApiKey(key)) {
      throw new TypeError(
        'Cannot start the server: every API key must look like a Tinker key ("tml-…", no spaces)',
      );
    }
  }
  const seed = options.seed === true ? {} : options.seed ? options.seed : false;
  return {
    dataDir: options.dataDir,
    apiKeys,
    seed,
    signedUrlTtlSeconds: nonNegative("signedUrlTtlSeconds", options.signedUrlTtlSeconds, 900),
    futureDelayMs: nonNegative("futureDelayMs", options.futureDelayMs, 50),
    longPollMs: nonNegative("longPollMs", options.longPollMs, 2000),
    archiveBuildDelayMs: nonNegative("archiveBuildDelayMs", options.archiveBuildDelayMs, 0),
    futureTtlMs: nonNegative("futureTtlMs", options.futureTtlMs, 10 * 60_000),
    minTtlSeconds: Math.max(1, nonNegative("minTtlSeconds", options.minTtlSeconds, 3600)),
    baseModels: options.baseModels?.length
      ? { names: [...new Set(options.baseModels)], enforced: true }
      : { names: DEFAULT_BASE_MODELS, enforced: false },
    publicUrl: options.publicUrl === undefined ? undefined : publicBase(options.publicUrl),
    bodyTimeoutMs: nonNegative("bodyTimeoutMs", options.bodyTimeoutMs, 30_000),
    corsOrigins: checkCorsOrigins(options.corsOrigins ?? []),
    ...accountOptions(options, apiKeys),
  };
}

function accountOptions(
  options: ServerOptions,
  apiKeys: string[],
): Pick<
  ResolvedServerOptions,
  | "jwtAuth"
  | "credentialDefaultSource"
  | "jwtTtlSeconds"
  | "adminKeys"
  | "storageUsdPerGigabyteMonth"
  | "traceExportDelayMs"
> {
  const jwtAuth = options.jwtAuth ?? "off";
  if (!["off", "on", "required"].includes(jwtAuth)) {
    throw new TypeError(
      `Cannot start the server: jwtAuth must be off, on or required, got ${jwtAuth}`,
    );
  }
  const credentialDefaultSource = options.credentialDefaultSource ?? "api_key";
  if (!["api_key", "credential_cmd"].includes(credentialDefaultSource)) {
    throw new TypeError(
      `Cannot start the server: credentialDefaultSource must be api_key or credential_cmd, got ${credentialDefaultSource}`,
    );
  }
  if (credentialDefaultSource === "credential_cmd" && jwtAuth === "off") {
    // Clients read it only with JWT auth on: announcing it alone would change nothing.
    throw new TypeError(
      "Cannot start the server: credentialDefaultSource credential_cmd needs jwtAuth on or required",
    );
  }
  const jwtTtlSeconds = nonNegative("jwtTtlSeconds", options.jwtTtlSeconds, 3600);
  if (jwtTtlSeconds < 1) throw new TypeError("Cannot start the server: jwtTtlSeconds must be ≥ 1");
  return {
    jwtAuth,
    credentialDefaultSource,
    jwtTtlSeconds,
    adminKeys: options.adminKeys ?? apiKeys.slice(0, 1),
    storageUsdPerGigabyteMonth: nonNegative(
      "storageUsdPerGigabyteMonth",
      options.storageUsdPerGigabyteMonth,
      3,
    ),
    traceExportDelayMs: nonNegative("traceExportDelayMs", options.traceExportDelayMs, 1000),
  };
}

/** The keys of an API key file: one per line, blank lines and `#` comments skipped. */
async function readKeyFile(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new TypeError(
      `Cannot start the server: cannot read the API key file ${file} (${
        (e as { code?: string }).code ?? (e as Error).message
      })`,
    );
  }
  const keys = text.split(/\r?\n/).map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  if (keys.length === 0) {
    throw new TypeError(`Cannot start the server: the API key file ${file} holds no key`);
  }
  return keys;
}

/** A public URL as a base to append paths to: http(s), no query or fragment, no trailing `/`. */
function publicBase(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`Cannot start the server: publicUrl ${JSON.stringify(raw)} is not a URL`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
    throw new TypeError(
      `Cannot start the server: publicUrl must be an http(s) URL without query or fragment, got ${
        JSON.stringify(raw)
      }`,
    );
  }
  return (url.origin + url.pathname).replace(/\/+$/, "");
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`Cannot start the server: ${name} must be a number ≥ 0, got ${value}`);
  }
  return value;
}
