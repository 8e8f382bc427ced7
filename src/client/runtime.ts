/**
 * Runtime detection without touching `node:` modules, so it loads on the edge too.
 * @module
 */

interface RuntimeGlobals {
  Deno?: { version?: { deno?: string }; env?: { get(name: string): string | undefined } };
  Bun?: { version?: string; env?: Record<string, string | undefined> };
  process?: { versions?: { node?: string }; env?: Record<string, string | undefined> };
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
