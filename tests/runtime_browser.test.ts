// Browsers, for real: mod.ts bundled by esbuild and by Vite with no error and no warning (no Node
// built-in to resolve), and both bundles run in headless Chromium (Debian's, driven by
// playwright-core) against `tinkex serve --cors`: list checkpoints, get an archive URL where the
// redirect is opaque, stream an archive's members. Tools: tests/runtimes/install.sh.
import assert from "node:assert/strict";
import { join } from "node:path";
import { serve } from "../server.ts";
import { chromium, ROOT, run, runOk, startServeProcess, tool } from "./runtimes/tools.ts";

const BROWSER = join(ROOT, "tests/runtimes/browser");
const NODE_PATH = join(ROOT, "tests/runtimes/node_modules");
const out = await Deno.makeTempDir({ prefix: "tinkex-browser-" });
addEventListener("unload", () => Deno.removeSync(out, { recursive: true }));

/** esbuild for the browser: no error, no warning (stderr empty at log level "warning"). */
async function esbuild(entry: string, outfile: string): Promise<string> {
  const r = await run(tool("esbuild"), [
    entry,
    "--bundle",
    "--platform=browser",
    "--format=esm",
    "--log-level=warning",
    `--alias:@tinkex/tinkex=${join(ROOT, "mod.ts")}`,
    `--outfile=${outfile}`,
  ], { env: { NODE_PATH } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "", "esbuild printed a warning");
  return await Deno.readTextFile(outfile);
}

const NODE_IMPORT = /(?:from\s*|import\s*\(\s*)["']node:/;

Deno.test("browser: esbuild bundles mod.ts for the browser with no error and no warning", async () => {
  const bundle = await esbuild(join(ROOT, "mod.ts"), join(out, "mod.js"));
  assert.doesNotMatch(bundle, NODE_IMPORT);
  assert.match(
    bundle,
    /function download\(/,
    "download() is in the bundle, not cut out",
  );
  assert.match(bundle, /getBuiltinModule/);
  await esbuild(join(BROWSER, "page.ts"), join(out, "esbuild", "page.js"));
  await Deno.writeTextFile(
    join(out, "esbuild", "index.html"),
    '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>',
  );
});

Deno.test("browser: Vite builds a page importing the module with no warning", async () => {
  const r = await run(tool("vite"), [
    "build",
    "--config",
    join(BROWSER, "vite.config.mjs"),
  ], {
    env: { TINKEX_VITE_OUT: join(out, "vite") },
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // logLevel "warn": anything printed is a warning (e.g. "externalized for browser compatibility").
  assert.equal((r.stdout + r.stderr).trim(), "", "Vite printed a warning");
  const assets = [...Deno.readDirSync(join(out, "vite", "assets"))].map((e) => e.name);
  const js = await Deno.readTextFile(
    join(out, "vite", "assets", assets.find((a) => a.endsWith(".js"))!),
  );
  assert.doesNotMatch(js, NODE_IMPORT);
  assert.match(js, /listCheckpoints|checkpoints/);
});

Deno.test("browser: headless Chromium runs both bundles against tinkex serve --cors: lists checkpoints, streams an archive's members", async () => {
  const pages = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      try {
        const body = await Deno.readFile(join(out, decodeURIComponent(path)));
        const type = path.endsWith(".html") ? "text/html" : "text/javascript";
        return new Response(body, { headers: { "content-type": type } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  const origin = `http://127.0.0.1:${pages.addr.port}`;
  const api = await startServeProcess(["--cors", origin]);
  const noCors = await serve({ seed: true });
  // A storage origin whose CORS lets any header through, recording the API keys it is sent, and
  // a service that answers the archive request with a redirect to it.
  const keysAtStorage: string[] = [];
  const storage = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const key = req.headers.get("x-api-key");
      if (key !== null) keysAtStorage.push(key);
      const cors = {
        "access-control-allow-origin": "*",
        "access-control-allow-headers": req.headers.get("access-control-request-headers") ?? "*",
      };
      return new Response(req.method === "OPTIONS" ? null : "archive", {
        headers: cors,
      });
    },
  );
  const blobUrl = `http://127.0.0.1:${storage.addr.port}/blob.tar?sig=1`;
  const redirecting = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, (req) => {
    const cors = {
      "access-control-allow-origin": origin,
      "access-control-allow-headers": req.headers.get("access-control-request-headers") ?? "",
    };
    if (req.method === "OPTIONS") {
      return new Response(null, { status: 204, headers: cors });
    }
    // Under /asks/, the JSON form when asked for it, as tinkex serve gives it.
    const url = new URL(req.url);
    if (url.pathname.startsWith("/asks/") && url.searchParams.get("format") === "json") {
      return Response.json({ url: blobUrl, expires: new Date(Date.now() + 60_000).toISOString() }, {
        headers: cors,
      });
    }
    return new Response(null, {
      status: 302,
      headers: { ...cors, location: blobUrl },
    });
  });
  try {
    const listed = await (await fetch(`${api.baseUrl}/api/v1/checkpoints?limit=100`, {
      headers: { "X-API-Key": api.apiKey },
    })).json();
    const q = new URLSearchParams({
      base: api.baseUrl,
      key: api.apiKey,
      nocors: noCors.baseUrl,
      redirecting: `http://127.0.0.1:${redirecting.addr.port}`,
    });
    const urls = ["esbuild", "vite"].map((b) => `${origin}/${b}/index.html?${q}`);
    const stdout = await runOk("node", [
      join(BROWSER, "drive.mjs"),
      chromium(),
      ...urls,
    ]);
    const outcomes = stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(outcomes.length, 2);
    for (const o of outcomes) {
      assert.ok(o.ok, `${o.url}: ${o.error}\n${o.logs.join("\n")}`);
      assert.match(o.userAgent, /Chrome\//);
      const r = o.result;
      assert.equal(r.total, listed.cursor.total_count);
      assert.deepEqual(
        r.paths,
        listed.checkpoints.map((c: { tinker_path: string }) => c.tinker_path),
      );
      assert.ok(
        r.archiveUrl.startsWith(`${api.baseUrl}/archives/`),
        r.archiveUrl,
      );
      const names = r.members.map((m: { path: string }) => m.path);
      for (
        const n of [
          "adapter_config.json",
          "adapter_model.safetensors",
          "checkpoint_complete",
        ]
      ) {
        assert.ok(names.includes(n), `${o.url}: ${names}`);
      }
      assert.equal(typeof r.adapterRank, "number");
      assert.equal(
        r.withoutCors,
        "ConnectionError",
        "a server without --cors is unreadable",
      );
      assert.match(
        r.noDisk,
        /^TinkerError: Cannot download to disk: .*openArchiveStream/,
      );
      assert.equal(r.noDiskRequests, 0, "download() made no request");
      assert.match(
        r.hidden,
        /^UnsafeUrlError: .*redirect this runtime hides.*followHiddenRedirect/,
      );
      assert.equal(r.followed, blobUrl, "followed when asked");
      assert.equal(r.askedJson, blobUrl, "a hidden redirect, then the JSON form when asked for");
      assert.equal(
        r.streamedFollowing,
        "archive",
        "openArchiveStream passes the option on",
      );
    }
    // The browser really forwards the key when it follows: twice per page (getArchiveUrl, then
    // openArchiveStream asking for its URL; the archive itself is fetched without it), for the
    // asked-for follows only: the default sent nothing there.
    assert.deepEqual(keysAtStorage, Array(4).fill(api.apiKey));
  } finally {
    await storage.shutdown();
    await redirecting.shutdown();
    await noCors.close();
    await api.close();
    await pages.shutdown();
  }
});
