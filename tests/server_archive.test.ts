import assert from "node:assert/strict";
import { seedCheckpoints } from "../server.ts";
import {
  ALICE,
  api,
  archiveUrl,
  assertError,
  ckptPath,
  createModel,
  parseSafetensors,
  readTar,
  save,
  withServer,
} from "./_server_helpers.ts";

Deno.test("server: a browser (a request with Origin, or asking with format=json) gets the archive URL as 200 JSON, not a redirect it cannot read", async () => {
  await withServer({ signedUrlTtlSeconds: 600 }, async (s) => {
    const { modelId } = await createModel(s, { baseModel: "Qwen/Qwen3-8B", rank: 4 });
    const path = (await save(s, modelId, "0001")).body.path;
    const res = await api(s, "GET", ckptPath(path, "/archive"), {
      headers: { origin: "http://127.0.0.1:1" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("location"), null);
    assert.ok(res.body.url.startsWith(`${s.baseUrl}/archives/`), res.body.url);
    const expires = Date.parse(res.body.expires);
    assert.ok(expires > Date.now() + 500_000 && expires <= Date.now() + 601_000);
    const archive = await fetch(res.body.url);
    assert.equal(archive.status, 200);
    assert.ok(
      (await readTar(new Uint8Array(await archive.arrayBuffer()))).has("checkpoint_complete"),
    );
    // A page on the API's own origin sends no Origin: it asks (tinkex does after a hidden redirect).
    const asked = await api(s, "GET", ckptPath(path, "/archive?format=json"));
    assert.equal(asked.status, 200);
    assert.equal(asked.headers.get("location"), null);
    assert.ok(asked.body.url.startsWith(`${s.baseUrl}/archives/`), asked.body.url);
    assert.equal(
      (await api(s, "GET", ckptPath(path, "/archive"))).status,
      302,
      "others: as before",
    );
  });
});

Deno.test("server: archive is a 302 to a signed URL with Expires; the tar holds a valid LoRA adapter", async () => {
  await withServer({ signedUrlTtlSeconds: 600 }, async (s) => {
    const { modelId } = await createModel(s, { baseModel: "Qwen/Qwen3-8B", rank: 4 });
    const path = (await save(s, modelId, "0001")).body.path;
    const res = await api(s, "GET", ckptPath(path, "/archive"));
    assert.equal(res.status, 302);
    const location = res.headers.get("location")!;
    assert.ok(location.startsWith(`${s.baseUrl}/archives/`), location);
    const expires = Date.parse(res.headers.get("expires")!);
    assert.ok(expires > Date.now() + 500_000 && expires <= Date.now() + 601_000);
    assert.equal(res.body.url, location);

    const download = await fetch(location);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get("accept-ranges"), "bytes");
    assert.ok(download.headers.get("etag"));
    const bytes = new Uint8Array(await download.arrayBuffer());
    assert.equal(Number(download.headers.get("content-length")), bytes.length);
    const listed = await api(s, "GET", ckptPath(path));
    assert.equal(listed.body.size_bytes, bytes.length);

    const files = await readTar(bytes);
    assert.deepEqual([...files.keys()].sort(), [
      "adapter_config.json",
      "adapter_model.safetensors",
      "checkpoint_complete",
      "optimizer_state.safetensors",
    ]);
    assert.equal(files.get("checkpoint_complete")!.length, 0);
    const config = JSON.parse(new TextDecoder().decode(files.get("adapter_config.json")));
    assert.equal(config.base_model, "Qwen/Qwen3-8B");
    assert.equal(config.r, 4);
    assert.equal(config.peft_type, "LORA");
    assert.ok(Number.isFinite(config.lora_alpha));
    assert.deepEqual(config.target_modules, [
      "q_proj",
      "k_proj",
      "v_proj",
      "o_proj",
      "gate_proj",
      "up_proj",
      "down_proj",
    ]);
    const tensors = parseSafetensors(files.get("adapter_model.safetensors")!);
    const names = Object.keys(tensors);
    assert.ok(names.length > 0);
    for (const [name, t] of Object.entries(tensors)) {
      assert.equal(t.dtype, "F32");
      if (name.includes("lora_A")) assert.equal(t.shape[0], 4, name);
      if (name.includes("lora_B")) assert.equal(t.shape[1], 4, name);
    }
    const optimizer = parseSafetensors(files.get("optimizer_state.safetensors")!);
    assert.deepEqual(optimizer.step.shape, [1]);
  });
});

Deno.test("server: sampler archives carry no optimizer state", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    const path = (await save(s, modelId, "final", { sampler: true })).body.path;
    const bytes = new Uint8Array(await (await fetch(await archiveUrl(s, path))).arrayBuffer());
    const files = await readTar(bytes);
    assert.deepEqual([...files.keys()].sort(), [
      "adapter_config.json",
      "adapter_model.safetensors",
      "checkpoint_complete",
    ]);
  });
});

Deno.test("server: Range, suffix range, If-Range, 416 and HEAD on the signed URL", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    const url = await archiveUrl(s, (await save(s, modelId, "r")).body.path);
    const full = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const size = full.length;

    const head = await fetch(url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(size));
    assert.equal(head.headers.get("accept-ranges"), "bytes");
    const etag = head.headers.get("etag")!;
    assert.equal(await head.text(), "");

    const part = await fetch(url, { headers: { range: "bytes=100-199" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 100-199/${size}`);
    assert.equal(part.headers.get("content-length"), "100");
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), full.subarray(100, 200));

    const open = await fetch(url, { headers: { range: `bytes=${size - 10}-` } });
    assert.equal(open.status, 206);
    assert.deepEqual(new Uint8Array(await open.arrayBuffer()), full.subarray(size - 10));

    const suffix = await fetch(url, { headers: { range: "bytes=-5" } });
    assert.equal(suffix.headers.get("content-range"), `bytes ${size - 5}-${size - 1}/${size}`);
    assert.deepEqual(new Uint8Array(await suffix.arrayBuffer()), full.subarray(size - 5));

    const clamped = await fetch(url, { headers: { range: `bytes=${size - 2}-${size + 100}` } });
    assert.equal(clamped.headers.get("content-range"), `bytes ${size - 2}-${size - 1}/${size}`);
    await clamped.body?.cancel();

    const unsatisfiable = await fetch(url, { headers: { range: `bytes=${size}-` } });
    assert.equal(unsatisfiable.status, 416);
    assert.equal(unsatisfiable.headers.get("content-range"), `bytes */${size}`);
    assert.match((await unsatisfiable.json()).detail, /outside/);

    const matching = await fetch(url, { headers: { range: "bytes=0-9", "if-range": etag } });
    assert.equal(matching.status, 206);
    await matching.body?.cancel();
    const stale = await fetch(url, { headers: { range: "bytes=0-9", "if-range": '"other-etag"' } });
    assert.equal(stale.status, 200);
    assert.equal((await stale.arrayBuffer()).byteLength, size);

    const headRange = await fetch(url, { method: "HEAD", headers: { range: "bytes=0-9" } });
    assert.equal(headRange.status, 206);
    assert.equal(headRange.headers.get("content-length"), "10");
    await headRange.body?.cancel();

    const cached = await fetch(url, { headers: { "if-none-match": etag } });
    assert.equal(cached.status, 304);
    await cached.body?.cancel();
  });
});

Deno.test("server: expired, tampered and unsigned archive URLs are 403 JSON", async () => {
  await withServer({ signedUrlTtlSeconds: 0 }, async (s) => {
    const { modelId } = await createModel(s);
    const path = (await save(s, modelId, "x")).body.path;
    const expired = await fetch(await archiveUrl(s, path));
    assert.equal(expired.status, 403);
    assert.match((await expired.json()).detail, /expired/);
  });
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    const url = new URL(await archiveUrl(s, (await save(s, modelId, "x")).body.path));
    const tamper = async (edit: (u: URL) => void): Promise<Response> => {
      const u = new URL(url);
      edit(u);
      return await fetch(u);
    };
    const sig = url.searchParams.get("sig")!;
    const cases: [(u: URL) => void, RegExp][] = [
      [
        (u) => u.searchParams.set("sig", (sig[0] === "A" ? "B" : "A") + sig.slice(1)),
        /does not match/,
      ],
      [
        (u) => u.searchParams.set("expires", String(Number(u.searchParams.get("expires")) + 3600)),
        /does not match/,
      ],
      [(u) => u.searchParams.delete("sig"), /not signed/],
      [(u) => u.searchParams.set("expires", "soon"), /not signed/],
      [(u) => u.searchParams.set("sig", "!!"), /does not match/],
    ];
    for (const [edit, pattern] of cases) {
      const res = await tamper(edit);
      assert.equal(res.status, 403);
      assert.ok(Number(res.headers.get("content-length")) > 0);
      assert.match((await res.json()).detail, pattern);
    }
    // Another object's id with this signature is refused too.
    const other = await tamper((u) => {
      u.pathname = u.pathname.replace(/[0-9a-f]{8}-/, "00000000-");
    });
    assert.equal(other.status, 403);
    await other.body?.cancel();
    assert.equal((await fetch(url)).status, 200);
  });
});

Deno.test("server: archiveBuildDelayMs answers 503 with Retry-After until the archive is ready", async () => {
  await withServer({ archiveBuildDelayMs: 60_000 }, async (s) => {
    const { modelId } = await createModel(s);
    const path = (await save(s, modelId, "slow")).body.path;
    const res = await api(s, "GET", ckptPath(path, "/archive"));
    assertError(res, 503, /still being built/);
    assert.ok(Number(res.headers.get("retry-after")) >= 1);
    assert.ok(Number(res.headers.get("retry-after-ms")) > 0);
  });
  await withServer({ archiveBuildDelayMs: 1 }, async (s) => {
    const { modelId } = await createModel(s);
    const path = (await save(s, modelId, "quick")).body.path;
    let res = await api(s, "GET", ckptPath(path, "/archive"));
    while (res.status === 503) {
      await new Promise((r) => setTimeout(r, 5));
      res = await api(s, "GET", ckptPath(path, "/archive"));
    }
    assert.equal(res.status, 302);
  });
});

Deno.test("server: bulk-seeded checkpoints build their archive on first download, at the listed size", async () => {
  await withServer({}, async (s) => {
    const { tinkerPaths } = await seedCheckpoints(s.handler, { userKey: ALICE, count: 4 });
    for (const path of tinkerPaths.slice(0, 2)) {
      const listed = (await api(s, "GET", ckptPath(path))).body.size_bytes;
      const url = await archiveUrl(s, path);
      const [a, b] = await Promise.all([fetch(url), fetch(url)]);
      const bytes = new Uint8Array(await a.arrayBuffer());
      assert.equal((await b.arrayBuffer()).byteLength, bytes.length);
      assert.equal(bytes.length, listed);
      assert.ok((await readTar(bytes)).has("adapter_model.safetensors"));
    }
  });
});

Deno.test("server: seed checkpointBytes sizes the archives", async () => {
  const target = 3 * 1024 * 1024;
  await withServer(
    { seed: { runs: 1, checkpointsPerRun: 2, checkpointBytes: target } },
    async (s) => {
      const list = await api(s, "GET", "/api/v1/checkpoints");
      assert.equal(list.body.checkpoints.length, 2);
      for (const c of list.body.checkpoints) {
        assert.ok(Math.abs(c.size_bytes - target) < target * 0.05, `${c.size_bytes} vs ${target}`);
        const res = await fetch(await archiveUrl(s, c.tinker_path), { method: "HEAD" });
        assert.equal(Number(res.headers.get("content-length")), c.size_bytes);
      }
    },
  );
});
