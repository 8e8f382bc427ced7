/**
 * Saving and loading training state: save → list → load, with and without the optimizer.
 *
 * Run: `npx -y deno@2 run -A examples/training_state.ts`
 * @module
 */
import {
  configFromEnv,
  createTrainingClient,
  listCheckpoints,
  loadState,
  loadStateWithOptimizer,
  releaseTrainingClient,
  saveState,
  saveWeightsForSampler,
} from "@tinkex/tinkex";

const config = configFromEnv();
const client = await createTrainingClient(config, { baseModel: "Qwen/Qwen3-8B", rank: 8 });
console.log(`training run ${client.modelId}`);

// … train for a while, then save the full state (weights + optimizer) and sampler weights.
const statePath = await saveState(client, "step-100", { ttlSeconds: 7 * 24 * 3600 });
const samplerPath = await saveWeightsForSampler(client, "step-100");
console.log(`saved ${statePath}\nsaved ${samplerPath}`);

const { checkpoints } = await listCheckpoints(config, { runId: client.modelId });
for (const c of checkpoints) console.log(`  listed ${c.checkpoint_id} (${c.checkpoint_type})`);

// A load must be a training client's first request (the service refuses it later), so each
// load goes into a new client. Weights only: the optimizer starts fresh. With the optimizer:
// training resumes exactly.
const fresh = await createTrainingClient(config, { baseModel: "Qwen/Qwen3-8B", rank: 8 });
await loadState(fresh, statePath);
const exact = await createTrainingClient(config, { baseModel: "Qwen/Qwen3-8B", rank: 8 });
const resumed = await loadStateWithOptimizer(exact, statePath);
console.log(`loaded ${statePath} with optimizer`, resumed);

for (const c of [client, fresh, exact]) await releaseTrainingClient(c);
