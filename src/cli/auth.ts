/**
 * `tinkex auth status`: which credential is in use and where it came from (the key redacted),
 * under the server's rule (`credential_default_source: "credential_cmd"` takes the command's
 * credential), whether the server takes it (and with JWT auth, who it says you are), and what
 * `GET /api/v1/auth/apikey/me` says about the key.
 * @module
 */
import {
  type ApiKeyInfo,
  ApiStatusError,
  type ClientConfigResponse,
  ConfigError,
  configFromEnv,
  ConnectionError,
  type CredentialSource,
  getApiKeyInfo,
  getClientConfig,
  JwtUnavailableError,
  listSessions,
  NotFoundError,
  resolveCredential,
  type ResolvedConfig,
  type ResolvedCredential,
  TimeoutError,
  whoami,
  type WhoamiResponse,
} from "../../mod.ts";
import { CliError } from "./errors.ts";
import { describeFailure } from "./failure.ts";
import {
  configFailure,
  dynamicCredentialOf,
  isJson,
  printJson,
  printPairs,
  warn,
} from "./output.ts";
import type { CommandContext, GroupModule } from "./spec.ts";
import { rememberSecret } from "./secrets.ts";

/** A key shown without giving it away: its first and last four characters at most. */
export function redactKey(key: string): string {
  return key.length >= 16 ? `${key.slice(0, 4)}…${key.slice(-4)}` : `${key.slice(0, 4)}…`;
}

const SOURCE_TEXT: Record<CredentialSource, string> = {
  argument: "--api-key",
  TINKER_API_KEY: "TINKER_API_KEY",
  TINKER_CREDENTIAL_CMD: "TINKER_CREDENTIAL_CMD (its output)",
  credentials_file: "the credentials file of 'tinker auth login'",
};

async function status(ctx: CommandContext): Promise<number> {
  // Config errors are worded for the flag or variable at fault, as in every other command.
  const inCliWords = (e: unknown) => e instanceof ConfigError ? configFailure(ctx, e) : e;
  const credential = await resolveCredential({
    apiKey: ctx.globals.apiKey,
    env: ctx.io.env,
    onWarning: (message) => warn(ctx, message),
  }).catch((e) => {
    throw inCliWords(e);
  });
  rememberSecret(credential.apiKey);
  // Asked for only when the server requires dynamic credentials, by the first JWT exchange.
  let dynamic: ResolvedCredential | undefined;
  let config: ResolvedConfig;
  try {
    // The credential is already in hand: the config uses it as is (no second command run).
    config = configFromEnv({
      baseUrl: ctx.globals.baseUrl,
      auth: "auto",
      getApiKey: () => Promise.resolve(credential.apiKey),
      getDynamicCredential: async () => (dynamic ??= await dynamicCredentialOf(ctx)).apiKey,
    }, { env: ctx.io.env });
  } catch (e) {
    throw inCliWords(e);
  }
  let failure: unknown;
  let flags: ClientConfigResponse | null = null;
  let identity: WhoamiResponse | null = null;
  let keyInfo: ApiKeyInfo | null = null;
  let auth: "jwt" | "api-key" = "api-key";
  try {
    flags = await getClientConfig(config);
    identity = await whoami(config).catch((e) => {
      if (e instanceof JwtUnavailableError) return null;
      throw e;
    });
    if (identity) auth = "jwt";
    keyInfo = await describeKey(ctx, config, dynamic);
    if (!keyInfo) await listSessions(config, { limit: 1 }); // still prove the key works
  } catch (e) {
    failure = e;
  }
  const accessible = failure === undefined;
  // The server's rule picks the credential sent; the one found first then goes unused.
  const used = dynamic ?? credential;
  const unused = dynamic && dynamic.source !== credential.source ? credential : undefined;
  const required = flags?.pjwt_auth_enabled && flags.credential_default_source === "credential_cmd";
  if (isJson(ctx)) {
    printJson(ctx, {
      credential: credentialJson(used),
      credential_default_source: flags?.pjwt_auth_enabled ? flags.credential_default_source : null,
      unused_credential: unused ? credentialJson(unused) : null,
      base_url: config.baseUrl,
      auth: accessible ? auth : null,
      accessible,
      api_key: keyInfo,
      whoami: identity,
      error: accessible ? null : describeFailure(failure).message,
    });
  } else {
    const rule =
      "the server requires dynamic credentials (credential_default_source: credential_cmd)";
    printPairs(ctx, [
      ["Credential", redactKey(used.apiKey)],
      ["Source", `${SOURCE_TEXT[used.source]}${dynamic ? `, as ${rule}` : ""}`],
      ...storedPairs(used),
      ...rowIf(unused, (u) => ["Not used", `${SOURCE_TEXT[u.source]} (${redactKey(u.apiKey)})`]),
      ...rowIf(required && !dynamic, () => ["Required", rule]),
      ["Base URL", config.baseUrl],
      ["Accessible", accessible ? "yes" : "no"],
      ...rowIf(
        accessible,
        () => ["Auth", auth === "jwt" ? "JWT (exchanged for the credential)" : "API key"],
      ),
      ...rowIf(identity, (i) => ["User", `${i.user_urn}${i.email ? ` (${i.email})` : ""}`]),
      ...keyPairs(keyInfo, accessible, dynamic !== undefined),
    ]);
  }
  if (!accessible) {
    if (failure instanceof CliError || failure instanceof ConfigError) {
      // No credential the server would take (e.g. it requires TINKER_CREDENTIAL_CMD): nothing sent.
      throw failure instanceof ConfigError ? inCliWords(failure) : failure;
    }
    const { message, hint } = describeFailure(failure);
    const unreached = failure instanceof ConnectionError || failure instanceof TimeoutError;
    throw new CliError(
      unreached
        ? `Cannot check the credential: ${message}`
        : `The credential does not work with ${config.baseUrl}: ${message}`,
      hint,
    );
  }
  return 0;
}

/**
 * What `GET /api/v1/auth/apikey/me` says of the credential sent: the dynamic one when the server
 * requires it (which need not be an API key, so a refusal means "not described"), else the key.
 */
async function describeKey(
  ctx: CommandContext,
  config: ResolvedConfig,
  dynamic: ResolvedCredential | undefined,
): Promise<ApiKeyInfo | null> {
  const keyConfig = dynamic
    ? configFromEnv({
      baseUrl: config.baseUrl,
      auth: "api-key",
      getApiKey: () => Promise.resolve(dynamic.apiKey),
    }, { env: ctx.io.env })
    : config;
  return await getApiKeyInfo(keyConfig).catch((e) => {
    if (e instanceof NotFoundError) return null; // a server without the route
    if (dynamic && e instanceof ApiStatusError && e.status < 500) return null;
    throw e;
  });
}

/** One labelled row when `value` is set (truthy), none otherwise. */
function rowIf<T>(
  value: T | null | undefined | false,
  row: (value: T) => [string, string],
): [string, string][] {
  return value ? [row(value)] : [];
}

function credentialJson(c: ResolvedCredential): Record<string, unknown> {
  return {
    source: c.source,
    redacted: redactKey(c.apiKey),
    ...(c.path ? { path: c.path } : {}),
    ...(c.stored
      ? { key_id: c.stored.keyId, name: c.stored.name ?? null, type: c.stored.type }
      : {}),
  };
}

function storedPairs(c: ResolvedCredential): [string, string][] {
  if (!c.path || !c.stored) return [];
  const name = c.stored.name ? ` "${c.stored.name}"` : "";
  return [["File", c.path], ["Stored key", `${c.stored.keyId}${name} (${c.stored.type})`]];
}

function keyPairs(
  info: ApiKeyInfo | null,
  accessible: boolean,
  dynamic: boolean,
): [string, string][] {
  if (!accessible) return [];
  if (!info && dynamic) return [["Key", "not an API key the server describes"]];
  if (!info) return [["Key", "this server does not describe keys (no /api/v1/auth/apikey/me)"]];
  return [
    ["Key", `${info.name} (id ${info.key_id})`],
    ["Organization", info.details.org_details.name],
    ["Email", info.details.user_details.email],
  ];
}

/** Handlers of `tinkex auth`. */
export const handlers: GroupModule["handlers"] = { status };
