/**
 * List your checkpoints, newest first: one page, then all of them.
 *
 * Run: `npx -y deno@2 run -A examples/list_user_checkpoints.ts`
 * (uses TINKER_API_KEY and TINKER_BASE_URL; try it against `deno task serve`).
 * @module
 */
import { configFromEnv, iterateCheckpoints, listUserCheckpoints } from "@tinkex/tinkex";

const config = configFromEnv();

const page = await listUserCheckpoints(config, { limit: 5 });
console.log(`First ${page.checkpoints.length} of ${page.cursor?.total_count ?? "?"} checkpoints:`);
for (const c of page.checkpoints) {
  console.log(`  ${c.tinker_path}  ${c.checkpoint_type}  ${c.size_bytes ?? "?"} bytes  ${c.time}`);
}

let total = 0;
let bytes = 0;
for await (const c of iterateCheckpoints(config)) {
  total++;
  bytes += c.size_bytes ?? 0;
}
console.log(`All: ${total} checkpoints, ${bytes} bytes`);
