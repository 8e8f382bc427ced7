/**
 * Use downloaded weights: read the LoRA adapter's config and the safetensors header (tensor
 * names, dtypes and shapes) without loading the tensors.
 *
 * Run: `npx -y deno@2 run -A examples/use_downloaded_weights.ts [TINKER_PATH]`
 * @module
 */
import { configFromEnv, download, listUserCheckpoints } from "@tinkex/tinkex";

interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** The safetensors header: an 8-byte little-endian length, then that many bytes of JSON. */
async function readSafetensorsHeader(file: string): Promise<Record<string, TensorInfo>> {
  using f = await Deno.open(file);
  const lenBytes = new Uint8Array(8);
  if (await f.read(lenBytes) !== 8) throw new Error(`${file}: too short for safetensors`);
  const len = Number(new DataView(lenBytes.buffer).getBigUint64(0, true));
  const header = new Uint8Array(len);
  let got = 0;
  while (got < len) {
    const n = await f.read(header.subarray(got));
    if (n === null) throw new Error(`${file}: header cut short`);
    got += n;
  }
  const parsed = JSON.parse(new TextDecoder().decode(header));
  delete parsed.__metadata__;
  return parsed;
}

const config = configFromEnv();
const path = Deno.args[0] ??
  (await listUserCheckpoints(config, { limit: 100 })).checkpoints
    .find((c) => c.checkpoint_type === "sampler")?.tinker_path;
if (!path) throw new Error("No sampler checkpoint yet");

const { destination } = await download(config, path, { outputDir: "./checkpoints", force: true });
const adapter = JSON.parse(await Deno.readTextFile(`${destination}/adapter_config.json`));
console.log(`adapter for ${adapter.base_model_name_or_path ?? adapter.base_model}, r=${adapter.r}`);

const tensors = await readSafetensorsHeader(`${destination}/adapter_model.safetensors`);
for (const [name, t] of Object.entries(tensors)) {
  console.log(`  ${name}  ${t.dtype}  [${t.shape.join(", ")}]`);
}
console.log(`${Object.keys(tensors).length} tensors`);
