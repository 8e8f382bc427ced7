/**
 * A signed URL for a checkpoint's archive (a tar), e.g. to hand to `curl` or another machine.
 *
 * Run: `npx -y deno@2 run -A examples/archive_url.ts [TINKER_PATH]`
 * @module
 */
import { configFromEnv, getArchiveUrl, listUserCheckpoints } from "@tinkex/tinkex";

const config = configFromEnv();
const path = Deno.args[0] ??
  (await listUserCheckpoints(config, { limit: 1 })).checkpoints[0]?.tinker_path;
if (!path) throw new Error("No checkpoints yet");

const { url, expires } = await getArchiveUrl(config, path, {
  onBuilding: ({ waitMs }) =>
    console.error(`Archive is being built; asking again in ${waitMs / 1000} s`),
});
console.log(url);
console.error(
  `valid until ${expires}; fetch it without the API key, e.g. curl -o ckpt.tar '<url>'`,
);
