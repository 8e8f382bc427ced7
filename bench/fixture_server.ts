/**
 * The local server for the benchmarks, as its own process so that its CPU and memory are not
 * counted against the clients being measured. Prints one JSON line
 * (`{ baseUrl, apiKey, dataDir }`) once ready, and runs until its stdin closes.
 *
 * ```sh
 * deno run -A bench/fixture_server.ts --archive-bytes 268435456 --list-count 10000
 * deno run -A bench/fixture_server.ts --archive-bytes 268435456 --data /var/tmp/d   # kept
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { seedCheckpoints, serve } from "../server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "archive-bytes": { type: "string" },
    "list-count": { type: "string" },
    "public-url": { type: "string" },
    data: { type: "string" },
  },
});
const archiveBytes = values["archive-bytes"] ? Number(values["archive-bytes"]) : 0;
const listCount = values["list-count"] ? Number(values["list-count"]) : 0;

// One run holding one checkpoint of about `archiveBytes` (a training checkpoint: adapter and
// optimizer state), built before the port is announced. A given data directory is kept (and
// seeded only when empty).
const server = await serve({
  port: 0,
  dataDir: values.data,
  publicUrl: values["public-url"],
  seed: archiveBytes > 0 ? { runs: 1, checkpointsPerRun: 1, checkpointBytes: archiveBytes } : false,
});
if (listCount > 0) {
  await seedCheckpoints(server.handler, { userKey: server.apiKeys[0], count: listCount });
}
console.log(JSON.stringify({
  baseUrl: server.baseUrl,
  apiKey: server.apiKeys[0],
  dataDir: server.dataDir,
}));

// Stop when the parent closes our stdin (or exits).
for await (const _ of Deno.stdin.readable) { /* drain until EOF */ }
await server.close();
