/**
 * The four layers and their directions (design.md): protocol imports nothing outside itself;
 * client only protocol; server never client nor cli; cli only the entry points; `mod.ts`'s
 * static graph has no `node:` module, so it loads where there is no file system.
 */
import assert from "node:assert/strict";

interface Dependency {
  specifier: string;
  isDynamic?: boolean;
  code?: { specifier: string };
  type?: { specifier: string };
}
interface ModuleInfo {
  specifier: string;
  dependencies?: Dependency[];
}
interface Edge {
  from: string;
  to: string;
  dynamic: boolean;
}

const ROOT = new URL("..", import.meta.url).href;

async function graphOf(entry: string): Promise<{ modules: string[]; edges: Edge[] }> {
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, ROOT).pathname],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(success, `deno info ${entry}`);
  const info = JSON.parse(new TextDecoder().decode(stdout)) as { modules: ModuleInfo[] };
  const edges = info.modules.flatMap((m) =>
    (m.dependencies ?? []).map((d) => ({
      from: local(m.specifier),
      to: local(d.code?.specifier ?? d.type?.specifier ?? d.specifier),
      dynamic: d.isDynamic === true,
    }))
  );
  return { modules: info.modules.map((m) => local(m.specifier)), edges };
}

function local(specifier: string): string {
  return specifier.startsWith(ROOT) ? specifier.slice(ROOT.length) : specifier;
}

function layerOf(path: string): string {
  const m = /^src\/(protocol|client|server|cli)\//.exec(path);
  if (m) return m[1];
  if (["mod.ts", "server.ts", "cli.ts"].includes(path)) return `entry:${path}`;
  if (path.startsWith("node:")) return "node";
  if (path.startsWith("npm:")) return "npm";
  return path;
}

/** What each layer may import (by layer of the target). */
const ALLOWED: Record<string, (target: string) => boolean> = {
  protocol: (t) => t === "protocol",
  client: (t) => t === "protocol" || t === "client" || t === "npm",
  server: (t) => t === "protocol" || t === "server" || t === "node" || t === "npm",
  cli: (t) => t === "cli" || t === "entry:mod.ts" || t === "entry:server.ts" || t === "node",
};

/** Files under src/ that are run directly rather than imported (`deno task docs:cli`). */
const RUN_DIRECTLY = ["src/cli/reference.ts"];

const all = await Promise.all(["mod.ts", "server.ts", "cli.ts", ...RUN_DIRECTLY].map(graphOf));

Deno.test("layering: each layer imports only the layers below it", () => {
  const violations = all.flatMap((g) => g.edges).filter((e) => {
    const allowed = ALLOWED[layerOf(e.from)];
    const lazyFs = layerOf(e.from) === "client" && layerOf(e.to) === "node" && e.dynamic;
    return allowed !== undefined && !allowed(layerOf(e.to)) && !lazyFs;
  }).map((e) => `${e.from} → ${e.to}`);
  assert.deepEqual([...new Set(violations)], []);
});

Deno.test("layering: the client reaches node: modules only lazily (dynamic imports)", () => {
  const staticNode = all.flatMap((g) => g.edges)
    .filter((e) => layerOf(e.from) === "client" && layerOf(e.to) === "node" && !e.dynamic)
    .map((e) => `${e.from} → ${e.to}`);
  assert.deepEqual([...new Set(staticNode)], []);
});

Deno.test("layering: mod.ts loads without a file system: no static node: import, download included", () => {
  const [mod] = all;
  const reachable = staticClosure(mod.edges, "mod.ts");
  assert.deepEqual([...reachable].filter((m) => m.startsWith("node:")), []);
  assert.ok(reachable.has("src/client/download/download.ts"), "download() is part of mod.ts");
  assert.deepEqual(
    [...reachable].filter((m) => /^src\/(server|cli)\//.test(m)),
    [],
    "the module does not carry the server or the CLI",
  );
});

function staticClosure(edges: readonly Edge[], root: string): Set<string> {
  const seen = new Set([root]);
  const queue = [root];
  while (queue.length > 0) {
    const from = queue.pop()!;
    for (const e of edges) {
      if (e.from === from && !e.dynamic && !seen.has(e.to)) {
        seen.add(e.to);
        queue.push(e.to);
      }
    }
  }
  return seen;
}

Deno.test("layering: every file under src/ is in a layer and reached from an entry point", async () => {
  // A file no entry point imports would escape the direction rules above (and is dead code);
  // one run directly is listed in RUN_DIRECTLY, so its imports are checked too.
  const reached = new Set(all.flatMap((g) => g.modules));
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(new URL(dir, ROOT))) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (/\.(ts|js|mjs)$/.test(e.name)) files.push(path);
    }
  };
  await walk("src");
  assert.ok(files.length > 100, "src/ was walked");
  assert.deepEqual(files.filter((f) => !ALLOWED[layerOf(f)]), [], "outside the four layers");
  assert.deepEqual(files.filter((f) => !reached.has(f)).sort(), [], "reached by no entry point");
});
