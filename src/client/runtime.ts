/**
 * Runtime detection without touching `node:` modules, so it loads on the edge too; Node
 * built-ins (the file system, child processes) are reached through `process.getBuiltinModule`
 * (Node ≥ 20.16, Deno 2, Bun 1) rather than `import("node:…")`, so bundlers for browsers and edge
 * runtimes (esbuild, Vite, Wrangler) see no Node built-in to resolve or warn about.
 * @module
 */
import { TinkerError } from "./errors.ts";

/** The part of Node's global `process` used here (Node, Bun, and Deno's Node layer have it). */
export interface NodeProcessGlobal {
  /** Runtime versions. */
  versions?: { node?: string };
  /** The environment. */
  env?: Record<string, string | undefined>;
  /** A built-in module by id (Node ≥ 20.16, Deno 2, Bun 1). */
  getBuiltinModule?: (id: string) => unknown;
}

interface RuntimeGlobals {
  Deno?: { version?: { deno?: string }; env?: { get(name: string): string | undefined } };
  Bun?: { version?: string; env?: Record<string, string | undefined> };
  process?: NodeProcessGlobal;
}

const g = globalThis as unknown as RuntimeGlobals;

/** Name and version of the JavaScript runtime, e.g. `Deno 2.1.0`. */
export function runtimeDescription(): string {
  if (g.Deno?.version?.deno) return `Deno ${g.Deno.version.deno}`;
  if (g.Bun?.version) return `Bun ${g.Bun.version}`;
  if (g.process?.versions?.node) return `Node ${g.process.versions.node}`;
  return "unknown runtime";
}

/** Read an environment variable under Deno, Bun or Node; undefined where there is no environment or no permission. */
export function readEnv(name: string): string | undefined {
  try {
    if (g.Deno?.env) return g.Deno.env.get(name);
    if (g.process?.env) return g.process.env[name];
  } catch {
    // Deno without --allow-env: behave as if unset.
  }
  return undefined;
}

const NO_FILE_SYSTEM = "Cannot download to disk";
const NO_FILE_SYSTEM_ADVICE =
  ". Use openArchiveStream() with archiveEntries() to read the archive without a file system";

/**
 * The runtime's built-in module `id` (e.g. `node:fs/promises`), typed by the caller with the
 * part of it that it uses. `cannot` words the error for callers other than `download()`;
 * `globals` are where to find `process` (default: the real ones).
 * @throws {TinkerError} where the runtime has none (browsers, edge runtimes, Node < 20.16).
 */
export function builtinModule<T>(
  id: string,
  cannot?: string,
  globals: { process?: NodeProcessGlobal } = g,
): T {
  const mod = globals.process?.getBuiltinModule?.(id);
  if (mod === undefined || mod === null) {
    throw new TinkerError(
      `${cannot ?? NO_FILE_SYSTEM}: this runtime has no ${id} (process.getBuiltinModule is ` +
        `missing; Deno 2, Bun 1 and Node 20.16+ have it)${cannot ? "" : NO_FILE_SYSTEM_ADVICE}`,
      { category: "user" },
    );
  }
  return mod as T;
}
