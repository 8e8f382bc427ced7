/**
 * Clean up old checkpoints: keep the newest N of each run and each kind, delete the rest, four
 * deletions at a time. Shows what it would delete; pass `--apply` to delete.
 *
 * Run: `npx -y deno@2 run -A examples/cleanup_old_checkpoints.ts [KEEP=2] [--apply]`
 * @module
 */
import {
  configFromEnv,
  deleteCheckpoint,
  iterateCheckpoints,
  selectPrunable,
} from "@tinkex/tinkex";

const config = configFromEnv();
const keep = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? 2);
const apply = Deno.args.includes("--apply");

const all = await Array.fromAsync(iterateCheckpoints(config));
const { prune } = selectPrunable(all, { keep });
const bytes = prune.reduce((sum, c) => sum + (c.size_bytes ?? 0), 0);
console.log(
  `${prune.length} checkpoints (${bytes} bytes) are older than the newest ${keep} of their run`,
);
for (const c of prune) console.log(`  ${apply ? "deleting" : "would delete"} ${c.tinker_path}`);

if (apply) {
  // Four workers share one queue: bounded concurrency, every deletion attempted once.
  const queue = prune.values();
  let failed = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (const c of queue) {
      await deleteCheckpoint(config, c.tinker_path).catch((e) => {
        failed++;
        console.error(`  failed ${c.tinker_path}: ${e.message}`);
      });
    }
  }));
  console.log(`deleted ${prune.length - failed}, failed ${failed}`);
  if (failed > 0) Deno.exit(1);
} else {
  console.log("dry run: pass --apply to delete");
}
