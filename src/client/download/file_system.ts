/**
 * Node built-ins (the file system for `download()`) reached through `process.getBuiltinModule`
 * (Node ≥ 20.16, Deno 2, Bun 1) rather than `import("node:…")`: bundlers for browsers and edge
 * runtimes (esbuild, Vite, Wrangler) then see no Node built-in to resolve or warn about, and the
 * module still loads where there is no file system.
 * @module
 */
import { TinkerError } from "../errors.ts";

interface ProcessGlobal {
  process?: { getBuiltinModule?: (id: string) => unknown };
}

/**
 * The runtime's built-in module `id` (e.g. `node:fs/promises`), typed by the caller with the
 * part of it that it uses. `cannot` words the error for callers other than `download()`.
 * @throws {TinkerError} where the runtime has none (browsers, edge runtimes, Node < 20.16).
 */
export function builtinModule<T>(id: string, cannot?: string): T {
  const mod = (globalThis as ProcessGlobal).process?.getBuiltinModule?.(id);
  if ((mod === undefined || mod === null) && cannot !== undefined) {
    throw new TinkerError(
      `${cannot}: this runtime has no ${id} (process.getBuiltinModule is missing; Deno 2, Bun 1 and Node 20.16+ have it)`,
      { category: "user" },
    );
  }
  if (mod === undefined || mod === null) {
    throw new TinkerError(
      `Cannot download to disk: this runtime has no ${id} (process.getBuiltinModule is ` +
        "missing; Deno 2, Bun 1 and Node 20.16+ have it). Use openArchiveStream() with " +
        "archiveEntries() to read the archive without a file system",
      { category: "user" },
    );
  }
  return mod as T;
}
