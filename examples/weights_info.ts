/**
 * Weights info of a checkpoint, and a compatibility check before loading it.
 *
 * Run: `npx -y deno@2 run -A examples/weights_info.ts [TINKER_PATH]`
 * @module
 */
import {
  CheckpointMismatchError,
  configFromEnv,
  getWeightsInfo,
  listUserCheckpoints,
  validateCheckpoint,
} from "@tinkex/tinkex";

const config = configFromEnv();
const path = Deno.args[0] ??
  (await listUserCheckpoints(config, { limit: 1 })).checkpoints[0]?.tinker_path;
if (!path) throw new Error("No checkpoints yet");

const info = await getWeightsInfo(config, path);
console.log(`${path}: base model ${info.base_model}, LoRA ${info.is_lora}, rank ${info.lora_rank}`);

// Passes: the expectations match.
await validateCheckpoint(config, path, {
  baseModel: info.base_model,
  loraRank: info.lora_rank ?? undefined,
});
console.log("compatible with", info.base_model);

// Fails, and says exactly what differs.
try {
  await validateCheckpoint(config, path, { baseModel: "some/other-model", loraRank: 999 });
} catch (e) {
  if (!(e instanceof CheckpointMismatchError)) throw e;
  console.log("not compatible:");
  for (const m of e.mismatches) console.log(`  ${m}`);
}
