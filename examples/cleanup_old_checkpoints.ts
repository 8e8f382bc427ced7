/**
 * Clean up old checkpoints: keep the newest N of each run and each kind, delete the rest.
 * Shows what it would delete; pass `--apply` to delete.
 *
 * Run: `deno run -A examples/cleanup_old_checkpoints.ts [KEEP=2] [--apply]`
 * @module
 */
import {
  type Checkpoint,
  configFromEnv,
  deleteCheckpoint,
  iterateCheckpoints,
} from "@tinkex/tinkex";

const config = configFromEnv();
const keep = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? 2);
const apply = Deno.args.includes("--apply");

// Group by run and kind; the listing is newest first, so the first N of each group stay.
const groups = new Map<string, Checkpoint[]>();
for await (const c of iterateCheckpoints(config)) {
  const key = c.tinker_path.slice(0, c.tinker_path.lastIndexOf("/"));
  groups.set(key, [...(groups.get(key) ?? []), c]);
}
const doomed = [...groups.values()].flatMap((list) => list.slice(keep));
const bytes = doomed.reduce((sum, c) => sum + (c.size_bytes ?? 0), 0);
console.log(
  `${doomed.length} checkpoints (${bytes} bytes) are older than the newest ${keep} of their run`,
);
for (const c of doomed) console.log(`  ${apply ? "deleting" : "would delete"} ${c.tinker_path}`);

if (apply) {
  const results = await Promise.allSettled(
    doomed.map((c) => deleteCheckpoint(config, c.tinker_path)),
  );
  const failed = results.filter((r) => r.status === "rejected");
  console.log(`deleted ${results.length - failed.length}, failed ${failed.length}`);
  if (failed.length > 0) Deno.exit(1);
} else {
  console.log("dry run: pass --apply to delete");
}
