/**
 * The complete workflow: list runs, list a run's checkpoints, read weights info, download one
 * with progress, and list the extracted files. Runtime-neutral (Deno, Bun, Node): the demo and
 * the cross-runtime tests call {@link completeWorkflow}.
 *
 * Run: `npx -y deno@2 run -A examples/complete_workflow.ts [OUTPUT_DIR]`
 * @module
 */
import {
  configFromEnv,
  download,
  type DownloadProgress,
  getWeightsInfo,
  listCheckpoints,
  listTrainingRuns,
  type TinkerConfig,
} from "@tinkex/tinkex";

/** What the workflow did. */
export interface WorkflowSummary {
  runs: number;
  runId: string;
  checkpoints: number;
  path: string;
  baseModel: string;
  loraRank: number | null | undefined;
  destination: string;
  files: { path: string; size: number }[];
  bytes: number;
  progressCalls: number;
}

/** Run the workflow against `config`, downloading into `outputDir`; `log` gets each step. */
export async function completeWorkflow(
  config: TinkerConfig,
  outputDir: string,
  log: (line: string) => void = console.log,
  onProgress?: (p: DownloadProgress) => void,
): Promise<WorkflowSummary> {
  const { training_runs, cursor } = await listTrainingRuns(config, { limit: 20 });
  log(`1. ${cursor.total_count} training runs`);
  const run = training_runs.find((r) => r.last_sampler_checkpoint ?? r.last_checkpoint);
  if (!run) throw new Error("No run with a checkpoint: train and save something first");
  for (const r of training_runs) log(`   ${r.training_run_id}  ${r.base_model}`);

  const { checkpoints } = await listCheckpoints(config, { runId: run.training_run_id });
  log(`2. run ${run.training_run_id}: ${checkpoints.length} checkpoints`);
  for (const c of checkpoints) log(`   ${c.tinker_path}  ${c.size_bytes ?? "?"} bytes`);
  const target = checkpoints.find((c) => c.checkpoint_type === "sampler") ?? checkpoints[0];

  const info = await getWeightsInfo(config, target.tinker_path);
  log(`3. weights: ${info.base_model}, LoRA rank ${info.lora_rank}`);

  let progressCalls = 0;
  log(`4. downloading ${target.tinker_path}`);
  const result = await download(config, target.tinker_path, {
    outputDir,
    force: true,
    expectedBytes: target.size_bytes ?? undefined,
    onProgress: (p) => {
      progressCalls++;
      onProgress?.(p);
    },
  });
  log(`5. extracted to ${result.destination}:`);
  for (const f of result.files) log(`   ${f.path}  ${f.size} bytes`);
  return {
    runs: cursor.total_count,
    runId: run.training_run_id,
    checkpoints: checkpoints.length,
    path: target.tinker_path,
    baseModel: info.base_model,
    loraRank: info.lora_rank,
    destination: result.destination,
    files: result.files,
    bytes: result.bytes,
    progressCalls,
  };
}

if (import.meta.main) {
  await completeWorkflow(configFromEnv(), Deno.args[0] ?? "./checkpoints");
}
