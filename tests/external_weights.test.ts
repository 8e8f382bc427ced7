/**
 * External checkpoints (`tinker://<run>/external_weights/<name>`) end to end over HTTP: saved by
 * `saveWeightsExternal`, listed, inspected, expired, published, deleted; their per-file signed
 * URLs; `download()` fetching the files in parallel, resumably and verified, into the same atomic
 * destination as an archive, refusing hostile file maps.
 */
import assert from "node:assert/strict";
import {
  AbortError,
  checkpointTypeOf,
  createTrainingClient,
  deleteCheckpoint,
  download,
  downloadDirName,
  FutureFailedError,
  getArchiveUrl,
  getCheckpoint,
  getExternalWeightsUrls,
  getWeightsInfo,
  InvalidTinkerPathError,
  listCheckpoints,
  listUserCheckpoints,
  NotFoundError,
  parseTinkerPath,
  publishCheckpoint,
  saveWeightsExternal,
  setCheckpointTtl,
  type TinkerConfig,
  unpublishCheckpoint,
  UnsafeArchiveError,
} from "../mod.ts";
import type { RunningServer } from "../server.ts";
import { startCuttingProxy } from "./_download_fixture.ts";
import { json, startRecordingServer } from "./_recording_server.ts";
import {
  ALICE,
  api,
  assertError,
  BOB,
  ckptPath,
  withServer,
  withTempDir,
} from "./_server_helpers.ts";

const FILES = ["README.md", "config.json", "model.safetensors", "tokenizer/tokenizer_config.json"];

function configFor(server: RunningServer, apiKey = ALICE): TinkerConfig {
  return { apiKey, baseUrl: server.baseUrl, maxRetries: 0 };
}

async function exported(server: RunningServer): Promise<{ path: string; size: number }> {
  const client = await createTrainingClient(configFor(server), {
    baseModel: "Qwen/Qwen3-8B",
    rank: 8,
  });
  const saved = await saveWeightsExternal(client, "hf");
  assert.equal(saved.path, `tinker://${client.modelId}/external_weights/hf`);
  assert.equal(typeof saved.size_bytes, "number");
  return { path: saved.path, size: saved.size_bytes! };
}

/** Everything under `dir`, as relative paths, sorted. */
async function tree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix + e.name;
    if (e.isDirectory) out.push(...await tree(`${dir}/${e.name}`, `${rel}/`));
    else out.push(rel);
  }
  return out.sort();
}

Deno.test("paths: external_weights is a kind (checkpoint_type external)", () => {
  const p = parseTinkerPath("tinker://r:train:0/external_weights/hf");
  assert.deepEqual(p, { runId: "r:train:0", kind: "external_weights", name: "hf" });
  assert.equal(checkpointTypeOf("external_weights"), "external");
  assert.equal(downloadDirName("tinker://r/external_weights/hf"), "r_external_weights_hf");
  assert.throws(
    () => parseTinkerPath("tinker://r/optimizer/x"),
    (e) => e instanceof InvalidTinkerPathError && /external_weights/.test(e.message),
  );
});

Deno.test("external checkpoint: save, list, info, TTL, publish, per-file URLs, delete", async () => {
  await withServer({}, async (server) => {
    const config = configFor(server);
    const { path, size } = await exported(server);
    const { runId } = parseTinkerPath(path);

    const ofRun = await listCheckpoints(config, { runId });
    const listed = ofRun.checkpoints.find((c) => c.tinker_path === path);
    assert.equal(listed?.checkpoint_type, "external");
    assert.equal(listed?.checkpoint_id, "external_weights/hf");
    assert.equal(listed?.size_bytes, size);
    const mine = await listUserCheckpoints(config);
    assert.ok(mine.checkpoints.some((c) => c.tinker_path === path));
    assert.equal((await getWeightsInfo(config, path)).lora_rank, 8);

    await setCheckpointTtl(config, path, 86_400);
    assert.ok((await getCheckpoint(config, path)).expires_at);
    await publishCheckpoint(config, path);

    // Bob reads the public checkpoint's files; their sizes add up to size_bytes.
    const { urls, expires } = await getExternalWeightsUrls(configFor(server, BOB), path);
    assert.deepEqual(Object.keys(urls).sort(), FILES);
    assert.ok(Date.parse(expires) > Date.now());
    let total = 0;
    for (const url of Object.values(urls)) {
      const res = await fetch(url); // pre-signed: no API key
      assert.equal(res.status, 200);
      total += (await res.arrayBuffer()).byteLength;
    }
    assert.equal(total, size);
    // Another first character of the signature (replacing it with a fixed one is a no-op 1 in 64).
    const tampered = Object.values(urls)[0].replace(
      /sig=(.)/,
      (_, c) => `sig=${c === "A" ? "B" : "A"}`,
    );
    assert.equal(
      (await fetch(tampered).then(async (r) => (await r.body?.cancel(), r))).status,
      403,
    );

    // The archive endpoint refuses an external checkpoint, saying where its files are.
    assertError(await api(server, "GET", ckptPath(path, "/archive")), 400, /external_weights_urls/);
    await assert.rejects(() => getArchiveUrl(config, path), /external_weights_urls/);

    await deleteCheckpoint(config, path);
    const gone = await fetch(Object.values(urls)[0]);
    await gone.body?.cancel();
    assert.equal(gone.status, 404, "a deleted checkpoint's files are gone");
    assertError(await api(server, "GET", ckptPath(path, "/external_weights_urls")), 404);
  });
});

Deno.test("saveWeightsExternal: a taken name is a user error that says what to do; nothing is written", async () => {
  await withTempDir((dataDir) =>
    withServer({ dataDir }, async (server) => {
      const client = await createTrainingClient(configFor(server), { baseModel: "Qwen/Qwen3-8B" });
      await saveWeightsExternal(client, "hf");
      const objects = [...Deno.readDirSync(`${dataDir}/objects`)].map((e) => e.name);
      await assert.rejects(() => saveWeightsExternal(client, "hf"), (e) => {
        assert.ok(e instanceof FutureFailedError);
        assert.equal(e.category, "user");
        // The request has no overwrite: the way out is another name or a delete.
        assert.match(e.message, /already exists; choose another name or delete it first$/);
        return true;
      });
      assert.deepEqual([...Deno.readDirSync(`${dataDir}/objects`)].map((e) => e.name), objects);
      assert.deepEqual([...Deno.readDirSync(`${dataDir}/tmp`)], []);
    })
  );
});

Deno.test("save_weights_external: asked to age-encrypt, the local server refuses rather than export plaintext", async () => {
  await withServer({}, async (server) => {
    const client = await createTrainingClient(configFor(server), { baseModel: "Qwen/Qwen3-8B" });
    const post = (recipients: unknown) =>
      api(server, "POST", "/api/v1/save_weights_external", {
        body: {
          model_id: client.modelId,
          path: "hf",
          age_encryption_recipients: recipients,
          type: "save_weights_external",
        },
      });
    assertError(await post(["age1qyqszqgpqyqszqgpqyqszqgpqyqszqgp"]), 400, /age encryption/);
    assertError(await post("age1x"), 422, /age_encryption_recipients/);
    for (const none of [null, []]) assert.equal((await post(none)).status, 200);
  });
});

Deno.test("getExternalWeightsUrls refuses other kinds before any request", async () => {
  const srv = startRecordingServer();
  try {
    await assert.rejects(
      () =>
        getExternalWeightsUrls(
          { apiKey: "tml-x", baseUrl: srv.baseUrl },
          "tinker://r/weights/a",
        ),
      (e) => e instanceof InvalidTinkerPathError && /external_weights/.test(e.message),
    );
    assert.equal(srv.requests.length, 0);
  } finally {
    await srv.close();
  }
  await withServer({}, async (server) => {
    // The server answers a 400 for a non-external checkpoint too.
    assertError(
      await api(server, "GET", ckptPath("tinker://r/weights/a", "/external_weights_urls")),
      400,
      /only external_weights/,
    );
  });
});

Deno.test("download(): an external checkpoint's files land in the atomic destination", async () => {
  await withServer({}, async (server) => {
    const config = configFor(server);
    const { path, size } = await exported(server);
    const { urls } = await getExternalWeightsUrls(config, path);
    await withTempDir(async (dir) => {
      const phases: string[] = [];
      const result = await download(config, path, {
        outputDir: dir,
        expectedBytes: size,
        onProgress: (p) => phases.push(p.phase),
      });
      assert.equal(result.destination, `${dir}/${downloadDirName(path)}`);
      assert.deepEqual(result.files.map((f) => f.path), FILES);
      assert.equal(result.bytes, size);
      // The files, and the manifest the completed destination carries.
      assert.deepEqual(
        await tree(dir),
        [".tinkex-manifest.json", ...FILES].sort().map((f) => `${downloadDirName(path)}/${f}`),
      );
      for (const [rel, url] of Object.entries(urls)) {
        const expected = new Uint8Array(await (await fetch(url)).arrayBuffer());
        assert.deepEqual(await Deno.readFile(`${result.destination}/${rel}`), expected, rel);
      }
      assert.equal(phases[0], "resolving");
      assert.ok(phases.includes("downloading"));
      assert.deepEqual(phases.slice(-2), ["verifying", "done"]);

      // A wrong expected size fails verification and leaves nothing behind.
      await Deno.remove(result.destination, { recursive: true });
      await assert.rejects(
        () => download(config, path, { outputDir: dir, expectedBytes: size + 1 }),
        /checkpoint's size/,
      );
      assert.deepEqual(await tree(dir), []);
    });
  });
});

Deno.test("download(): broken connections resume per file; URLs are renewed as they expire", async () => {
  // URLs live 3-4 s, under the client's 5 s renewal margin: each file (and each resume) gets a
  // renewed map, while every URL still has seconds to run when it is used.
  await withServer({ signedUrlTtlSeconds: 4 }, async (server) => {
    const { path, size } = await exported(server);
    const port = Number(new URL(server.baseUrl).port);
    // Each of the first connections to the file host is cut 3000 bytes in.
    const proxy = startCuttingProxy(port, Array(6).fill(3000));
    let mapRequests = 0;
    // The API: the real server's answers, file URLs pointed at the cutting proxy.
    const api = startRecordingServer(async (req) => {
      const res = await fetch(server.baseUrl + req.path, { headers: { "x-api-key": ALICE } });
      const body = await res.json();
      if (req.path.endsWith("/external_weights_urls")) {
        mapRequests++;
        for (const [k, v] of Object.entries(body.urls as Record<string, string>)) {
          body.urls[k] = v.replace(`:${port}/`, `:${proxy.port}/`);
        }
      }
      return json(body, res.status);
    });
    try {
      await withTempDir(async (dir) => {
        const resumes: string[] = [];
        const result = await download({ apiKey: ALICE, baseUrl: api.baseUrl }, path, {
          outputDir: dir,
          expectedBytes: size,
          onResume: (r) => resumes.push(r.reason),
        });
        assert.ok(resumes.length > 0, "at least one file resumed after a cut");
        assert.equal(result.bytes, size);
        assert.ok(mapRequests > 1, `the URL map was renewed (${mapRequests} requests)`);
        const { urls } = await getExternalWeightsUrls(configFor(server), path);
        const model = new Uint8Array(await (await fetch(urls["model.safetensors"])).arrayBuffer());
        assert.deepEqual(await Deno.readFile(`${result.destination}/model.safetensors`), model);
      });
    } finally {
      await api.close();
      await proxy.close();
    }
  });
});

Deno.test("download(): a hostile or failing file map leaves nothing behind", async () => {
  let files = 0;
  const cases: [Record<string, string>, RegExp][] = [
    [{ "../escape.txt": "FILE" }, /'\.\.' would leave/],
    [{ "/etc/passwd": "FILE" }, /absolute/],
    [{ "a.bin": "FILE", "A.BIN": "FILE" }, /clash/],
    [{ "a.bin": "file:///etc/passwd" }, /not http/],
  ];
  const srv = startRecordingServer((req) => {
    if (req.path.startsWith("/file")) {
      files++;
      return req.path === "/file/missing" ? json({ detail: "gone" }, 404) : new Response("x");
    }
    const index = Number(/^\/case(\d+)\//.exec(req.path)?.[1]);
    const urls = index < cases.length
      ? Object.fromEntries(
        Object.entries(cases[index][0]).map((
          [k, v],
        ) => [k, v.replace("FILE", `${srv.baseUrl}/file/${k}`)]),
      )
      : { "ok.txt": `${srv.baseUrl}/file/ok`, "missing.txt": `${srv.baseUrl}/file/missing` };
    return json({ urls, expires: new Date(Date.now() + 600_000).toISOString() });
  });
  try {
    await withTempDir(async (dir) => {
      for (let i = 0; i <= cases.length; i++) {
        // The case number is the base URL's path prefix, which tinkex keeps.
        const config = { apiKey: "tml-x", baseUrl: `${srv.baseUrl}/case${i}`, maxRetries: 0 };
        const err = await download(config, "tinker://r/external_weights/hf", {
          outputDir: dir,
          maxResumeAttempts: 0,
        }).catch((e) => e);
        if (i < cases.length) {
          assert.ok(err instanceof UnsafeArchiveError, `${i}: ${err}`);
          assert.match(err.message, cases[i][1]);
          assert.equal(files, 0, "a hostile map is refused before any file is fetched");
        } else {
          assert.ok(err instanceof NotFoundError, String(err));
        }
        assert.deepEqual(await tree(dir), [], `case ${i}: no destination, no temp dir`);
      }
    });
  } finally {
    await srv.close();
  }
});

Deno.test("download(): an external download over maxBytes or aborted leaves nothing behind", async () => {
  await withServer({}, async (server) => {
    const config = configFor(server);
    const { path, size } = await exported(server);
    await withTempDir(async (dir) => {
      const over = await download(config, path, { outputDir: dir, maxBytes: size - 1 })
        .catch((e) => e);
      assert.ok(over instanceof UnsafeArchiveError, String(over));
      assert.match(over.message, /more than \d+ bytes/);
      assert.deepEqual(await tree(dir), []);

      const stop = new AbortController();
      const aborted = await download(config, path, {
        outputDir: dir,
        signal: stop.signal,
        onProgress: (p) => {
          if (p.phase === "downloading") stop.abort(new Error("user cancelled"));
        },
      }).catch((e) => e);
      assert.ok(aborted instanceof AbortError, String(aborted));
      assert.deepEqual(await tree(dir), [], "no destination, no temp dir");
    });
  });
});

Deno.test("external checkpoint: its files survive a restart; access is checked when a URL is used", async () => {
  await withTempDir(async (dataDir) => {
    const { serve } = await import("../server.ts");
    const start = () => serve({ dataDir, apiKeys: [ALICE, BOB], futureDelayMs: 0 });
    let server = await start();
    const { path } = await exported(server);
    await publishCheckpoint(configFor(server), path);
    await server.close();
    server = await start(); // the start-up sweep of unreferenced objects keeps the files
    try {
      const { urls } = await getExternalWeightsUrls(configFor(server, BOB), path);
      const first = await fetch(urls["config.json"]);
      assert.equal(first.status, 200);
      assert.match(await first.text(), /Qwen\/Qwen3-8B/);
      // Made private again: Bob's still-valid URL no longer works; Alice's does.
      await unpublishCheckpoint(configFor(server), path);
      const denied = await fetch(urls["config.json"]);
      await denied.body?.cancel();
      assert.equal(denied.status, 404);
      const own = await getExternalWeightsUrls(configFor(server), path);
      const mine = await fetch(own.urls["config.json"]);
      await mine.body?.cancel();
      assert.equal(mine.status, 200);
      // Deleting it removes its directory of files.
      const before = [...Deno.readDirSync(`${dataDir}/objects`)].filter((e) => e.isDirectory);
      assert.equal(before.length, 1);
      await deleteCheckpoint(configFor(server), path);
      const after = [...Deno.readDirSync(`${dataDir}/objects`)].filter((e) => e.isDirectory);
      assert.deepEqual(after, []);
    } finally {
      await server.close();
    }
  });
});

Deno.test("download(): an external checkpoint's files are fetched at most four at a time", async () => {
  let inFlight = 0;
  let most = 0;
  const names = Array.from({ length: 12 }, (_, i) => `shard-${String(i).padStart(2, "0")}.bin`);
  const srv = startRecordingServer(async (req) => {
    if (req.path.startsWith("/file/")) {
      most = Math.max(most, ++inFlight);
      // Hold each answer until four are in flight (or 0.5 s passed, for the last few files), so
      // the overlap is certain, not a matter of timing; more than four would show as `most`.
      for (let waited = 0; inFlight < 4 && waited < 500; waited += 5) {
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      return new Response(new Uint8Array(100).fill(7), {
        headers: { "content-length": "100", etag: `"${req.path}"` },
      });
    }
    const urls = Object.fromEntries(names.map((n) => [n, `${srv.baseUrl}/file/${n}`]));
    return json({ urls, expires: new Date(Date.now() + 600_000).toISOString() });
  });
  try {
    await withTempDir(async (dir) => {
      const result = await download(
        { apiKey: "tml-x", baseUrl: srv.baseUrl },
        "tinker://r/external_weights/hf",
        { outputDir: dir, expectedBytes: 1200 },
      );
      assert.deepEqual(result.files.map((f) => f.path), names);
      assert.equal(result.bytes, 1200);
      assert.equal(most, 4, "four files in flight at once, never more");
      assert.equal(
        srv.requests.filter((r) => r.path.startsWith("/file/") && r.headers.has("x-api-key"))
          .length,
        0,
        "signed file URLs get no API key",
      );
    });
  } finally {
    await srv.close();
  }
});
