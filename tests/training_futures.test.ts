// Futures: try_again with queue state, complete_metadata, failures, 410, transport retries,
// overall timeout, abort; and seq_id ordering of one training client.
import assert from "node:assert/strict";
import {
  AbortError,
  createTrainingClient,
  createTrainingClientFromState,
  FutureExpiredError,
  FutureFailedError,
  type QueueStateInfo,
  retrieveFuture,
  saveState,
  saveWeightsForSampler,
  TimeoutError,
  TrainingStepError,
} from "../mod.ts";
import {
  json,
  type RecordedRequest,
  startRecordingServer,
  testConfig,
} from "./_recording_server.ts";

function body(r: RecordedRequest): Record<string, unknown> {
  return JSON.parse(r.body || "{}");
}

Deno.test("try_again reports the queue state, complete_metadata re-polls for the payload", async () => {
  const answers = [
    json({
      type: "try_again",
      request_id: "q1",
      queue_state: "paused_capacity",
      queue_state_reason: "busy",
    }),
    json({ type: "try_again", request_id: "q1", queue_state: "active" }),
    json({ status: "complete_metadata", response_payload_size: 20 }),
    json({ path: "tinker://r/weights/a" }),
  ];
  const srv = startRecordingServer((_r, i) => answers[i]);
  try {
    const states: QueueStateInfo[] = [];
    const r = await retrieveFuture<{ path: string }>(testConfig(srv.baseUrl), "q1", {
      onQueueState: (s) => states.push(s),
    });
    assert.equal(r.path, "tinker://r/weights/a");
    assert.deepEqual(states, [
      { requestId: "q1", queueState: "paused_capacity", reason: "busy" },
      { requestId: "q1", queueState: "active", reason: undefined },
    ]);
    assert.deepEqual(srv.requests.map((r) => body(r).allow_metadata_only), [
      true,
      true,
      true,
      false,
    ]);
    assert.ok(srv.requests.every((r) => r.path === "/api/v1/retrieve_future"));
    assert.ok(srv.requests.every((r) => body(r).request_id === "q1"));
  } finally {
    await srv.close();
  }
});

Deno.test("a failed future is a FutureFailedError with its category; 410 is expired", async () => {
  const srv = startRecordingServer(() => json({ error: "rank mismatch", category: "user" }));
  try {
    const err = await retrieveFuture(testConfig(srv.baseUrl), "q2").catch((e) => e);
    assert.ok(err instanceof FutureFailedError);
    assert.equal(err.category, "user");
    assert.equal(err.requestId, "q2");
    assert.match(err.message, /rank mismatch/);
    srv.respond(() => json({ error: "gpu fell over", category: "server" }));
    assert.equal(
      (await retrieveFuture(testConfig(srv.baseUrl), "q3").catch((e) => e) as FutureFailedError)
        .category,
      "server",
    );
    srv.respond(() => json({ detail: "expired" }, 410));
    await assert.rejects(retrieveFuture(testConfig(srv.baseUrl), "q4"), FutureExpiredError);
  } finally {
    await srv.close();
  }
});

Deno.test("transport failures while polling are retried with backoff", async () => {
  const srv = startRecordingServer((_r, i) => i < 2 ? json({}, 502) : json({ ok: 1 }));
  try {
    assert.deepEqual(await retrieveFuture(testConfig(srv.baseUrl), "q5"), { ok: 1 });
    assert.equal(srv.requests.length, 3);
  } finally {
    await srv.close();
  }
});

Deno.test("the overall future timeout and an abort both stop polling", async () => {
  const srv = startRecordingServer(() =>
    json({ type: "try_again", request_id: "q", queue_state: "active" })
  );
  try {
    await assert.rejects(
      retrieveFuture(testConfig(srv.baseUrl), "q", { futureTimeoutMs: 300 }),
      TimeoutError,
    );
    const ac = new AbortController();
    const p = retrieveFuture(testConfig(srv.baseUrl), "q", {
      signal: ac.signal,
      onQueueState: () => ac.abort(),
    });
    await assert.rejects(p, AbortError);
  } finally {
    await srv.close();
  }
});

/** A scripted service: every request answers a future that resolves at once. */
function trainingService(loadError?: string) {
  let n = 0;
  return (r: RecordedRequest) => {
    const b = body(r);
    if (r.path === "/api/v1/create_session") {
      return json({ session_id: "sess-9", type: "create_session" });
    }
    if (r.path === "/api/v1/retrieve_future") {
      const kind = String(b.request_id).split("#")[0];
      if (kind === "create_model") {
        return json({ model_id: "sess-9:train:0", type: "create_model" });
      }
      if (kind === "load_weights" && loadError) return json({ error: loadError, category: "user" });
      if (kind === "load_weights") return json({ path: "p", model_id: "sess-9:train:0" });
      if (kind === "unload_model") return json({ type: "unload_model" });
      return json({
        path: `tinker://sess-9:train:0/${
          kind === "save_weights" ? "weights" : "sampler_weights"
        }/x`,
      });
    }
    if (r.path === "/api/v1/weights_info") {
      return json({
        base_model: "m",
        is_lora: true,
        lora_rank: 4,
        train_unembed: false,
        train_mlp: true,
        train_attn: true,
      });
    }
    return json({ request_id: `${b.type}#${++n}` });
  };
}

Deno.test("a training client's requests carry seq_ids 1, 2, 3… sent in order", async () => {
  const srv = startRecordingServer(trainingService());
  try {
    const client = await createTrainingClient(testConfig(srv.baseUrl), {
      baseModel: "m",
      rank: 4,
      seed: 7,
    });
    assert.equal(client.modelId, "sess-9:train:0");
    const create = srv.requests.find((r) => r.path === "/api/v1/create_model")!;
    assert.deepEqual(body(create), {
      session_id: "sess-9",
      model_seq_id: 0,
      base_model: "m",
      lora_config: { rank: 4, seed: 7, train_unembed: true, train_mlp: true, train_attn: true },
      type: "create_model",
    });
    // Fired without awaiting each: still sent in seq order.
    const paths = await Promise.all([
      saveState(client, "a", { ttlSeconds: 3600 }),
      saveWeightsForSampler(client, "b"),
      saveState(client, "c"),
    ]);
    assert.equal(paths[0], "tinker://sess-9:train:0/weights/x");
    const saves = srv.requests.filter((r) => r.path.startsWith("/api/v1/save_weights")).map(body);
    assert.deepEqual(saves.map((b) => [b.seq_id, b.path, b.type]), [
      [1, "a", "save_weights"],
      [2, "b", "save_weights_for_sampler"],
      [3, "c", "save_weights"],
    ]);
    assert.equal(saves[0].ttl_seconds, 3600);
    assert.equal(saves[0].overwrite, false);
    assert.ok(!("ttl_seconds" in saves[1]), "null fields are omitted");
    assert.equal(client.lastSeqId, 3);
  } finally {
    await srv.close();
  }
});

Deno.test("createTrainingClientFromState uses the checkpoint's model and flags; a failed load releases the client", async () => {
  const path = "tinker://src:train:0/weights/e1";
  const srv = startRecordingServer(trainingService());
  try {
    await createTrainingClientFromState(testConfig(srv.baseUrl), path, { withOptimizer: true });
    const steps = srv.requests.filter((r) => r.path !== "/api/v1/retrieve_future").map((r) =>
      r.path
    );
    assert.deepEqual(steps, [
      "/api/v1/weights_info",
      "/api/v1/create_session",
      "/api/v1/create_model",
      "/api/v1/load_weights",
    ]);
    const create = body(srv.requests.find((r) => r.path === "/api/v1/create_model")!);
    assert.deepEqual(create.lora_config, {
      rank: 4,
      train_unembed: false,
      train_mlp: true,
      train_attn: true,
    });
    const load = body(srv.requests.find((r) => r.path === "/api/v1/load_weights")!);
    assert.deepEqual(load, {
      model_id: "sess-9:train:0",
      path,
      optimizer: true,
      type: "load_weights",
      seq_id: 1,
    });

    srv.requests.length = 0;
    srv.respond(trainingService("base model mismatch"));
    const err = await createTrainingClientFromState(testConfig(srv.baseUrl), path).catch((e) => e);
    assert.ok(err instanceof TrainingStepError);
    assert.equal(err.step, "load_weights");
    assert.equal(err.category, "user");
    assert.ok(err.cause instanceof FutureFailedError);
    assert.ok(
      srv.requests.some((r) => r.path === "/api/v1/unload_model"),
      "the client was released",
    );
  } finally {
    await srv.close();
  }
});
