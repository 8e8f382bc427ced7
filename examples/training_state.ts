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

// Weights only: the optimizer starts fresh. With the optimizer: training resumes exactly.
await loadState(client, statePath);
const resumed = await loadStateWithOptimizer(client, statePath);
console.log(`loaded ${statePath} with optimizer`, resumed);

await releaseTrainingClient(client);
