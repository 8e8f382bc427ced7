/**
 * List one training run's checkpoints (the first run you own, or the run id given).
 *
 * Run: `npx -y deno@2 run -A examples/list_run_checkpoints.ts [RUN_ID]`
 * @module
 */
import { configFromEnv, listCheckpoints, listTrainingRuns } from "@tinkex/tinkex";

const config = configFromEnv();
const runId = Deno.args[0] ??
  (await listTrainingRuns(config, { limit: 1 })).training_runs[0]?.training_run_id;
if (!runId) throw new Error("No training runs yet: train something first");

const { checkpoints } = await listCheckpoints(config, { runId });
console.log(`Run ${runId}: ${checkpoints.length} checkpoints`);
for (const c of checkpoints) {
  const expiry = c.expires_at ? `expires ${c.expires_at}` : "never expires";
  console.log(`  ${c.checkpoint_id}  ${c.public ? "public" : "private"}  ${expiry}`);
}
