/**
 * The credentials file the official CLI writes (`tinker auth login`): where it lives and how its
 * default key is chosen. Pure: reading the file is done by `local_io.ts`.
 * @module
 */
import { ConfigError } from "../errors.ts";

/** What the file holds about the key in use (never the key itself). */
export interface StoredKeyInfo {
  /** The id the key is stored under (the file's `default`). */
  keyId: string;
  /** Its name, as stored. */
  name?: string;
  /** `manual` (pasted in) or `generated` (minted by an older CLI). */
  type: string;
}

/** The stored default key, or undefined when none is set (or it points at no stored key). */
export interface StoredDefault extends StoredKeyInfo {
  /** The key. */
  key: string;
}

/**
 * Where the official SDK looks: `~/.tinker/credentials.json`, `~` being `HOME` (or, where that is
 * unset, `USERPROFILE`, as Python's `expanduser` on Windows). Undefined where there is no home.
 */
export function credentialsFilePath(env: (name: string) => string | undefined): string | undefined {
  const home = env("HOME") || env("USERPROFILE");
  if (!home) return undefined;
  const sep = home.includes("\\") && !home.includes("/") ? "\\" : "/";
  return `${home.replace(/[\\/]+$/, "")}${sep}.tinker${sep}credentials.json`;
}

/**
 * The default key of a credentials file's text, as the SDK's `JsonCredentialStore` picks it:
 * `keys[default]`; no default, or a default naming no stored key, is no key. A file the SDK
 * would refuse to parse is a {@link ConfigError} that names the file but never shows its content.
 */
export function storedDefault(text: string, path: string): StoredDefault | undefined {
  const bad = (why: string) =>
    new ConfigError(
      `Cannot read the credentials file ${path}: ${why}. Fix it, or remove it and run 'tinker auth login' again`,
    );
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw bad("it is not valid JSON");
  }
  if (!isObject(doc)) throw bad("expected a JSON object");
  if (doc.version !== undefined && doc.version !== 1) throw bad("unknown version (expected 1)");
  const keys = doc.keys ?? {};
  if (!isObject(keys)) throw bad('"keys" must be an object');
  const id = doc.default ?? null;
  if (id !== null && typeof id !== "string") throw bad('"default" must be a string or null');
  if (id === null || !Object.hasOwn(keys, id)) return undefined;
  const record = keys[id];
  if (!isObject(record)) throw bad(`the key record "${id}" must be an object`);
  const type = record.type ?? "manual";
  if (type !== "manual" && type !== "generated") throw bad(`the key "${id}" has an unknown type`);
  if (typeof record.key !== "string" || record.key === "") {
    throw bad(`the key record "${id}" has no key`);
  }
  return {
    key: record.key,
    keyId: id,
    name: typeof record.name === "string" ? record.name : undefined,
    type,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
