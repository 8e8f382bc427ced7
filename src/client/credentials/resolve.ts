/**
 * Credential resolution in the official SDK's order (`lib/_auth_token_provider.py`): an explicit
 * key, then `TINKER_API_KEY`, then `TINKER_CREDENTIAL_CMD`, then the default key stored by
 * `tinker auth login` in `~/.tinker/credentials.json`; and the SDK's stricter rule for servers
 * whose client config says `credential_default_source: "credential_cmd"`.
 * @module
 */
import { ConfigError } from "../errors.ts";
import { readEnv } from "../runtime.ts";
import { isValidApiKey } from "../../protocol/api_key.ts";
import { credentialsFilePath, storedDefault, type StoredKeyInfo } from "./credentials_file.ts";

/** Where a credential came from. */
export type CredentialSource =
  | "argument"
  | "TINKER_API_KEY"
  | "TINKER_CREDENTIAL_CMD"
  | "credentials_file";

/** A credential and where it came from. The key is not enumerable: it is never printed. */
export interface ResolvedCredential {
  /** The credential (an API key, or what the credential command printed). */
  readonly apiKey: string;
  /** Where it came from. */
  readonly source: CredentialSource;
  /** The credentials file read (source `credentials_file`). */
  readonly path?: string;
  /** The stored key's id, name and type (source `credentials_file`). */
  readonly stored?: StoredKeyInfo;
  /** The command run (source `TINKER_CREDENTIAL_CMD`). */
  readonly command?: string;
}

/** Options of {@link resolveCredential}. */
export interface ResolveCredentialOptions {
  /** An explicit key (the `apiKey` argument): wins over everything. */
  apiKey?: string;
  /** Where variables are read: a lookup function (default: the process environment). */
  env?: (name: string) => string | undefined;
  /** Hears warnings, e.g. a credentials file others can read. */
  onWarning?: (message: string) => void;
  /**
   * The server's `credential_default_source` (`POST /api/v1/client/config`). `credential_cmd`
   * (an organization requiring dynamic credentials) applies the SDK's rule for the credential
   * exchanged for a JWT: a JWT key (`eyJ…`, explicit or `TINKER_API_KEY`) is used as is, else
   * `TINKER_CREDENTIAL_CMD` must give it — a `tml-` key does not count. Default `api_key`.
   */
  credentialDefaultSource?: CredentialDefaultSource;
}

/**
 * Where the server wants the credential it exchanges for JWTs to come from: `api_key` (the
 * usual order) or `credential_cmd` (only `TINKER_CREDENTIAL_CMD`, or a key that is a JWT).
 */
export type CredentialDefaultSource = "api_key" | "credential_cmd";

/** The SDK's words when the server requires the credential command and none is set. */
export const DYNAMIC_CREDENTIAL_REQUIRED_MESSAGE =
  "Your organization requires dynamic credentials — set TINKER_CREDENTIAL_CMD to a command " +
  "that prints a valid credential.";

/** The message of "no credential anywhere", naming every source. */
export const NO_CREDENTIAL_MESSAGE =
  "Cannot call Tinker: no API key. Set TINKER_API_KEY (or pass { apiKey: 'tml-…' }), set " +
  "TINKER_CREDENTIAL_CMD to a command that prints one, or store one with 'tinker auth login'";

/** Where the next credential comes from, decided without I/O. */
export type CredentialPlan =
  | { source: "argument" | "TINKER_API_KEY"; apiKey: string }
  | { source: "TINKER_CREDENTIAL_CMD"; command: string }
  | { source: "credentials_file"; path: string; jwtOnly?: true }
  | { source: "none" };

/**
 * The SDK's order, decided from the variables alone. A malformed explicit key falls back to the
 * credential command when one is set, else it is an error (the stored default is not consulted).
 * With `enforceCmd` (the server's `credential_default_source: "credential_cmd"`), the SDK's
 * `resolve_auth_provider(api_key, enforce_cmd=True)` instead.
 */
export function planCredential(
  apiKey: string | undefined,
  env: (name: string) => string | undefined,
  enforceCmd = false,
): CredentialPlan {
  const command = env("TINKER_CREDENTIAL_CMD") || undefined;
  const fromArg = apiKey !== undefined && apiKey !== "";
  const key = fromArg ? apiKey : env("TINKER_API_KEY") || undefined;
  if (enforceCmd) return planDynamic(key, fromArg, command, env);
  if (key !== undefined) {
    if (isValidApiKey(key)) return { source: fromArg ? "argument" : "TINKER_API_KEY", apiKey: key };
    if (command) return { source: "TINKER_CREDENTIAL_CMD", command };
    throw new ConfigError(
      "Cannot call Tinker: the API key is malformed (Tinker keys start with 'tml-'); nothing was sent",
    );
  }
  if (command) return { source: "TINKER_CREDENTIAL_CMD", command };
  const path = credentialsFilePath(env);
  return path ? { source: "credentials_file", path } : { source: "none" };
}

/**
 * A key that is a JWT is already a dynamic credential and wins; otherwise the command must be
 * set, whatever key there is. The stored default stands in for a missing key only when no
 * command is set (as the SDK's client holder fills it in), and only if it is a JWT too.
 */
function planDynamic(
  key: string | undefined,
  fromArg: boolean,
  command: string | undefined,
  env: (name: string) => string | undefined,
): CredentialPlan {
  if (key?.startsWith("eyJ") && isValidApiKey(key)) {
    return { source: fromArg ? "argument" : "TINKER_API_KEY", apiKey: key };
  }
  if (command) return { source: "TINKER_CREDENTIAL_CMD", command };
  const path = key === undefined ? credentialsFilePath(env) : undefined;
  if (path) return { source: "credentials_file", path, jwtOnly: true };
  throw new ConfigError(DYNAMIC_CREDENTIAL_REQUIRED_MESSAGE);
}

/**
 * Find the credential to use, in the official SDK's order: `apiKey`, `TINKER_API_KEY`,
 * `TINKER_CREDENTIAL_CMD` (run through the shell; its trimmed stdout), then the default key in
 * `~/.tinker/credentials.json` (read only). Runs the command and reads the file only when needed.
 * With `credentialDefaultSource: "credential_cmd"`, the SDK's rule for servers that require
 * dynamic credentials (see {@link ResolveCredentialOptions}).
 *
 * @example
 * ```ts
 * import { resolveCredential } from "@tinkex/tinkex";
 * const credential = await resolveCredential({ env: (n) => ({ TINKER_API_KEY: "tml-demo" })[n] });
 * console.log(credential.source); // "TINKER_API_KEY"
 * // A server requiring dynamic credentials: the command's credential, not TINKER_API_KEY's.
 * const vars: Record<string, string> = { TINKER_API_KEY: "tml-demo", TINKER_CREDENTIAL_CMD: "echo tml-x" };
 * const dynamic = await resolveCredential({
 *   env: (n) => vars[n],
 *   credentialDefaultSource: "credential_cmd",
 * });
 * console.log(dynamic.source); // "TINKER_CREDENTIAL_CMD"
 * ```
 * @throws {ConfigError} when there is no credential, the key is malformed, the command fails
 *   (its output is never shown) or the file cannot be parsed; with `credential_cmd`, when
 *   `TINKER_CREDENTIAL_CMD` is not set and no key is a JWT (the SDK's message).
 */
export async function resolveCredential(
  options: ResolveCredentialOptions = {},
): Promise<ResolvedCredential> {
  const env = options.env ?? readEnv;
  const plan = planCredential(
    options.apiKey,
    env,
    options.credentialDefaultSource === "credential_cmd",
  );
  switch (plan.source) {
    case "argument":
    case "TINKER_API_KEY":
      return credential(plan.apiKey, { source: plan.source });
    case "TINKER_CREDENTIAL_CMD": {
      const { runCredentialCommand } = await import("./local_io.ts");
      const key = await runCredentialCommand(plan.command);
      return credential(key, { source: plan.source, command: plan.command });
    }
    case "credentials_file": {
      const found = await readStoredDefault(plan.path, options.onWarning);
      if (plan.jwtOnly && !found?.key.startsWith("eyJ")) {
        throw new ConfigError(DYNAMIC_CREDENTIAL_REQUIRED_MESSAGE);
      }
      if (!found) throw new ConfigError(NO_CREDENTIAL_MESSAGE);
      const { key, ...stored } = found;
      return credential(key, { source: plan.source, path: plan.path, stored });
    }
    case "none":
      throw new ConfigError(NO_CREDENTIAL_MESSAGE);
  }
}

/** The stored default key of the file at `path`, checked like any key; undefined if none. */
export async function readStoredDefault(
  path: string,
  onWarning?: (message: string) => void,
): Promise<ReturnType<typeof storedDefault>> {
  const { readCredentialsFile } = await import("./local_io.ts");
  const file = await readCredentialsFile(path);
  if (!file) return undefined;
  if (file.looseMode) {
    // The SDK neither refuses nor warns; tinkex reads the same files but says so.
    onWarning?.(
      `${path} can be read by other users (${file.looseMode}); run: chmod 700 ${
        path.replace(/[\\/][^\\/]*$/, "")
      } && chmod 600 ${path}`,
    );
  }
  const found = storedDefault(file.text, path);
  if (found && !isValidApiKey(found.key)) {
    throw new ConfigError(
      `Cannot use the default key in ${path}: it is malformed (Tinker keys start with 'tml-')`,
    );
  }
  return found;
}

function credential(
  apiKey: string,
  rest: Omit<ResolvedCredential, "apiKey">,
): ResolvedCredential {
  const out = { ...rest } as ResolvedCredential;
  Object.defineProperty(out, "apiKey", { value: apiKey, enumerable: false });
  return Object.freeze(out);
}
