/**
 * copy_weights, session finish, sampling sessions, samplers, server capabilities and get_info,
 * end to end over HTTP against the local server.
 */
import assert from "node:assert/strict";
import {
  BadRequestError,
  copyWeights,
  createSamplingSession,
  createSession,
  createTrainingClient,
  deleteCheckpoint,
  download,
  finishSession,
  getCheckpoint,
  getInfo,
  getSampler,
  getServerCapabilities,
  getSession,
  getTrainingRun,
  InvalidTinkerPathError,
  NotFoundError,
  publishCheckpoint,
  saveState,
  saveWeightsExternal,
  saveWeightsForSampler,
  type TinkerConfig,
} from "../mod.ts";
import type { RunningServer } from "../server.ts";
import { startRecordingServer } from "./_recording_server.ts";
import { ALICE, api, assertError, BOB, withServer, withTempDir } from "./_server_helpers.ts";

function cfg(server: RunningServer, apiKey = ALICE): TinkerConfig {
  return { apiKey, baseUrl: server.baseUrl, maxRetries: 0 };
}

Deno.test("copyWeights: a new private run holding the copy; others' public checkpoints too", async () => {
  await withServer({}, async (server) => {
    const alice = await createTrainingClient(cfg(server), { baseModel: "Qwen/Qwen3-8B", rank: 4 });
    const state = await saveState(alice, "s", { ttlSeconds: 3600, userMetadata: { k: "v" } });
    const copy = await copyWeights(cfg(server), state, { ttlSeconds: 86_400 });
    assert.match(copy, /^tinker:\/\/.+:train:0\/weights\/s$/);
    assert.notEqual(copy, state);
    const copied = await getCheckpoint(cfg(server), copy);
    const original = await getCheckpoint(cfg(server), state);
    assert.equal(copied.size_bytes, original.size_bytes);
    assert.deepEqual(copied.user_metadata, { k: "v" });
    assert.equal(copied.public, false);
    assert.ok(Date.parse(copied.expires_at!) > Date.parse(original.expires_at!), "own TTL");
    await withTempDir(async (dir) => {
      const a = await download(cfg(server), state, { outputDir: dir });
      const b = await download(cfg(server), copy, { outputDir: dir });
      for (const f of a.files) {
        assert.deepEqual(
          await Deno.readFile(`${b.destination}/${f.path}`),
          await Deno.readFile(`${a.destination}/${f.path}`),
        );
      }
    });
    // Deleting the source leaves the copy intact.
    await deleteCheckpoint(cfg(server), state);
    await withTempDir(async (dir) => {
      assert.ok((await download(cfg(server), copy, { outputDir: dir })).files.length > 0);
    });
    // The copy's run cannot be trained on.
    const run = await getTrainingRun(cfg(server), copy.split("/")[2]);
    const save = await api(server, "POST", "/api/v1/save_weights", {
      body: { model_id: run.training_run_id, path: "x", seq_id: 1, type: "save_weights" },
    });
    assertError(save, 400, /holds a copy .* cannot be trained/);

    // Bob: Alice's private checkpoint is a 404; once public he may copy it.
    const sampler = await saveWeightsForSampler(alice, "final");
    await assert.rejects(() => copyWeights(cfg(server, BOB), sampler), NotFoundError);
    await publishCheckpoint(cfg(server), sampler);
    const bobs = await copyWeights(cfg(server, BOB), sampler);
    assert.equal((await getCheckpoint(cfg(server, BOB), bobs)).checkpoint_type, "sampler");
    const bobRun = await getTrainingRun(cfg(server, BOB), bobs.split("/")[2]);
    const aliceRun = await getTrainingRun(cfg(server), alice.modelId);
    assert.notEqual(bobRun.model_owner, aliceRun.model_owner, "the copy is Bob's");
    // Two copies on one session take consecutive model_seq_ids.
    const session = await createSession(cfg(server));
    const one = await copyWeights(cfg(server), sampler, { session });
    const two = await copyWeights(cfg(server), sampler, { session });
    assert.deepEqual([one, two].map((p) => p.split("/")[2]), [
      `${session.sessionId}:train:0`,
      `${session.sessionId}:train:1`,
    ]);
    // Deleting a copy leaves its source intact, for an archive and for an external checkpoint.
    const external = await saveWeightsExternal(alice, "hf");
    for (const source of [sampler, external.path]) {
      const made = await copyWeights(cfg(server), source);
      await deleteCheckpoint(cfg(server), made);
      await withTempDir(async (dir) => {
        const { bytes } = await download(cfg(server), source, { outputDir: dir });
        assert.equal(bytes, (await getCheckpoint(cfg(server), source)).size_bytes, source);
      });
    }
  });
});

Deno.test("copyWeights: bad input is refused before any request", async () => {
  const srv = startRecordingServer();
  try {
    const config = { apiKey: "tml-x", baseUrl: srv.baseUrl };
    await assert.rejects(() => copyWeights(config, "s3://x"), InvalidTinkerPathError);
    await assert.rejects(
      () => copyWeights(config, "tinker://r/weights/a", { ttlSeconds: 60 }),
      RangeError,
    );
    assert.equal(srv.requests.length, 0);
  } finally {
    await srv.close();
  }
});

Deno.test("finishSession: first reason wins; heartbeats, new models, copies and samplers of it get 410", async () => {
  await withServer({}, async (server) => {
    const session = await createSession(cfg(server), { userMetadata: { who: "test" } });
    const id = session.sessionId;
    await finishSession(cfg(server), id, "errored", { detail: "loss diverged" });
    const again = await api(server, "POST", `/api/v1/sessions/${id}/finish`, {
      body: { reason: { type: "success" }, detail: null },
    });
    assert.equal(again.status, 200);
    assert.deepEqual([again.body.reason, again.body.detail], [
      { type: "errored" },
      "loss diverged",
    ]);
    assertError(
      await api(server, "POST", "/api/v1/session_heartbeat", {
        body: { session_id: id, type: "session_heartbeat" },
      }),
      410,
      /finished/,
    );
    await assert.rejects(
      () => createSamplingSession(cfg(server), { baseModel: "Qwen/Qwen3-8B" }, { session }),
      (e) => e instanceof Error && "status" in e && e.status === 410,
    );
    // Nor a training client or a copy: nothing new is made in a finished session.
    const model = await api(server, "POST", "/api/v1/create_model", {
      body: {
        session_id: id,
        model_seq_id: 0,
        base_model: "Qwen/Qwen3-8B",
        lora_config: { rank: 4 },
      },
    });
    assertError(model, 410, /has finished \(errored\); start a new session/);
    const copy = await api(server, "POST", "/api/v1/copy_weights", {
      body: { session_id: id, model_seq_id: 1, source_path: "tinker://r/weights/w" },
    });
    assertError(copy, 410, /has finished/);
    assert.deepEqual((await getSession(cfg(server), id)).user_metadata, { who: "test" });
    await assert.rejects(() => finishSession(cfg(server, BOB), id, "success"), NotFoundError);
    assertError(
      await api(server, "POST", `/api/v1/sessions/${id}/finish`, { body: { reason: "done" } }),
      422,
      /reason/,
    );
    await assert.rejects(
      () => finishSession(cfg(server), id, "done" as "success"),
      RangeError,
    );
  });
});

Deno.test("sampling sessions: from a sampler checkpoint (checked) or a base model; getSampler", async () => {
  await withServer({ baseModels: ["Qwen/Qwen3-8B", "meta-llama/Llama-3.2-1B"] }, async (server) => {
    const client = await createTrainingClient(cfg(server), { baseModel: "Qwen/Qwen3-8B", rank: 4 });
    const sampler = await saveWeightsForSampler(client, "final");
    const state = await saveState(client, "state");
    const session = await createSession(cfg(server));

    const fromCkpt = await createSamplingSession(cfg(server), { modelPath: sampler }, { session });
    assert.equal(fromCkpt, `${session.sessionId}:sample:0`);
    assert.deepEqual(await getSampler(cfg(server), fromCkpt), {
      sampler_id: fromCkpt,
      base_model: "Qwen/Qwen3-8B",
      model_path: sampler,
    });
    const fromBase = await createSamplingSession(cfg(server), {
      baseModel: "meta-llama/Llama-3.2-1B",
    }, { session });
    assert.equal((await getSampler(cfg(server), fromBase)).model_path, null);
    assert.deepEqual((await getSession(cfg(server), session.sessionId)).sampler_ids, [
      fromCkpt,
      fromBase,
    ]);

    // Wrong kind: refused by the client before any request, and by the server.
    await assert.rejects(
      () => createSamplingSession(cfg(server), { modelPath: state }),
      InvalidTinkerPathError,
    );
    const body = (extra: Record<string, unknown>) => ({
      session_id: session.sessionId,
      sampling_session_seq_id: 9,
      type: "create_sampling_session",
      ...extra,
    });
    const post = (extra: Record<string, unknown>, key = ALICE) =>
      api(server, "POST", "/api/v1/create_sampling_session", { key, body: body(extra) });
    assertError(await post({ model_path: state }), 400, /not a sampler checkpoint/);
    assertError(await post({ model_path: `tinker://${client.modelId}/sampler_weights/nope` }), 404);
    assertError(await post({ base_model: "some/unlisted" }), 400, /not supported/);
    assertError(await post({}), 400, /model_path.*base_model/);
    assertError(await post({ model_path: sampler, base_model: "meta-llama/Llama-3.2-1B" }), 400);
    assertError(await post({ model_path: sampler }, BOB), 404, /Session/);
    // Bob cannot read Alice's sampler, nor see her samplers in a session he may see.
    await assert.rejects(() => getSampler(cfg(server, BOB), fromCkpt), NotFoundError);
    await publishCheckpoint(cfg(server), sampler);
    const ofRun = await api(server, "POST", "/api/v1/create_sampling_session", {
      body: { session_id: client.sessionId, sampling_session_seq_id: 0, model_path: sampler },
    });
    assert.equal(ofRun.status, 200, ofRun.text);
    const seen = (key: string) =>
      getSession(cfg(server, key), client.sessionId, { accessScope: "accessible" });
    assert.deepEqual((await seen(ALICE)).sampler_ids, [ofRun.body.sampling_session_id]);
    assert.deepEqual(await seen(BOB), { training_run_ids: [client.modelId], sampler_ids: [] });
    // The unnamed save_weights_for_sampler also makes a sampler getSampler knows.
    const unnamed = await api(server, "POST", "/api/v1/save_weights_for_sampler", {
      body: { model_id: client.modelId, seq_id: 9, type: "save_weights_for_sampler" },
    });
    assert.equal(unnamed.status, 200);
  });
});

Deno.test("capabilities list the accepted base models; getInfo describes a training client", async () => {
  await withServer({ baseModels: ["Qwen/Qwen3-8B"] }, async (server) => {
    const caps = await getServerCapabilities(cfg(server));
    assert.deepEqual(caps.supported_models, [{ model_name: "Qwen/Qwen3-8B" }]);
    await assert.rejects(
      () => createTrainingClient(cfg(server), { baseModel: "other/model" }),
      (e) => e instanceof BadRequestError && /not supported/.test(e.message),
    );
    const client = await createTrainingClient(cfg(server), { baseModel: "Qwen/Qwen3-8B", rank: 8 });
    const info = await getInfo(client);
    assert.deepEqual(info.model_data, {
      arch: "qwen3",
      model_name: "Qwen/Qwen3-8B",
      tokenizer_id: "Qwen/Qwen3-8B",
    });
    assert.equal(info.model_id, client.modelId);
    assert.equal(info.lora_rank, 8);
  });
  await withServer({}, async (server) => {
    const caps = await getServerCapabilities(cfg(server));
    assert.ok(caps.supported_models.some((m) => m.model_name === "Qwen/Qwen3-8B"));
  });
});
