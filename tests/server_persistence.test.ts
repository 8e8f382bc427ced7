import assert from "node:assert/strict";
import { createHandler, seedCheckpoints } from "../server.ts";
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

Deno.test("server: state survives a restart on the same data dir, signed URLs too", async () => {
  await withTempDir(async (dataDir) => {
    const before = await withServer({ dataDir, seed: true }, async (s) => {
      const { modelId } = await createModel(s);
      const path = (await save(s, modelId, "kept", { ttl: 86400 })).body.path;
      await api(s, "POST", ckptPath(path, "/publish"));
      const url = new URL(await archiveUrl(s, path));
      return {
        checkpoints: (await api(s, "GET", "/api/v1/checkpoints")).body,
        runs: (await api(s, "GET", "/api/v1/training_runs")).body,
        sessions: (await api(s, "GET", "/api/v1/sessions")).body,
        signed: url.pathname + url.search,
      };
    });
    // Leftovers of an interrupted write must not break the next start.
    await Deno.writeTextFile(`${dataDir}/tmp/write.crashed`, "{half");
    await withServer({ dataDir, seed: true }, async (s) => {
      assert.deepEqual((await api(s, "GET", "/api/v1/checkpoints")).body, before.checkpoints);
      assert.deepEqual((await api(s, "GET", "/api/v1/training_runs")).body, before.runs);
      assert.deepEqual((await api(s, "GET", "/api/v1/sessions")).body, before.sessions);
      assert.deepEqual([...Deno.readDirSync(`${dataDir}/tmp`)], []);
      const res = await fetch(s.baseUrl + before.signed);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    });
  });
});

Deno.test("server: a handler without dataDir uses a temp dir and removes it on close", async () => {
  const handler = await createHandler({ seed: { runs: 1, checkpointsPerRun: 1 } });
  const dir = handler.dataDir;
  assert.ok(Deno.statSync(dir).isDirectory);
  const res = await handler.fetch(
    new Request("http://local/api/v1/checkpoints", {
      headers: { "x-api-key": handler.apiKeys[0] },
    }),
  );
  assert.equal((await res.json()).checkpoints.length, 1);
  await handler.close();
  assert.throws(() => Deno.statSync(dir), Deno.errors.NotFound);
  const after = await handler.fetch(new Request("http://local/api/v1/healthz"));
  assert.equal(after.status, 503);
  await after.body?.cancel();
});

Deno.test("server: 50 concurrent publish and TTL changes on one run lose no update", async () => {
  await withTempDir(async (dataDir) => {
    const expected = new Map<string, { public: boolean; ttl: boolean }>();
    await withServer({ dataDir }, async (s) => {
      const { tinkerPaths } = await seedCheckpoints(s.handler, { userKey: ALICE, count: 50 });
      const results = await Promise.all(tinkerPaths.map((path, i) => {
        expected.set(path, { public: i % 2 === 0, ttl: i % 3 === 0 });
        return Promise.all([
          i % 2 === 0
            ? api(s, "POST", ckptPath(path, "/publish"))
            : Promise.resolve({ status: 200 }),
          i % 3 === 0
            ? api(s, "PUT", ckptPath(path, "/ttl"), { body: { ttl_seconds: 3600 } })
            : Promise.resolve({ status: 200 }),
        ]);
      }));
      assert.ok(results.flat().every((r) => r.status === 200));
    });
    await withServer({ dataDir }, async (s) => {
      const list = await api(s, "GET", "/api/v1/checkpoints?limit=1000");
      assert.equal(list.body.checkpoints.length, 50);
      for (const c of list.body.checkpoints) {
        const want = expected.get(c.tinker_path)!;
        assert.equal(c.public, want.public, c.tinker_path);
        assert.equal(c.expires_at !== null, want.ttl, c.tinker_path);
      }
    });
  });
});

Deno.test("server: concurrent publish/unpublish of one checkpoint stays consistent", async () => {
  await withServer({}, async (s) => {
    const { tinkerPaths: [path] } = await seedCheckpoints(s.handler, { userKey: ALICE, count: 1 });
    const results = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) =>
          api(s, i % 2 === 0 ? "POST" : "DELETE", ckptPath(path, "/publish")).then((r) => ({
            publish: i % 2 === 0,
            status: r.status,
          })),
      ),
    );
    assert.ok(results.every((r) => r.status === 200 || r.status === 409));
    const published = results.filter((r) => r.publish && r.status === 200).length;
    const unpublished = results.filter((r) => !r.publish && r.status === 200).length;
    const isPublic = (await api(s, "GET", ckptPath(path))).body.public;
    assert.equal(published - unpublished, isPublic ? 1 : 0);
  });
});

Deno.test("server: 50 concurrent save_weights on one model all land, each with its archive", async () => {
  await withTempDir(async (dataDir) => {
    await withServer({ dataDir }, async (s) => {
      const { modelId } = await createModel(s);
      const saved = await Promise.all(
        Array.from({ length: 50 }, (_, i) => save(s, modelId, `c${i}`, { seq: i + 1 })),
      );
      assert.ok(saved.every((r) => typeof r.body.path === "string"), JSON.stringify(saved[0].body));
      // Racing saves of one name: exactly one wins without overwrite.
      const racing = await Promise.all(
        Array.from({ length: 10 }, (_, i) => save(s, modelId, "contested", { seq: 100 + i })),
      );
      assert.equal(racing.filter((r) => r.body.path).length, 1);
      assert.equal(racing.filter((r) => r.body.category === "user").length, 9);
      const run = await runFuture(s, "/api/v1/optim_step", { model_id: modelId, seq_id: 200 });
      assert.equal(run.body.metrics.optimizer_step, 1);
    });
    await withServer({ dataDir }, async (s) => {
      const list = await api(s, "GET", "/api/v1/checkpoints?limit=1000");
      assert.equal(list.body.cursor.total_count, 51);
      assert.equal([...Deno.readDirSync(`${dataDir}/objects`)].length, 51);
    });
  });
});
