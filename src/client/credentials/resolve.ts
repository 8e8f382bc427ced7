/**
 * Credential resolution in the official SDK's order (`lib/_auth_token_provider.py`): an explicit
 * key, then `TINKER_API_KEY`, then `TINKER_CREDENTIAL_CMD`, then the default key stored by
 * `tinker auth login` in `~/.tinker/credentials.json`.
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
}

/** The message of "no credential anywhere", naming every source. */
export const NO_CREDENTIAL_MESSAGE =
  "Cannot call Tinker: no API key. Set TINKER_API_KEY (or pass { apiKey: 'tml-…' }), set " +
  "TINKER_CREDENTIAL_CMD to a command that prints one, or store one with 'tinker auth login'";

/** Where the next credential comes from, decided without I/O. */
export type CredentialPlan =
  | { source: "argument" | "TINKER_API_KEY"; apiKey: string }
  | { source: "TINKER_CREDENTIAL_CMD"; command: string }
  | { source: "credentials_file"; path: string }
  | { source: "none" };

/**
 * The SDK's order, decided from the variables alone. A malformed explicit key falls back to the
 * credential command when one is set, else it is an error (the stored default is not consulted).
 */
export function planCredential(
  apiKey: string | undefined,
  env: (name: string) => string | undefined,
): CredentialPlan {
  const command = env("TINKER_CREDENTIAL_CMD") || undefined;
  const fromArg = apiKey !== undefined && apiKey !== "";
  const key = fromArg ? apiKey : env("TINKER_API_KEY") || undefined;
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
 * Find the credential to use, in the official SDK's order: `apiKey`, `TINKER_API_KEY`,
 * `TINKER_CREDENTIAL_CMD` (run through the shell; its trimmed stdout), then the default key in
 * `~/.tinker/credentials.json` (read only). Runs the command and reads the file only when needed.
 *
 * @example
 * ```ts
 * import { resolveCredential } from "@tinkex/tinkex";
 * const credential = await resolveCredential({ env: (n) => ({ TINKER_API_KEY: "tml-demo" })[n] });
 * console.log(credential.source); // "TINKER_API_KEY"
 * ```
 * @throws {ConfigError} when there is no credential, the key is malformed, the command fails
 *   (its output is never shown) or the file cannot be parsed.
 */
export async function resolveCredential(
  options: ResolveCredentialOptions = {},
): Promise<ResolvedCredential> {
  const env = options.env ?? readEnv;
  const plan = planCredential(options.apiKey, env);
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
