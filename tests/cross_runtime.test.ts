// Runs where it claims: the complete workflow under Node 20 and Bun against the module as JSR
// ships it (transpiled JavaScript), and an edge-style check that mod.ts needs no file system.
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../server.ts";
import { buildNodeDist, transpile } from "./_node_dist.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

// With "self", the runtime also hosts the local server (node:http under Node, Bun.serve under Bun).
const RUNNER = `
import { completeWorkflow } from "./complete_workflow.js";
import { configFromEnv } from "@tinkex/tinkex";
import { serve } from "@tinkex/tinkex/server";
const server = process.argv[3] === "self" ? await serve({ seed: true }) : undefined;
// Against the Deno-hosted server, the config comes from TINKER_API_KEY / TINKER_BASE_URL.
const config = server ? { apiKey: server.apiKeys[0], baseUrl: server.baseUrl } : configFromEnv();
const summary = await completeWorkflow(config, process.argv[2], () => {});
await server?.close();
console.log(JSON.stringify(summary));
`;

async function run(cmd: string, args: string[], env: Record<string, string>, cwd: string) {
  const out = await new Deno.Command(cmd, { args, env, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("the complete workflow runs under Node and Bun on the transpiled package, against a Deno-hosted and a self-hosted server", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tinkex-node-" });
  const server = await serve({ seed: true });
  try {
    await buildNodeDist(dir);
    const example = await Deno.readTextFile(join(ROOT, "examples/complete_workflow.ts"));
    await Deno.writeTextFile(join(dir, "complete_workflow.js"), transpile(example));
    await Deno.writeTextFile(join(dir, "runner.mjs"), RUNNER);
    const env = { TINKER_API_KEY: server.apiKeys[0], TINKER_BASE_URL: server.baseUrl };
    const runtimes: [string, string[]][] = [
      ["node", ["runner.mjs"]],
      ["npx", ["-y", "bun@1", "runner.mjs"]],
    ];
    for (
      const [[cmd, args], host] of runtimes.flatMap((r) => [[r, "deno"], [r, "self"]] as const)
    ) {
      const out = join(dir, `out-${cmd}-${host}`);
      const r = await run(cmd, [...args, out, host], env, dir);
      assert.equal(r.code, 0, `${cmd} (server: ${host}) failed: ${r.stderr}`);
      const summary = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
      assert.ok(summary.runs > 0);
      assert.ok(summary.progressCalls >= 2, "progress was reported");
      const names = summary.files.map((f: { path: string }) => f.path).sort();
      assert.ok(names.includes("adapter_config.json"), `${cmd}: ${names}`);
      assert.ok(names.includes("adapter_model.safetensors"));
      assert.ok(names.includes("checkpoint_complete"));
      for (const f of summary.files) {
        assert.equal((await stat(join(summary.destination, f.path))).size, f.size);
      }
      assert.ok(summary.destination.startsWith(out));
    }
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mod.ts's static import graph has no node: module and no npm package but modern-tar", async () => {
  const r = await run(Deno.execPath(), ["info", "--json", "mod.ts"], {}, ROOT);
  const info = JSON.parse(r.stdout);
  const staticSpecifiers: string[] = [];
  for (const m of info.modules) {
    for (const d of m.dependencies ?? []) {
      if (!d.isDynamic) staticSpecifiers.push(d.specifier);
    }
  }
  assert.ok(staticSpecifiers.length > 10);
  assert.deepEqual(staticSpecifiers.filter((s) => s.startsWith("node:")), []);
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
