/**
 * user_metadata on sessions, runs and checkpoints, and base_model on checkpoints, end to end:
 * sent by the client, stored by the server (across a restart), returned on every listing; the
 * session's metadata is its owner's only.
 */
import assert from "node:assert/strict";
import {
  createTrainingClient,
  getCheckpoint,
  getSession,
  getTrainingRun,
  listCheckpoints,
  listUserCheckpoints,
  publishCheckpoint,
  saveState,
  saveWeightsForSampler,
  TINKER_SDK_VERSION,
  type TinkerConfig,
} from "../mod.ts";
import { serve } from "../server.ts";
import { contextOf } from "../src/server/http/handler.ts";
import { ALICE, BOB, withTempDir } from "./_server_helpers.ts";
import { startRecordingServer } from "./_recording_server.ts";

Deno.test("metadata: on the session, the run and each checkpoint; base_model on checkpoints", async () => {
  await withTempDir(async (dataDir) => {
    const start = () => serve({ dataDir, apiKeys: [ALICE, BOB], futureDelayMs: 0 });
    let server = await start();
    const cfg = (key: string): TinkerConfig => ({ apiKey: key, baseUrl: server.baseUrl });
    const client = await createTrainingClient(cfg(ALICE), {
      baseModel: "Qwen/Qwen3-8B",
      rank: 4,
      userMetadata: { experiment: "lr-sweep" },
    });
    const state = await saveState(client, "s1", { userMetadata: { step: "100", lr: "1e-4" } });
    const sampler = await saveWeightsForSampler(client, "s1");
    const { sdk_version } = contextOf(server.handler).store.session(client.sessionId)!;
    assert.equal(sdk_version, TINKER_SDK_VERSION, "the SDK version tinkex follows is sent");
    await server.close();
    server = await start(); // everything below survives a restart

    const byPath = new Map(
      (await listCheckpoints(cfg(ALICE), { runId: client.modelId })).checkpoints.map((c) => [
        c.tinker_path,
        c,
      ]),
    );
    assert.deepEqual(byPath.get(state)?.user_metadata, { step: "100", lr: "1e-4" });
    assert.equal(byPath.get(sampler)?.user_metadata, null);
    assert.equal(byPath.get(state)?.base_model, "Qwen/Qwen3-8B");
    const run = await getTrainingRun(cfg(ALICE), client.modelId);
    assert.deepEqual(run.user_metadata, { experiment: "lr-sweep" });
    assert.deepEqual(run.last_checkpoint?.user_metadata, { step: "100", lr: "1e-4" });
    const session = await getSession(cfg(ALICE), client.sessionId);
    assert.deepEqual(session.user_metadata, { experiment: "lr-sweep" });

    // Overwriting replaces the metadata (none given: none kept), as the service documents.
    const again = await createTrainingClient(cfg(ALICE), { baseModel: "Qwen/Qwen3-8B", rank: 4 });
    const path = await saveState(again, "x", { userMetadata: { a: "1" } });
    await saveState(again, "x", { overwrite: true });
    assert.equal((await getCheckpoint(cfg(ALICE), path)).user_metadata, null);

    // Bob sees a public checkpoint's metadata, not the session's.
    await publishCheckpoint(cfg(ALICE), state);
    assert.deepEqual((await getCheckpoint(cfg(BOB), state)).user_metadata, {
      step: "100",
      lr: "1e-4",
    });
    const asBob = await getSession(cfg(BOB), client.sessionId, { accessScope: "accessible" });
    assert.deepEqual(asBob.training_run_ids, [client.modelId]);
    assert.equal(asBob.user_metadata ?? null, null, "not the session's metadata");
    await server.close();
  });
});

Deno.test("metadata: the wire bodies of create_session, create_model and the saves", async () => {
  const srv = startRecordingServer((req) => {
    const reply = req.path.endsWith("create_session")
      ? { session_id: "s" }
      : req.path.endsWith("create_model")
      ? { model_id: "s:train:0" }
      : { path: "tinker://s:train:0/weights/a" };
    return new Response(JSON.stringify(reply), { headers: { "content-type": "application/json" } });
  });
  try {
    const client = await createTrainingClient({ apiKey: "tml-x", baseUrl: srv.baseUrl }, {
      baseModel: "m/x",
      userMetadata: { k: "v" },
    });
    await saveState(client, "a", { userMetadata: { step: "1" } });
    await saveWeightsForSampler(client, "a");
    const bodies = srv.requests.map((r) => JSON.parse(r.body));
    assert.deepEqual(bodies[0], {
      tags: [],
      user_metadata: { k: "v" },
      sdk_version: TINKER_SDK_VERSION,
      type: "create_session",
    });
    assert.deepEqual(bodies[1].user_metadata, { k: "v" });
    assert.deepEqual(bodies[2].user_metadata, { step: "1" });
    assert.ok(!("user_metadata" in bodies[3]), "no metadata: the field is left out");
  } finally {
    await srv.close();
  }
});

Deno.test("sdk_version: client/config (asked when auth is auto) is sent the SDK version tinkex follows", async () => {
  const srv = startRecordingServer((req) =>
    Response.json(req.path.endsWith("client/config") ? {} : { checkpoints: [], cursor: null })
  );
  try {
    await listUserCheckpoints({ apiKey: "tml-x", baseUrl: srv.baseUrl, auth: "auto" });
    const [config] = srv.requests;
    assert.equal(config.path, "/api/v1/client/config");
    // The service resolves its feature flags from this; tinkex's own version would ask for those
    // of an SDK that never existed with these features.
    assert.deepEqual(JSON.parse(config.body), { sdk_version: TINKER_SDK_VERSION });
  } finally {
    await srv.close();
  }
});
