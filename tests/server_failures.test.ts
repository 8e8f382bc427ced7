// Failures the server must absorb: object requests racing mutations (404 or complete, never
// 500), internal errors (a generic answer with the request id; the details only in the log),
// stalled bodies (408) and clients that hang up (nothing logged).
import assert from "node:assert/strict";
import { createHandler, type RunningServer, seedCheckpoints } from "../server.ts";
import {
  ALICE,
  api,
  archiveUrl,
  ckptPath,
  createModel,
  runFuture,
  save,
  withServer,
  withTempDir,
} from "./_server_helpers.ts";
import { rawConnect, rawRequest } from "./_raw_http.ts";
import { startServeProcess } from "./_serve_process.ts";

interface Outcome {
  status: number;
  bytes: Uint8Array;
  text: string;
  range: boolean;
  head: boolean;
}

async function request(url: string, kind: number): Promise<Outcome> {
  const head = kind % 3 === 0;
  const range = kind % 3 === 2;
  const res = await fetch(url, {
    method: head ? "HEAD" : "GET",
    headers: range ? { range: "bytes=100-4099" } : {},
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, bytes, text: new TextDecoder().decode(bytes), range, head };
}

/** Assert a racing request got the right bytes or a clean 404; never anything else. */
function assertSound(o: Outcome, reference: Uint8Array, dataDir: string): void {
  assert.ok(!o.text.includes(dataDir), `a body shows the data directory: ${o.text}`);
  assert.doesNotMatch(o.text, /ENOENT|EBADF|objects\/|Internal server error/);
  if (o.status === 404) {
    if (!o.head) assert.match(JSON.parse(o.text).detail, /no longer exists/);
    return;
  }
  if (o.head) return assert.equal(o.status, 200);
  if (o.range) {
    assert.equal(o.status, 206, o.text);
    return assert.deepEqual(o.bytes, reference.subarray(100, 4100));
  }
  assert.equal(o.status, 200, o.text);
  assert.deepEqual(o.bytes, reference, "a download that completes has the right bytes");
}

/** Fire requests at `url` while `mutate` runs, and a few after it finished. */
async function race(url: string, mutate: () => Promise<unknown>): Promise<Outcome[]> {
  const during: Promise<Outcome>[] = [];
  let done = false;
  const mutation = mutate().finally(() => (done = true));
  for (let i = 0; !done || i < 3; i++) {
    during.push(request(url, i));
    await new Promise((r) => setTimeout(r, 0));
    if (done) during.push(request(url, i + 1));
    if (i > 500) break;
  }
  await mutation;
  return await Promise.all(during);
}

Deno.test("races: GET, HEAD and Range racing delete or overwrite are 404 or complete, never 500", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    const statuses = new Set<number>();
    for (let round = 0; round < 12; round++) {
      const name = `r${round}`;
      const path = (await save(s, modelId, name, { seq: round * 2 + 1 })).body.path;
      const url = await archiveUrl(s, path);
      const reference = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const overwrite = round % 2 === 1;
      const outcomes = await race(url, async () => {
        const res = overwrite
          ? await save(s, modelId, name, { overwrite: true, seq: round * 2 + 2 })
          : await api(s, "DELETE", ckptPath(path));
        assert.ok(overwrite ? res.body.path === path : res.status === 200, res.text);
      });
      for (const o of outcomes) {
        assertSound(o, reference, s.dataDir);
        statuses.add(o.status);
      }
    }
    assert.ok(statuses.has(404), "requests after the mutation saw it");
    assert.ok(statuses.has(200) || statuses.has(206), "requests before it were served");
  });
});

Deno.test("races: first downloads of a lazily built archive racing its delete leave no orphan", async () => {
  await withServer({}, async (s) => {
    const { tinkerPaths } = await seedCheckpoints(s.handler, { userKey: ALICE, count: 8 });
    for (const path of tinkerPaths) {
      const url = await archiveUrl(s, path);
      const outcomes = await race(url, () => api(s, "DELETE", ckptPath(path)));
      for (const o of outcomes) {
        assert.ok(
          o.status === 200 || o.status === 206 || o.status === 404,
          `${o.status} ${o.text}`,
        );
        assert.ok(!o.text.includes(s.dataDir));
      }
    }
    // Every object that a build finished after its delete was removed again, digest and all.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([...Deno.readDirSync(`${s.dataDir}/objects`)].map((e) => e.name), []);
    assert.deepEqual([...Deno.readDirSync(`${s.dataDir}/digests`)].map((e) => e.name), []);
  });
});

Deno.test("races: first downloads of an archive without a stored digest racing its delete are 404 or complete", async () => {
  await withTempDir(async (dataDir) => {
    const made = await withServer({ dataDir }, async (s) => {
      const { modelId } = await createModel(s);
      const out: { path: string; reference: Uint8Array }[] = [];
      for (let i = 0; i < 8; i++) {
        const path = (await save(s, modelId, `d${i}`, { seq: i + 1 })).body.path;
        out.push({
          path,
          reference: new Uint8Array(await (await fetch(await archiveUrl(s, path))).arrayBuffer()),
        });
      }
      return out;
    });
    // As an older server left them: archives without digest files, computed on first use.
    Deno.removeSync(`${dataDir}/digests`, { recursive: true });
    await withServer({ dataDir }, async (s) => {
      for (const { path, reference } of made) {
        const url = await archiveUrl(s, path);
        const outcomes = await race(url, () => api(s, "DELETE", ckptPath(path)));
        for (const o of outcomes) assertSound(o, reference, dataDir);
      }
      // No digest outlived its archive (one computed while the delete ran is not kept).
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual([...Deno.readDirSync(`${dataDir}/objects`)].map((e) => e.name), []);
      assert.deepEqual([...Deno.readDirSync(`${dataDir}/digests`)].map((e) => e.name), []);
    });
  });
});

Deno.test("races: copy_weights racing a delete of its source is 404 or a whole copy, never 500", async () => {
  await withServer({}, async (s) => {
    const { sessionId, modelId } = await createModel(s);
    // Lazily built archives (the copy builds them first) and external checkpoints (directories).
    const { tinkerPaths } = await seedCheckpoints(s.handler, { userKey: ALICE, count: 12 });
    const sources = [...tinkerPaths];
    for (let i = 0; i < 8; i++) {
      const res = await runFuture(s, "/api/v1/save_weights_external", {
        model_id: modelId,
        path: `x${i}`,
        seq_id: i + 1,
        type: "save_weights_external",
      });
      assert.equal(res.status, 200, res.text);
      sources.push(res.body.path);
    }
    const copies: string[] = [];
    const statuses = new Set<number>();
    for (const [seq, source] of sources.entries()) {
      const copy = api(s, "POST", "/api/v1/copy_weights", {
        body: { session_id: sessionId, model_seq_id: seq + 1, source_path: source },
      });
      for (let tick = 0; tick < seq % 3; tick++) await new Promise((r) => setTimeout(r, 0));
      const [res, deleted] = await Promise.all([copy, api(s, "DELETE", ckptPath(source))]);
      assert.equal(deleted.status, 200, deleted.text);
      assert.ok(res.status === 200 || res.status === 404, `copy of ${source}: ${res.text}`);
      assert.ok(!res.text.includes(s.dataDir), res.text);
      statuses.add(res.status);
      if (res.status === 200) copies.push(res.body.tinker_path);
    }
    assert.ok(statuses.has(404), "copies after the delete saw it");
    assert.ok(statuses.has(200), "copies before the delete were made");
    // Every copy made is whole: its archive, or each of its files, downloads in full.
    for (const copy of copies) {
      const { size_bytes } = (await api(s, "GET", ckptPath(copy))).body;
      let bytes = 0;
      if (copy.includes("/external_weights/")) {
        const { urls } = (await api(s, "GET", ckptPath(copy, "/external_weights_urls"))).body;
        for (const url of Object.values(urls) as string[]) {
          const res = await fetch(url);
          assert.equal(res.status, 200, url);
          bytes += (await res.arrayBuffer()).byteLength;
        }
      } else {
        const res = await fetch(await archiveUrl(s, copy));
        assert.equal(res.status, 200);
        bytes = (await res.arrayBuffer()).byteLength;
      }
      assert.equal(bytes, size_bytes, copy);
    }
    // Nothing left on disk but the copies' stored forms (no half-made or orphaned objects).
    await new Promise((r) => setTimeout(r, 50));
    assert.equal([...Deno.readDirSync(`${s.dataDir}/objects`)].length, copies.length);
    for (const digest of Deno.readDirSync(`${s.dataDir}/digests`)) {
      const archive = `${s.dataDir}/objects/${digest.name.replace(/\.json$/, ".tar")}`;
      assert.ok(Deno.statSync(archive).isFile, `${digest.name} has its archive`);
    }
    assert.deepEqual([...Deno.readDirSync(`${s.dataDir}/tmp`)], []);
  });
});

/** An API call against a child server (the helpers only need the base URL). */
function childServer(baseUrl: string): RunningServer {
  return { baseUrl } as RunningServer;
}

Deno.test("internal errors: a generic 500 with the request id; the details go to the log", async () => {
  await withTempDir(async (dataDir) => {
    const child = await startServeProcess(["--data", dataDir, "--api-key", ALICE]);
    let stderr = "";
    try {
      const s = childServer(child.baseUrl);
      const { modelId } = await createModel(s);
      const path = (await save(s, modelId, "c")).body.path;
      // Break the data directory for real: the run records' directory becomes a file.
      await Deno.remove(`${dataDir}/runs`, { recursive: true });
      await Deno.writeTextFile(`${dataDir}/runs`, "not a directory");
      const res = await api(s, "PUT", ckptPath(path, "/ttl"), { body: { ttl_seconds: 7200 } });
      assert.equal(res.status, 500);
      const id = res.headers.get("x-request-id")!;
      assert.match(id, /^req_[0-9a-f]{32}$/);
      assert.equal(
        res.body.detail,
        `Internal server error; the server logged it under request id ${id}`,
      );
      // A failing future hides its internal error the same way.
      await Deno.remove(`${dataDir}/objects`, { recursive: true });
      await Deno.writeTextFile(`${dataDir}/objects`, "not a directory");
      const failed = await save(s, modelId, "d", { seq: 2 });
      assert.equal(failed.body.category, "server");
      assert.match(failed.body.error, /^Internal server error; .* request id req-[0-9a-f-]{36}$/);
      for (const text of [res.text, failed.text]) {
        assert.ok(!text.includes(dataDir), text);
        assert.doesNotMatch(text, /ENOTDIR|ENOENT|EEXIST|not a directory/i);
      }
      const futureId = /request id (req-[0-9a-f-]{36})/.exec(failed.body.error)![1];
      stderr = (await child.stop()).stderr;
      for (const logged of [id, futureId]) {
        const line = stderr.split("\n").findIndex((l) => l.includes(logged));
        assert.ok(line >= 0, `the log names ${logged}: ${stderr}`);
        assert.match(
          stderr.split("\n").slice(line, line + 3).join("\n"),
          /ENOTDIR|EEXIST|not a directory/,
        );
      }
      assert.match(stderr, /internal error in PUT \/api\/v1\/training_runs\//);
    } finally {
      if (!stderr) await child.stop();
    }
  });
});

Deno.test("request bodies: a stalled body is a 408 once bodyTimeoutMs passes", async () => {
  await withServer({ bodyTimeoutMs: 200 }, async (s) => {
    const c = await rawConnect(s.port);
    try {
      await c.send(
        "POST /api/v1/create_session HTTP/1.1\r\nhost: x\r\nx-api-key: " + ALICE +
          '\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"tags": [',
      );
      const text = await c.read(/\r\n\r\n[^]*\}/);
      assert.match(text, /^HTTP\/1\.1 408/, text);
      assert.match(text, /Request body not received within 0\.2 s/);
    } finally {
      c.close();
    }
    // Nothing was created by the stalled request.
    assert.deepEqual((await api(s, "GET", "/api/v1/sessions")).body.sessions, []);
    // A body that arrives in time is unaffected.
    assert.equal((await api(s, "POST", "/api/v1/create_session", { body: {} })).status, 200);
  });
});

Deno.test("client disconnects are not errors: nothing in the log", async () => {
  await withTempDir(async (dataDir) => {
    // A big archive, so that a download cut short really fails mid-write.
    const handler = await createHandler({
      dataDir,
      apiKeys: [ALICE],
      seed: { runs: 1, checkpointsPerRun: 1, checkpointBytes: 16 * 2 ** 20 },
    });
    await handler.close();
    const child = await startServeProcess(["--data", dataDir, "--api-key", ALICE]);
    let stopped: { stderr: string; code: number } | undefined;
    try {
      const s = childServer(child.baseUrl);
      const port = Number(new URL(child.baseUrl).port);
      // A body cut off mid-way.
      const partial = await rawConnect(port);
      await partial.send(
        "POST /api/v1/create_session HTTP/1.1\r\nhost: x\r\nx-api-key: " + ALICE +
          '\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"tags"',
      );
      await new Promise((r) => setTimeout(r, 100));
      partial.close();
      // A long-poll the client gives up on.
      const poll = await rawConnect(port);
      const body = JSON.stringify({ request_id: "req-unknown" });
      await poll.send(
        `POST /api/v1/retrieve_future HTTP/1.1\r\nhost: x\r\nx-api-key: ${ALICE}\r\n` +
          `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      );
      poll.close();
      // Downloads cut after their first bytes, plain and ranged.
      const [ckpt] = (await api(s, "GET", "/api/v1/checkpoints")).body.checkpoints;
      const url = new URL(await archiveUrl(s, ckpt.tinker_path));
      for (const range of ["", "range: bytes=1000-\r\n"]) {
        const c = await rawConnect(port);
        await c.send(`GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: x\r\n${range}\r\n`);
        await c.read(/\r\n\r\n/);
        c.close();
      }
      const fetched = await fetch(url);
      const reader = fetched.body!.getReader();
      await reader.read();
      await reader.cancel();
      // The server is fine afterwards.
      assert.equal((await api(s, "GET", "/api/v1/healthz", { key: null })).status, 200);
      await new Promise((r) => setTimeout(r, 200));
      stopped = await child.stop();
    } finally {
      stopped ??= await child.stop();
    }
    assert.equal(stopped.code, 0);
    assert.equal(stopped.stderr, "Stopping…\n", "no error, warning or other noise in the log");
  });
});

Deno.test("request ids: every response carries one, error bodies never show paths", async () => {
  await withServer({}, async (s) => {
    const text = await rawRequest(s.port, "GET /archives/../../etc/passwd HTTP/1.1", { host: "x" });
    assert.match(text, /x-request-id: req_[0-9a-f]{32}/i);
    assert.ok(!text.includes(s.dataDir));
  });
});
