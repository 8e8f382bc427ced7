/**
 * List sessions and show what each one made.
 *
 * Run: `npx -y deno@2 run -A examples/sessions.ts`
 * @module
 */
import { configFromEnv, getSession, iterateSessions } from "@tinkex/tinkex";

const config = configFromEnv();
let n = 0;
for await (const id of iterateSessions(config)) {
  const s = await getSession(config, id);
  console.log(
    `${id}: ${s.training_run_ids.length} training runs, ${s.sampler_ids.length} samplers`,
  );
  for (const run of s.training_run_ids) console.log(`  run ${run}`);
  if (++n >= 10) break;
}
console.log(`${n} sessions shown`);
