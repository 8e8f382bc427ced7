import assert from "node:assert/strict";
import {
  ALICE,
  api,
  assertError,
  awaitFuture,
  ckptPath,
  createModel,
  runFuture,
  save,
  submitCreateModel,
  withServer,
} from "./_server_helpers.ts";

function load(
  s: Parameters<typeof runFuture>[0],
  modelId: string,
  path: string,
  optimizer: boolean,
  seq = 1,
): ReturnType<typeof runFuture> {
  return runFuture(s, "/api/v1/load_weights", {
    model_id: modelId,
    seq_id: seq,
    path,
    optimizer,
    type: "load_weights",
  });
}

function optimStep(s: Parameters<typeof runFuture>[0], modelId: string, seq: number) {
  return runFuture(s, "/api/v1/optim_step", { model_id: modelId, seq_id: seq, type: "optim_step" });
}

Deno.test("server: create_session, heartbeat and create_model (model id <session>:train:<n>)", async () => {
  await withServer({}, async (s) => {
    const session = await api(s, "POST", "/api/v1/create_session", {
      body: {
        tags: ["t"],
        user_metadata: { team: "a" },
        sdk_version: "0.25",
        type: "create_session",
      },
    });
    assert.equal(session.status, 200);
    assert.equal(session.body.type, "create_session");
    const sessionId = session.body.session_id;
    const beat = await api(s, "POST", "/api/v1/session_heartbeat", {
      body: { session_id: sessionId, type: "session_heartbeat" },
    });
    assert.deepEqual(beat.body, { type: "session_heartbeat" });
    assertError(
      await api(s, "POST", "/api/v1/session_heartbeat", { body: { session_id: "nope" } }),
      404,
      /Session/,
    );

    const submitted = await api(s, "POST", "/api/v1/create_model", {
      body: {
        session_id: sessionId,
        model_seq_id: 3,
        base_model: "Qwen/Qwen3-8B",
        user_metadata: { purpose: "test" },
        lora_config: { rank: 16, seed: 7, train_unembed: true, train_mlp: true, train_attn: false },
        type: "create_model",
      },
    });
    assert.equal(submitted.status, 200);
    assert.equal(submitted.body.model_id, `${sessionId}:train:3`);
    const result = await awaitFuture(s, submitted.body.request_id);
    assert.deepEqual(result.body, { model_id: `${sessionId}:train:3`, type: "create_model" });

    const run = await api(
      s,
      "GET",
      `/api/v1/training_runs/${encodeURIComponent(result.body.model_id)}`,
    );
    assert.equal(run.body.base_model, "Qwen/Qwen3-8B");
    assert.equal(run.body.lora_rank, 16);
    assert.deepEqual(run.body.user_metadata, { purpose: "test" });
    assert.equal(run.body.optimizer_step, 0);
    assert.deepEqual((await api(s, "GET", `/api/v1/sessions/${sessionId}`)).body.training_run_ids, [
      result.body.model_id,
    ]);

    // The same model_seq_id again is a user error of the future.
    const again = await runFuture(s, "/api/v1/create_model", {
      session_id: sessionId,
      model_seq_id: 3,
      base_model: "Qwen/Qwen3-8B",
      lora_config: { rank: 16 },
    });
    assert.equal(again.body.category, "user");
    assert.match(again.body.error, /already exists/);
  });
});

Deno.test("server: save_weights and save_weights_for_sampler make listed checkpoints", async () => {
  await withServer({}, async (s) => {
    const { modelId, sessionId } = await createModel(s);
    const state = await save(s, modelId, "0001", { ttl: 3600 });
    assert.deepEqual(state.body, {
      path: `tinker://${modelId}/weights/0001`,
      type: "save_weights",
    });
    const sampler = await save(s, modelId, "final", { sampler: true, seq: 2 });
    assert.equal(sampler.body.path, `tinker://${modelId}/sampler_weights/final`);
    const list = await api(
      s,
      "GET",
      `/api/v1/training_runs/${encodeURIComponent(modelId)}/checkpoints`,
    );
    assert.deepEqual(list.body.checkpoints.map((c: { checkpoint_id: string }) => c.checkpoint_id), [
      "sampler_weights/final",
      "weights/0001",
    ]);
    assert.ok(list.body.checkpoints[1].expires_at);
    const run = await api(s, "GET", `/api/v1/training_runs/${encodeURIComponent(modelId)}`);
    assert.equal(run.body.last_checkpoint.checkpoint_id, "weights/0001");
    assert.equal(run.body.last_sampler_checkpoint.checkpoint_id, "sampler_weights/final");
    assert.equal(run.body.last_seq_id, 2);

    // Without a name, save_weights_for_sampler makes a sampling session instead.
    const ephemeral = await runFuture(s, "/api/v1/save_weights_for_sampler", {
      model_id: modelId,
      seq_id: 3,
      type: "save_weights_for_sampler",
    });
    assert.equal(ephemeral.body.path, null);
    assert.match(ephemeral.body.sampling_session_id, new RegExp(`^${sessionId}:sample:`));
    const session = await api(s, "GET", `/api/v1/sessions/${sessionId}`);
    assert.deepEqual(session.body.sampler_ids, [ephemeral.body.sampling_session_id]);
  });
});

Deno.test("server: saving over an existing name fails clearly unless overwrite", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    const first = await save(s, modelId, "same");
    const before = (await api(s, "GET", ckptPath(first.body.path))).body;
    const clash = await save(s, modelId, "same", { seq: 2 });
    assert.equal(clash.body.category, "user");
    assert.match(clash.body.error, /already exists.*overwrite/);
    assert.deepEqual((await api(s, "GET", ckptPath(first.body.path))).body, before);
    const objects = () => [...Deno.readDirSync(`${s.dataDir}/objects`)].length;
    assert.equal(objects(), 1, "the clashing archive was cleaned up");
    const replaced = await save(s, modelId, "same", { seq: 3, overwrite: true });
    assert.equal(replaced.body.path, first.body.path);
    const after = (await api(s, "GET", ckptPath(first.body.path))).body;
    assert.ok(Date.parse(after.time) >= Date.parse(before.time));
    assert.equal(objects(), 1, "the replaced archive was removed");
    // The same name of the other kind is a different checkpoint.
    assert.equal((await save(s, modelId, "same", { sampler: true, seq: 4 })).status, 200);
  });
});

Deno.test("server: load with optimizer restores the saved step; without resets it", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    for (let seq = 1; seq <= 3; seq++) {
      assert.equal((await optimStep(s, modelId, seq)).body.metrics.optimizer_step, seq);
    }
    const path = (await save(s, modelId, "at3", { seq: 4 })).body.path;
    await optimStep(s, modelId, 5);
    const runPath = `/api/v1/training_runs/${encodeURIComponent(modelId)}`;
    assert.equal((await api(s, "GET", runPath)).body.optimizer_step, 4);

    // A load must be a model's first request (the service's rule): each goes to a new model.
    const withOptModel = await createModel(s);
    const withOptRun = `/api/v1/training_runs/${encodeURIComponent(withOptModel.modelId)}`;
    const withOpt = await load(s, withOptModel.modelId, path, true);
    assert.deepEqual(withOpt.body, {
      path,
      model_id: withOptModel.modelId,
      optimizer_step: 3,
      type: "load_weights",
    });
    assert.equal((await api(s, "GET", withOptRun)).body.optimizer_step, 3);
    assert.equal((await api(s, "GET", withOptRun)).body.loaded_from, path);

    const withoutModel = await createModel(s);
    const without = await load(s, withoutModel.modelId, path, false);
    assert.equal(without.body.optimizer_step, 0);
    const withoutRun = `/api/v1/training_runs/${encodeURIComponent(withoutModel.modelId)}`;
    assert.equal((await api(s, "GET", withoutRun)).body.optimizer_step, 0);
    assert.equal((await api(s, "GET", runPath)).body.optimizer_step, 4, "the source is untouched");

    // A fresh model resumed from the checkpoint (create_training_client_from_state).
    const info = await api(s, "POST", "/api/v1/weights_info", { body: { tinker_path: path } });
    const resumed = await createModel(s, {
      baseModel: info.body.base_model,
      rank: info.body.lora_rank,
    });
    assert.equal((await load(s, resumed.modelId, path, true, 1)).body.optimizer_step, 3);
  });
});

Deno.test("server: load failures are user errors: mismatch, sampler checkpoint, missing, bad path", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s, { baseModel: "Qwen/Qwen3-8B", rank: 8 });
    const training = (await save(s, modelId, "t")).body.path;
    const sampler = (await save(s, modelId, "s", { sampler: true })).body.path;

    const otherRank = await createModel(s, { baseModel: "Qwen/Qwen3-8B", rank: 16 });
    const rank = await load(s, otherRank.modelId, training, true);
    assert.equal(rank.body.category, "user");
    assert.match(rank.body.error, /LoRA rank: checkpoint has 8, model has 16/);

    const otherBase = await createModel(s, { baseModel: "meta-llama/Llama-3.2-1B", rank: 8 });
    const base = await load(s, otherBase.modelId, training, false);
    assert.equal(base.body.category, "user");
    assert.match(base.body.error, /base model/);

    // Each load is the first request of a fresh model (the service's rule).
    const fresh = async () =>
      (await createModel(s, { baseModel: "Qwen/Qwen3-8B", rank: 8 })).modelId;
    const wrongKind = await load(s, await fresh(), sampler, false);
    assert.equal(wrongKind.body.category, "user");
    assert.match(wrongKind.body.error, /sampler checkpoint/);

    const missing = await load(s, await fresh(), `tinker://${modelId}/weights/nope`, false);
    assert.equal(missing.body.category, "user");
    assert.match(missing.body.error, /not found/);

    const bad = await load(s, await fresh(), "s3://bucket/x", false);
    assert.equal(bad.body.category, "user");
    assert.match(bad.body.error, /Invalid tinker path/);

    // None of the failures changed the model.
    const run = await api(
      s,
      "GET",
      `/api/v1/training_runs/${encodeURIComponent(otherRank.modelId)}`,
    );
    assert.equal(run.body.loaded_from, null);
  });
});

Deno.test("server: retrieve_future long-polls, then try_again with queue_state; result after the delay", async () => {
  await withServer({ futureDelayMs: 150, longPollMs: 10 }, async (s) => {
    const submitted = await submitCreateModel(s);
    const states: unknown[] = [];
    const done = await awaitFuture(s, submitted.body.request_id, ALICE, (b) => {
      assert.equal(b.request_id, submitted.body.request_id);
      states.push(b.queue_state);
    });
    assert.ok(states.length > 0, "try_again was answered at least once");
    for (const q of states) {
      assert.ok(["active", "paused_capacity", "paused_rate_limit"].includes(q as string));
    }
    assert.equal(done.body.model_id, submitted.body.model_id);
  });
});

Deno.test("server: complete_metadata first when allowed; 410 for unknown and expired futures", async () => {
  await withServer({ futureTtlMs: 300 }, async (s) => {
    const submitted = await submitCreateModel(s);
    const id = submitted.body.request_id;
    const meta = await api(s, "POST", "/api/v1/retrieve_future", {
      body: { request_id: id, allow_metadata_only: true },
    });
    assert.equal(meta.body.status, "complete_metadata");
    const full = await api(s, "POST", "/api/v1/retrieve_future", {
      body: { request_id: id, allow_metadata_only: false },
    });
    assert.equal(meta.body.response_payload_size, new TextEncoder().encode(full.text).length);
    await new Promise((r) => setTimeout(r, 350));
    assertError(
      await api(s, "POST", "/api/v1/retrieve_future", { body: { request_id: id } }),
      410,
      /expired/,
    );
    assertError(
      await api(s, "POST", "/api/v1/retrieve_future", { body: { request_id: "req-unknown" } }),
      410,
      /unknown/,
    );
    assertError(await api(s, "POST", "/api/v1/retrieve_future", { body: {} }), 422, /request_id/);
  });
});

Deno.test("server: a retried submission with the same X-Idempotency-Key runs once", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    const body = { model_id: modelId, path: "once", seq_id: 1, type: "save_weights" };
    const headers = { "x-idempotency-key": "retry-1" };
    const a = await api(s, "POST", "/api/v1/save_weights", { body, headers });
    const b = await api(s, "POST", "/api/v1/save_weights", { body, headers });
    assert.equal(a.body.request_id, b.body.request_id);
    const result = await awaitFuture(s, b.body.request_id);
    assert.equal(result.body.path, `tinker://${modelId}/weights/once`);
  });
});

Deno.test("server: malformed training requests are 4xx at once, nothing created", async () => {
  await withServer({}, async (s) => {
    const { modelId, sessionId } = await createModel(s);
    const cases: [string, unknown, number, RegExp][] = [
      [
        "create_model",
        { session_id: sessionId, model_seq_id: 1, base_model: "m" },
        422,
        /lora_config/,
      ],
      [
        "create_model",
        { session_id: sessionId, model_seq_id: 1, base_model: "m", lora_config: { rank: 0 } },
        422,
        /rank/,
      ],
      [
        "create_model",
        { session_id: sessionId, model_seq_id: -1, base_model: "m", lora_config: { rank: 4 } },
        422,
        /model_seq_id/,
      ],
      [
        "create_model",
        { session_id: sessionId, model_seq_id: 1, base_model: "", lora_config: { rank: 4 } },
        422,
        /base_model/,
      ],
      [
        "create_model",
        {
          session_id: sessionId,
          model_seq_id: 1,
          base_model: "m",
          lora_config: { rank: 4, train_attn: false, train_mlp: false, train_unembed: false },
        },
        422,
        /train something/,
      ],
      [
        "create_model",
        { session_id: "nope", model_seq_id: 1, base_model: "m", lora_config: { rank: 4 } },
        404,
        /Session/,
      ],
      [
        "create_model",
        {
          session_id: sessionId,
          model_seq_id: 1,
          base_model: "m",
          lora_config: { rank: 4 },
          type: "x",
        },
        422,
        /type/,
      ],
      ["save_weights", { model_id: modelId, path: "a/b", seq_id: 1 }, 422, /path/],
      ["save_weights", { model_id: modelId, seq_id: 1 }, 422, /path/],
      ["save_weights", { model_id: modelId, path: "..", seq_id: 1 }, 422, /path/],
      ["save_weights", { model_id: modelId, path: " x", seq_id: 1 }, 422, /path/],
      ["save_weights", { model_id: modelId, path: "a\u0000b", seq_id: 1 }, 422, /path/],
      [
        "save_weights",
        { model_id: modelId, path: "ok", seq_id: 1, ttl_seconds: 0 },
        422,
        /ttl_seconds/,
      ],
      [
        "save_weights",
        { model_id: modelId, path: "ok", seq_id: 1, overwrite: "yes" },
        422,
        /overwrite/,
      ],
      ["save_weights", { model_id: "nope", path: "ok", seq_id: 1 }, 404, /Model/],
      ["load_weights", { model_id: modelId, seq_id: 1 }, 422, /path/],
      [
        "load_weights",
        { model_id: modelId, seq_id: 1, path: "tinker://x/weights/y", optimizer: 1 },
        422,
        /optimizer/,
      ],
      ["create_session", "[1]", 400, /JSON object/],
      ["save_weights", "{not json", 400, /not valid JSON/],
      ["save_weights", "", 400, /empty/],
    ];
    for (const [route, body, status, pattern] of cases) {
      assertError(await api(s, "POST", `/api/v1/${route}`, { body }), status, pattern);
    }
    assert.equal((await api(s, "GET", "/api/v1/training_runs")).body.cursor.total_count, 1);
    assert.equal((await api(s, "GET", "/api/v1/checkpoints")).body.cursor.total_count, 0);
  });
});
