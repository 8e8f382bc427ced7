/**
 * Delete a checkpoint. Without an argument it makes a throwaway one first, so it is safe to try.
 *
 * Run: `npx -y deno@2 run -A examples/delete_checkpoint.ts [TINKER_PATH]`
 * @module
 */
import {
  configFromEnv,
  createTrainingClient,
  deleteCheckpoint,
  getCheckpoint,
  NotFoundError,
  saveWeightsForSampler,
} from "@tinkex/tinkex";

const config = configFromEnv();
let path = Deno.args[0];
if (!path) {
  const client = await createTrainingClient(config, { baseModel: "Qwen/Qwen3-8B", rank: 4 });
  path = await saveWeightsForSampler(client, "throwaway");
  console.log(`made ${path}`);
}

await deleteCheckpoint(config, path);
console.log(`deleted ${path}`);
try {
  await getCheckpoint(config, path);
} catch (e) {
  if (!(e instanceof NotFoundError)) throw e;
  console.log("it is gone: looking it up is a 404");
}
