/**
 * List training runs: yours, then everything you can access (yours plus others' public runs).
 *
 * Run: `npx -y deno@2 run -A examples/list_runs.ts`
 * @module
 */
import { configFromEnv, iterateTrainingRuns, listTrainingRuns } from "@tinkex/tinkex";

const config = configFromEnv();

const { training_runs, cursor } = await listTrainingRuns(config, { limit: 10 });
console.log(`You own ${cursor.total_count} runs; the first ${training_runs.length}:`);
for (const run of training_runs) {
  const rank = run.is_lora ? `LoRA rank ${run.lora_rank}` : "full";
  console.log(
    `  ${run.training_run_id}  ${run.base_model}  ${rank}  last ${run.last_request_time}`,
  );
}

let accessible = 0;
for await (const _run of iterateTrainingRuns(config, { accessScope: "accessible" })) accessible++;
console.log(`Accessible to you: ${accessible} runs`);
