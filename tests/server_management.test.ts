import assert from "node:assert/strict";
import { seedCheckpoints } from "../server.ts";
import {
  ALICE,
  api,
  assertError,
  BOB,
  ckptPath,
  createModel,
  save,
  withServer,
} from "./_server_helpers.ts";

const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

// deno-lint-ignore no-explicit-any
function assertCheckpointShape(c: any): void {
  assert.equal(typeof c.checkpoint_id, "string");
  assert.ok(["training", "sampler"].includes(c.checkpoint_type));
  assert.match(c.time, ISO_Z);
  assert.match(c.tinker_path, /^tinker:\/\/[^/]+\/(weights|sampler_weights)\/[^/]+$/);
  assert.equal(c.tinker_path.endsWith(`/${c.checkpoint_id}`), true);
  assert.equal(c.checkpoint_type === "training", c.checkpoint_id.startsWith("weights/"));
  assert.ok(Number.isInteger(c.size_bytes) && c.size_bytes > 0);
  assert.equal(typeof c.public, "boolean");
  assert.ok(c.expires_at === null || ISO_Z.test(c.expires_at));
}

Deno.test("server: healthz, client/config and telemetry answer as §7 says", async () => {
  await withServer({}, async (s) => {
    assert.deepEqual((await api(s, "GET", "/api/v1/healthz", { key: null })).body, {
      status: "ok",
    });
    const config = await api(s, "POST", "/api/v1/client/config", { body: { sdk_version: "0.25" } });
    assert.equal(config.status, 200);
    assert.deepEqual(config.body, {});
    const telemetry = await api(s, "POST", "/api/v1/telemetry", { body: { events: [] } });
    assert.deepEqual(telemetry.body, { status: "accepted" });
    assert.match(telemetry.headers.get("x-request-id") ?? "", /^req_/);
  });
});

Deno.test("server: seeded data lists with exact wire shapes, newest first", async () => {
  await withServer({ seed: { runs: 3, checkpointsPerRun: 3 } }, async (s) => {
    const list = await api(s, "GET", "/api/v1/checkpoints");
    assert.equal(list.status, 200);
    // The last seeded run belongs to the second key: Alice owns 2 runs × 3 checkpoints.
    assert.deepEqual(list.body.cursor, { offset: 0, limit: 100, total_count: 6 });
    list.body.checkpoints.forEach(assertCheckpointShape);
    const times = list.body.checkpoints.map((c: { time: string }) => Date.parse(c.time));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
    const kinds = new Set(
      list.body.checkpoints.map((c: { checkpoint_type: string }) => c.checkpoint_type),
    );
    assert.deepEqual([...kinds].sort(), ["sampler", "training"]);
    assert.ok(list.body.checkpoints.some((c: { public: boolean }) => c.public));
    assert.ok(list.body.checkpoints.some((c: { expires_at: string | null }) => c.expires_at));

    const runs = await api(s, "GET", "/api/v1/training_runs");
    assert.equal(runs.body.training_runs.length, 2);
    assert.deepEqual(runs.body.cursor, { offset: 0, limit: 20, total_count: 2 });
    for (const run of runs.body.training_runs) {
      assert.match(run.training_run_id, /:train:0$/);
      assert.equal(typeof run.base_model, "string");
      assert.equal(typeof run.model_owner, "string");
      assert.equal(run.is_lora, true);
      assert.equal(run.corrupted, false);
      assert.ok(Number.isInteger(run.lora_rank));
      assert.match(run.last_request_time, ISO_Z);
      if (run.last_checkpoint) assertCheckpointShape(run.last_checkpoint);
      if (run.last_sampler_checkpoint) assertCheckpointShape(run.last_sampler_checkpoint);
    }
    const sessions = await api(s, "GET", "/api/v1/sessions");
    assert.equal(sessions.body.sessions.length, 2);
    const session = await api(s, "GET", `/api/v1/sessions/${sessions.body.sessions[0]}`);
    assert.equal(session.body.training_run_ids.length, 1);
    assert.ok(Array.isArray(session.body.sampler_ids));
  });
});

Deno.test("server: user listing paginates with limit/offset/cursor; limit out of range is 400", async () => {
  await withServer({}, async (s) => {
    const { runId, tinkerPaths } = await seedCheckpoints(s.handler, { userKey: ALICE, count: 25 });
    const seen: string[] = [];
    for (let offset = 0;; offset += 10) {
      const page = await api(s, "GET", `/api/v1/checkpoints?limit=10&offset=${offset}`);
      assert.deepEqual(page.body.cursor, { offset, limit: 10, total_count: 25 });
      seen.push(...page.body.checkpoints.map((c: { tinker_path: string }) => c.tinker_path));
      if (offset + 10 >= page.body.cursor.total_count) break;
    }
    assert.deepEqual(seen, [...tinkerPaths].reverse());
    const ofRun = await api(
      s,
      "GET",
      `/api/v1/training_runs/${encodeURIComponent(runId)}/checkpoints`,
    );
    assert.equal(ofRun.body.checkpoints.length, 25);
    assert.equal(ofRun.body.cursor, null);
    for (const bad of ["limit=0", "limit=1001", "limit=abc", "offset=-1", "limit=1.5"]) {
      assertError(await api(s, "GET", `/api/v1/checkpoints?${bad}`), 400, /limit|offset/);
    }
    assertError(await api(s, "GET", "/api/v1/training_runs?access_scope=all"), 400, /access_scope/);
  });
});

Deno.test("server: run and checkpoint routes accept percent-encoded ids and names", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    assert.match(modelId, /:train:0$/);
    const odd = await save(s, modelId, "ünï cödé & ?#%", { seq: 2 });
    assert.equal(odd.body.path, `tinker://${modelId}/weights/ünï cödé & ?#%`);
    assert.equal((await api(s, "GET", ckptPath(odd.body.path))).body.tinker_path, odd.body.path);
    const saved = await save(s, modelId, "step_1.final");
    const path = saved.body.path;
    const encoded = `/api/v1/training_runs/${encodeURIComponent(modelId)}`;
    assert.equal((await api(s, "GET", encoded)).body.training_run_id, modelId);
    assert.equal((await api(s, "GET", `/api/v1/training_runs/${modelId}`)).status, 200);
    const one = await api(s, "GET", ckptPath(path));
    assert.equal(one.body.tinker_path, path);
    // The checkpoint id's slash may arrive encoded too.
    const slashEncoded = await api(
      s,
      "GET",
      `${encoded}/checkpoints/${encodeURIComponent("weights/step_1.final")}`,
    );
    assert.equal(slashEncoded.body.tinker_path, path);
    // A base-path prefix (as in the hosted URL) is accepted.
    assert.equal((await api(s, "GET", `/services/tinker-prod${encoded}`)).status, 200);
  });
});

Deno.test("server: weights_info describes a checkpoint; bad paths are 400, unknown 404", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s, { baseModel: "meta-llama/Llama-3.2-1B", rank: 16 });
    const { body } = await save(s, modelId, "w1");
    const info = await api(s, "POST", "/api/v1/weights_info", { body: { tinker_path: body.path } });
    assert.deepEqual(info.body, {
      base_model: "meta-llama/Llama-3.2-1B",
      is_lora: true,
      lora_rank: 16,
      train_unembed: false,
      train_mlp: true,
      train_attn: true,
    });
    assertError(
      await api(s, "POST", "/api/v1/weights_info", { body: { tinker_path: "tinker://r/bogus/x" } }),
      400,
      /kind/,
    );
    assertError(
      await api(s, "POST", "/api/v1/weights_info", {
        body: { tinker_path: `tinker://${modelId}/weights/nope` },
      }),
      404,
      /not found/,
    );
    assertError(await api(s, "POST", "/api/v1/weights_info", { body: {} }), 422, /tinker_path/);
  });
});

Deno.test("server: publish/unpublish toggle, 409 when nothing changes", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    const path = (await save(s, modelId, "p1")).body.path;
    const published = await api(s, "POST", ckptPath(path, "/publish"));
    assert.equal(published.status, 200);
    assert.equal(published.body.public, true);
    const again = await api(s, "POST", ckptPath(path, "/publish"));
    assertError(again, 409, /already public/);
    assert.equal(again.headers.get("x-should-retry"), "false");
    assert.equal((await api(s, "DELETE", ckptPath(path, "/publish"))).body.public, false);
    assertError(await api(s, "DELETE", ckptPath(path, "/publish")), 409, /already private/);
    assert.equal((await api(s, "GET", ckptPath(path))).body.public, false);
  });
});

Deno.test("server: TTL sets and removes expires_at; expired checkpoints vanish everywhere", async () => {
  // minTtlSeconds: 1 lets this test watch a checkpoint expire (the service's minimum is 1 hour).
  await withServer({ minTtlSeconds: 1 }, async (s) => {
    const { modelId } = await createModel(s);
    const keep = (await save(s, modelId, "keep")).body.path;
    const brief = (await save(s, modelId, "brief", { seq: 2 })).body.path;
    const set = await api(s, "PUT", ckptPath(keep, "/ttl"), { body: { ttl_seconds: 3600 } });
    assert.equal(set.status, 200);
    const expires = Date.parse(set.body.expires_at);
    assert.ok(expires > Date.now() + 3500_000 && expires <= Date.now() + 3600_000);
    const removed = await api(s, "PUT", ckptPath(keep, "/ttl"), { body: { ttl_seconds: null } });
    assert.equal(removed.body.expires_at, null);
    // A non-positive TTL is a 400, as the Python SDK documents for set_checkpoint_ttl.
    for (const bad of [0, -5]) {
      assertError(
        await api(s, "PUT", ckptPath(keep, "/ttl"), { body: { ttl_seconds: bad } }),
        400,
        /ttl_seconds/,
      );
    }
    for (const bad of [1.5, "10", true]) {
      assertError(
        await api(s, "PUT", ckptPath(keep, "/ttl"), { body: { ttl_seconds: bad } }),
        422,
        /ttl_seconds/,
      );
    }
    assertError(await api(s, "PUT", ckptPath(keep, "/ttl"), { body: {} }), 422, /ttl_seconds/);

    assert.equal(
      (await api(s, "PUT", ckptPath(brief, "/ttl"), { body: { ttl_seconds: 1 } })).status,
      200,
    );
    await new Promise((r) => setTimeout(r, 1100));
    const list = await api(s, "GET", "/api/v1/checkpoints");
    assert.deepEqual(list.body.checkpoints.map((c: { tinker_path: string }) => c.tinker_path), [
      keep,
    ]);
    assert.equal(list.body.cursor.total_count, 1);
    assertError(await api(s, "GET", ckptPath(brief)), 404);
    assertError(await api(s, "GET", ckptPath(brief, "/archive")), 404);
    assertError(await api(s, "POST", ckptPath(brief, "/publish")), 404);
    assertError(await api(s, "DELETE", ckptPath(brief)), 404);
    // An expired name is free again.
    assert.equal((await save(s, modelId, "brief", { seq: 3 })).status, 200);
  });
});

Deno.test("server: delete removes the checkpoint and its archive", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    const path = (await save(s, modelId, "gone")).body.path;
    const url = (await api(s, "GET", ckptPath(path, "/archive"))).headers.get("location")!;
    const deleted = await api(s, "DELETE", ckptPath(path));
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.tinker_path, path);
    assertError(await api(s, "DELETE", ckptPath(path)), 404, /not found/);
    assert.equal((await api(s, "GET", "/api/v1/checkpoints")).body.checkpoints.length, 0);
    const stale = await fetch(url);
    assert.equal(stale.status, 404);
    assert.match((await stale.json()).detail, /no longer exists/);
    const objects = [...Deno.readDirSync(`${s.dataDir}/objects`)];
    assert.equal(objects.length, 0);
  });
});

Deno.test("server: sessions list and show their runs", async () => {
  await withServer({}, async (s) => {
    const a = await createModel(s);
    const b = await createModel(s);
    const list = await api(s, "GET", "/api/v1/sessions");
    assert.deepEqual(list.body.sessions, [b.sessionId, a.sessionId]);
    assert.deepEqual((await api(s, "GET", "/api/v1/sessions?limit=1&offset=1")).body.sessions, [
      a.sessionId,
    ]);
    const shown = await api(s, "GET", `/api/v1/sessions/${a.sessionId}`);
    assert.deepEqual(shown.body, { training_run_ids: [a.modelId], sampler_ids: [] });
    assertError(await api(s, "GET", "/api/v1/sessions/nope"), 404, /Session/);
    assertError(await api(s, "GET", `/api/v1/sessions/${a.sessionId}`, { key: BOB }), 404);
  });
});
