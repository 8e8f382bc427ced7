/**
 * Resume training from the latest training checkpoint of a run: a new training client with the
 * checkpoint's base model, rank and optimizer state.
 *
 * Run: `npx -y deno@2 run -A examples/resume_training.ts [RUN_ID]`
 * @module
 */
import {
  configFromEnv,
  createTrainingClientFromState,
  getTrainingRun,
  listTrainingRuns,
  saveState,
  TrainingStepError,
} from "@tinkex/tinkex";

const config = configFromEnv();
let runId = Deno.args[0];
if (!runId) {
  const { training_runs } = await listTrainingRuns(config, { limit: 100 });
  runId = training_runs.find((r) => r.last_checkpoint)?.training_run_id ?? "";
}
if (!runId) throw new Error("No run with a training checkpoint to resume from");

const latest = (await getTrainingRun(config, runId)).last_checkpoint;
if (!latest) throw new Error(`Run ${runId} has no training checkpoint`);
console.log(`resuming from ${latest.tinker_path}`);

try {
  const client = await createTrainingClientFromState(config, latest.tinker_path, {
    withOptimizer: true,
    onQueueState: ({ queueState }) => console.error(`waiting for the service: ${queueState}`),
  });
  console.log(`new training run ${client.modelId} (${client.baseModel}, rank ${client.rank})`);
  // … continue training, then save again.
  console.log(`saved ${await saveState(client, "resumed")}`);
} catch (e) {
  if (e instanceof TrainingStepError) console.error(`could not resume: step ${e.step} failed`);
  throw e;
}
