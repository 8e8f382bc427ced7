// Cloudflare Workers, for real: examples/cloudflare_worker.ts bundled by esbuild and run in
// workerd (npm `workerd`, Cloudflare's runtime) with its config in `env` bindings, against
// `tinkex serve`: it lists a checkpoint's members and streams one. The worker may reach only
// loopback. Tools: tests/runtimes/install.sh.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, run, startServeProcess, tool } from "./runtimes/tools.ts";

/** A workerd config: the bundled worker on `port`, its bindings, outbound to loopback only. */
function workerdConfig(port: number, bindings: Record<string, string>): string {
  const texts = Object.entries(bindings)
    .map(([name, value]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)})`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2025-09-01",
  bindings = [${texts.join(", ")}],
  globalOutbound = "loopback",
);
`;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function fetchWhenUp(url: string, child: Deno.ChildProcess): Promise<Response> {
  let exited = false;
  child.status.then(() => exited = true);
  for (let i = 0;; i++) {
    try {
      return await fetch(url);
    } catch (e) {
      if (exited || i > 300) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

Deno.test("workerd: the Cloudflare worker example lists and streams a checkpoint's members from tinkex serve", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tinkex-workerd-" });
  const api = await startServeProcess();
  let child: Deno.ChildProcess | undefined;
  try {
    const bundled = await run(tool("esbuild"), [
      join(ROOT, "examples/cloudflare_worker.ts"),
      "--bundle",
      "--format=esm",
      "--platform=neutral",
      "--conditions=workerd,worker,browser",
      "--main-fields=module,main",
      "--log-level=warning",
      `--alias:@tinkex/tinkex=${join(ROOT, "mod.ts")}`,
      `--outfile=${join(dir, "worker.js")}`,
    ], { env: { NODE_PATH: join(ROOT, "tests/runtimes/node_modules") } });
    assert.equal(bundled.code, 0, bundled.stderr);
    assert.equal(bundled.stderr, "", "esbuild printed a warning");
    const port = freePort();
    await Deno.writeTextFile(
      join(dir, "config.capnp"),
      workerdConfig(port, { TINKER_API_KEY: api.apiKey, TINKER_BASE_URL: api.baseUrl }),
    );
    child = new Deno.Command(tool("workerd"), {
      args: ["serve", join(dir, "config.capnp"), "--verbose"],
      cwd: dir,
      env: { PWD: dir }, // else workerd logs that PWD does not match its directory
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const ckpts = await (await fetch(`${api.baseUrl}/api/v1/checkpoints`, {
      headers: { "X-API-Key": api.apiKey },
    })).json();
    const path: string = ckpts.checkpoints[0].tinker_path;
    const worker = `http://127.0.0.1:${port}/?path=${encodeURIComponent(path)}`;

    const listing = await fetchWhenUp(worker, child);
    const text = await listing.text();
    assert.equal(listing.status, 200, text);
    const names = text.trim().split("\n").map((l) => JSON.parse(l).path);
    for (const n of ["adapter_config.json", "adapter_model.safetensors", "checkpoint_complete"]) {
      assert.ok(names.includes(n), String(names));
    }
    const file = await fetch(`${worker}&file=adapter_config.json`);
    assert.equal(file.status, 200);
    assert.equal(typeof (await file.json()).r, "number");
  } finally {
    child?.kill("SIGTERM");
    await child?.status;
    await api.close();
    await Deno.remove(dir, { recursive: true });
  }
});
