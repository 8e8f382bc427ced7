/**
 * A training run's details, by id and by one of its checkpoints' tinker paths.
 *
 * Run: `npx -y deno@2 run -A examples/run_details.ts [RUN_ID]`
 * @module
 */
import {
  configFromEnv,
  getTrainingRun,
  getTrainingRunByTinkerPath,
  listTrainingRuns,
} from "@tinkex/tinkex";

const config = configFromEnv();
const runId = Deno.args[0] ??
  (await listTrainingRuns(config, { limit: 1 })).training_runs[0]?.training_run_id;
if (!runId) throw new Error("No training runs yet");

const run = await getTrainingRun(config, runId);
console.log(JSON.stringify(run, null, 2));

const latest = run.last_checkpoint ?? run.last_sampler_checkpoint;
if (latest) {
  const same = await getTrainingRunByTinkerPath(config, latest.tinker_path);
  console.log(`${latest.tinker_path} belongs to ${same.training_run_id}`);
}
