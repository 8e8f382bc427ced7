// mod.ts needs no file system: its static graph has no node: module, and an edge function runs
// under Deno with no file permission. Node, Bun, browsers and workerd: tests/runtime_*.test.ts.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { serve } from "../server.ts";
import { download, TinkerError } from "../mod.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

async function run(cmd: string, args: string[], env: Record<string, string>, cwd: string) {
  const out = await new Deno.Command(cmd, { args, env, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("mod.ts's import graph, static and dynamic, has no node: module and no npm package but modern-tar", async () => {
  const r = await run(Deno.execPath(), ["info", "--json", "mod.ts"], {}, ROOT);
  const info = JSON.parse(r.stdout);
  const specifiers: string[] = [];
  for (const m of info.modules) {
    for (const d of m.dependencies ?? []) specifiers.push(d.specifier);
  }
  assert.ok(specifiers.length > 10);
  // Not even lazily: bundlers resolve dynamic imports too (download() uses getBuiltinModule).
  assert.deepEqual(specifiers.filter((s) => s.startsWith("node:")), []);
  const npm = info.modules.filter((m: { kind: string }) => m.kind === "npm")
    .map((m: { specifier: string }) => m.specifier);
  assert.ok(npm.every((s: string) => s.startsWith("npm:/modern-tar@")), String(npm));
});

Deno.test("an edge function streams a checkpoint's entries with no file system access", async () => {
  const server = await serve({ seed: true });
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    // No --allow-read/--allow-write: any file system access would throw.
    args: [
      "serve",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "examples/edge_function.ts",
    ],
    cwd: ROOT,
    env: { TINKER_API_KEY: server.apiKeys[0], TINKER_BASE_URL: server.baseUrl, PORT: String(port) },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const ckpts = await (await fetch(`${server.baseUrl}/api/v1/checkpoints`, {
      headers: { "X-API-Key": server.apiKeys[0] },
    })).json();
    const path: string = ckpts.checkpoints[0].tinker_path;
    const listing = await fetchWhenUp(`http://127.0.0.1:${port}/?path=${encodeURIComponent(path)}`);
    assert.equal(listing.status, 200);
    const entries = (await listing.text()).trim().split("\n").map((l) => JSON.parse(l));
    const names = entries.map((e) => e.path);
    assert.ok(names.includes("adapter_config.json"), String(names));
    const file = await fetch(
      `http://127.0.0.1:${port}/?path=${encodeURIComponent(path)}&file=adapter_config.json`,
    );
    assert.equal(file.status, 200);
    const adapter = await file.json();
    assert.equal(typeof adapter.r, "number");
    const bad = await fetch(`http://127.0.0.1:${port}/?path=${encodeURIComponent("tinker://x")}`);
    assert.equal(bad.status, 400, "a bad path is the caller's mistake, not a bad gateway");
    assert.match((await bad.json()).error, /tinker:\/\//);
  } finally {
    child.kill();
    await child.status;
    const stderr = await new Response(child.stderr).text();
    await server.close();
    assert.doesNotMatch(
      stderr,
      /warning|did you mean/i,
      `no warning about how it is run: ${stderr}`,
    );
  }
});

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function fetchWhenUp(url: string): Promise<Response> {
  for (let i = 0;; i++) {
    try {
      return await fetch(url);
    } catch (e) {
      if (i > 200) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

Deno.test("download() where the runtime has no file system: a clear TinkerError, before any request", async () => {
  // As in a browser, an edge runtime or Node < 20.16: no Deno namespace, no getBuiltinModule.
  const g = globalThis as unknown as { process: { getBuiltinModule?: unknown } };
  const savedDeno = Object.getOwnPropertyDescriptor(globalThis, "Deno")!;
  const savedBuiltin = g.process.getBuiltinModule;
  let requests = 0;
  const config = {
    apiKey: "tml-no-fs-key",
    baseUrl: "http://127.0.0.1:9",
    fetch: () => {
      requests++;
      return Promise.reject(new Error("no request expected"));
    },
  };
  g.process.getBuiltinModule = undefined;
  Object.defineProperty(globalThis, "Deno", { value: undefined, configurable: true });
  let outcome: unknown;
  try {
    outcome = await download(config, "tinker://run-1:train:0/weights/0001").catch((e) => e);
  } finally {
    Object.defineProperty(globalThis, "Deno", savedDeno);
    g.process.getBuiltinModule = savedBuiltin;
  }
  assert.ok(outcome instanceof TinkerError, String(outcome));
  assert.match(outcome.message, /^Cannot download to disk: .*openArchiveStream/);
  assert.equal(requests, 0);
});
