/**
 * Export a training client's weights in HF format (an external checkpoint) and download its
 * files: listed like any checkpoint, fetched file by file, resumable and verified.
 *
 * Run: `npx -y deno@2 run -A examples/external_weights.ts [OUTPUT_DIR]`
 * @module
 */
import {
  configFromEnv,
  createTrainingClient,
  download,
  getExternalWeightsUrls,
  listCheckpoints,
  releaseTrainingClient,
  saveWeightsExternal,
} from "@tinkex/tinkex";

const config = configFromEnv();
const client = await createTrainingClient(config, { baseModel: "Qwen/Qwen3-8B", rank: 8 });
const { path, size_bytes } = await saveWeightsExternal(client, "hf-export", {
  ttlSeconds: 7 * 86_400,
});
console.log(`exported ${path} (${size_bytes} bytes)`);

const { checkpoints } = await listCheckpoints(config, { runId: client.modelId });
for (const c of checkpoints) console.log(`  listed ${c.checkpoint_id} (${c.checkpoint_type})`);

const { urls, expires } = await getExternalWeightsUrls(config, path);
console.log(`${Object.keys(urls).length} files, URLs valid until ${expires}`);

const result = await download(config, path, {
  outputDir: Deno.args[0] ?? ".",
  force: true,
  expectedBytes: size_bytes ?? undefined,
});
for (const f of result.files) console.log(`  ${f.path}  ${f.size} bytes`);
console.log(`downloaded to ${result.destination}`);
await releaseTrainingClient(client);
