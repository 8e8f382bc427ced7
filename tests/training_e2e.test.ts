// Training state end to end against the local server: save → list → load, optimizer step
// restored or reset, mismatches and misuse as typed user errors, resume from a checkpoint.
import assert from "node:assert/strict";
import {
  BadRequestError,
  createTrainingClient,
  createTrainingClientFromState,
  FutureExpiredError,
  FutureFailedError,
  getTrainingRun,
  getWeightsInfo,
  listCheckpoints,
  loadState,
  loadStateWithOptimizer,
  type QueueStateInfo,
  releaseTrainingClient,
  retrieveFuture,
  saveState,
  saveWeightsForSampler,
  type TinkerConfig,
  type TrainingClient,
  TrainingStepError,
} from "../mod.ts";
import { ALICE, api, BOB, withServer } from "./_server_helpers.ts";
import type { RunningServer } from "../server.ts";

function configFor(server: RunningServer, apiKey = ALICE): TinkerConfig {
  return { apiKey, baseUrl: server.baseUrl, retryInitialDelayMs: 1, retryMaxDelayMs: 5 };
}

/** Advance the optimizer (the local server's optim_step extension), as training would, and wait. */
async function optimSteps(server: RunningServer, client: TrainingClient, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await api(server, "POST", "/api/v1/optim_step", {
      body: { model_id: client.modelId, type: "optim_step" },
    });
    assert.equal(r.status, 200);
    await retrieveFuture(configFor(server), r.body.request_id);
  }
}

Deno.test("save → list → load: paths, kinds, TTL, and the optimizer step restored or reset", async () => {
  await withServer({ futureDelayMs: 30, longPollMs: 10 }, async (server) => {
    const config = configFor(server);
    const states: QueueStateInfo[] = [];
    const client = await createTrainingClient(config, {
      baseModel: "Qwen/Qwen3-8B",
      rank: 8,
      onQueueState: (s) => states.push(s),
    });
    assert.match(client.modelId, /^.+:train:0$/);
    assert.ok(states.length > 0, "the pending future answered try_again first");

    await optimSteps(server, client, 3);
    const statePath = await saveState(client, "step-3", { ttlSeconds: 3600 });
    const samplerPath = await saveWeightsForSampler(client, "step-3");
    assert.equal(statePath, `tinker://${client.modelId}/weights/step-3`);
    assert.equal(samplerPath, `tinker://${client.modelId}/sampler_weights/step-3`);

    const { checkpoints } = await listCheckpoints(config, { runId: client.modelId });
    const byPath = new Map(checkpoints.map((c) => [c.tinker_path, c]));
    assert.equal(byPath.get(statePath)?.checkpoint_type, "training");
    assert.equal(byPath.get(samplerPath)?.checkpoint_type, "sampler");
    assert.ok(byPath.get(statePath)?.expires_at, "the TTL was applied");
    assert.equal(byPath.get(samplerPath)?.expires_at, null);

    const info = await getWeightsInfo(config, statePath);
    assert.deepEqual([info.base_model, info.lora_rank], ["Qwen/Qwen3-8B", 8]);

    await optimSteps(server, client, 2); // now at step 5
    // A load must be a training client's first request (the service's rule): new clients.
    const opts = { baseModel: "Qwen/Qwen3-8B", rank: 8 };
    const withOpt = await loadStateWithOptimizer(
      await createTrainingClient(config, opts),
      statePath,
    );
    assert.equal(withOpt.optimizer_step, 3, "with optimizer: back at the step it was saved at");
    const withoutOpt = await loadState(await createTrainingClient(config, opts), statePath);
    assert.equal(withoutOpt.optimizer_step, 0, "without optimizer: the optimizer starts fresh");
    assert.equal(client.lastSeqId, 2, "its two saves took seq_ids 1 and 2");
    await releaseTrainingClient(client);
  });
});

Deno.test("saving over an existing name fails clearly unless overwrite", async () => {
  await withServer({}, async (server) => {
    const client = await createTrainingClient(configFor(server), { baseModel: "m/x", rank: 4 });
    await saveState(client, "same");
    const err = await saveState(client, "same").catch((e) => e);
    assert.ok(err instanceof FutureFailedError, String(err));
    assert.equal(err.category, "user");
    assert.match(err.message, /exists/);
    assert.equal(
      await saveState(client, "same", { overwrite: true }),
      `tinker://${client.modelId}/weights/same`,
    );
  });
});

Deno.test("loading a mismatched base model or rank, or a sampler checkpoint, is a user error", async () => {
  await withServer({}, async (server) => {
    const config = configFor(server);
    const source = await createTrainingClient(config, { baseModel: "Qwen/Qwen3-8B", rank: 8 });
    const state = await saveState(source, "s");
    const sampler = await saveWeightsForSampler(source, "s");

    const otherRank = await createTrainingClient(config, { baseModel: "Qwen/Qwen3-8B", rank: 16 });
    const otherModel = await createTrainingClient(config, {
      baseModel: "meta-llama/Llama-3.2-1B",
      rank: 8,
    });
    for (const [client, why] of [[otherRank, /rank/i], [otherModel, /base model/i]] as const) {
      const err = await loadState(client, state).catch((e) => e);
      assert.ok(err instanceof FutureFailedError, String(err));
      assert.equal(err.category, "user");
      assert.match(err.message, why);
    }
    const fresh = await createTrainingClient(config, { baseModel: "Qwen/Qwen3-8B", rank: 8 });
    const err = await loadState(fresh, sampler).catch((e) => e);
    assert.ok(err instanceof FutureFailedError);
    assert.equal(err.category, "user");
    assert.match(err.message, /sampler/i);
  });
});

Deno.test("the load rule: a load later in a client's life is the service's 400", async () => {
  await withServer({}, async (server) => {
    const config = configFor(server);
    const client = await createTrainingClient(config, { baseModel: "Qwen/Qwen3-8B", rank: 8 });
    const state = await saveState(client, "s"); // seq_id 1
    const err = await loadState(client, state).catch((e) => e);
    assert.ok(err instanceof BadRequestError, String(err));
    assert.match(err.message, /LoadWeights is not permitted with seq_id 2/);
    // createTrainingClientFromState keeps working: its load is the new client's first request.
    const resumed = await createTrainingClientFromState(config, state);
    assert.equal(resumed.lastSeqId, 1);
    assert.equal(await saveState(resumed, "next"), `tinker://${resumed.modelId}/weights/next`);
  });
});

Deno.test("createTrainingClientFromState resumes with the checkpoint's model, rank and optimizer", async () => {
  await withServer({}, async (server) => {
    const config = configFor(server);
    const source = await createTrainingClient(config, {
      baseModel: "meta-llama/Llama-3.2-1B",
      rank: 16,
      trainUnembed: false,
    });
    await optimSteps(server, source, 7);
    const path = await saveState(source, "epoch-1");

    const resumed = await createTrainingClientFromState(config, path, { withOptimizer: true });
    assert.notEqual(resumed.modelId, source.modelId);
    assert.equal(resumed.baseModel, "meta-llama/Llama-3.2-1B");
    assert.equal(resumed.rank, 16);
    const run = await getTrainingRun(config, resumed.modelId);
    assert.equal(run.lora_rank, 16);
    assert.equal(run.optimizer_step, 7, "the optimizer state came along");
    const again = await saveState(resumed, "epoch-2");
    assert.equal(again, `tinker://${resumed.modelId}/weights/epoch-2`);
  });
});

Deno.test("createTrainingClientFromState names the failed step", async () => {
  await withServer({}, async (server) => {
    // Another user's private checkpoint: weights_info is a 404 for Bob.
    const alice = await createTrainingClient(configFor(server), { baseModel: "m/x", rank: 4 });
    const path = await saveState(alice, "private");
    const err = await createTrainingClientFromState(configFor(server, BOB), path).catch((e) => e);
    assert.ok(err instanceof TrainingStepError, String(err));
    assert.equal(err.step, "weights_info");
    assert.equal(err.category, "user");
    // A missing checkpoint of one's own run: weights_info fails too, before any model is made.
    const missing = `tinker://${alice.modelId}/weights/nope`;
    const err2 = await createTrainingClientFromState(configFor(server), missing).catch((e) => e);
    assert.ok(err2 instanceof TrainingStepError);
    assert.equal(err2.step, "weights_info");
  });
});

Deno.test("a future the server does not know (expired, or never made) is a FutureExpiredError", async () => {
  await withServer({}, async (server) => {
    const err = await retrieveFuture(configFor(server), "no-such-request").catch((e) => e);
    assert.ok(err instanceof FutureExpiredError, String(err));
    assert.equal(err.requestId, "no-such-request");
  });
});
