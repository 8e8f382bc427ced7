/**
 * Download a checkpoint and extract it to `./checkpoints/<run>_<kind>_<name>`.
 *
 * Run: `npx -y deno@2 run -A examples/download.ts [TINKER_PATH] [OUTPUT_DIR]`. Exits 1 when the
 * destination exists already (nothing is replaced).
 * @module
 */
import {
  configFromEnv,
  DestinationExistsError,
  download,
  listUserCheckpoints,
} from "@tinkex/tinkex";

const config = configFromEnv();
const path = Deno.args[0] ??
  (await listUserCheckpoints(config, { limit: 1 })).checkpoints[0]?.tinker_path;
if (!path) throw new Error("No checkpoints yet");
const outputDir = Deno.args[1] ?? "./checkpoints";

try {
  const result = await download(config, path, { outputDir });
  console.log(`${path} → ${result.destination} (${result.bytes} bytes)`);
  for (const f of result.files) console.log(`  ${f.path}  ${f.size} bytes`);
} catch (e) {
  if (!(e instanceof DestinationExistsError)) throw e;
  console.error(`${e.destination} exists already; pass { force: true } to replace it`);
  Deno.exitCode = 1;
}
