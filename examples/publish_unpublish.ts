/**
 * Publish a checkpoint (others can read and download it), then make it private again.
 *
 * Run: `npx -y deno@2 run -A examples/publish_unpublish.ts [TINKER_PATH]`
 * @module
 */
import {
  configFromEnv,
  ConflictError,
  getCheckpoint,
  listUserCheckpoints,
  publishCheckpoint,
  unpublishCheckpoint,
} from "@tinkex/tinkex";

const config = configFromEnv();
const path = Deno.args[0] ??
  (await listUserCheckpoints(config, { limit: 100 })).checkpoints.find((c) => !c.public)
    ?.tinker_path;
if (!path) throw new Error("No private checkpoint to publish");

await publishCheckpoint(config, path);
console.log(`published: ${path} (public=${(await getCheckpoint(config, path)).public})`);

try {
  await publishCheckpoint(config, path); // already public: a conflict, reported at once
} catch (e) {
  if (!(e instanceof ConflictError)) throw e;
  console.log("publishing again is a conflict (409), as expected");
}

await unpublishCheckpoint(config, path);
console.log(`unpublished: ${path} (public=${(await getCheckpoint(config, path)).public})`);
