/**
 * How many deletions `tinkex checkpoint prune` should run at once: delete N checkpoints from
 * `tinkex serve` with 1, 2, 4 … 32 at a time (the CLI's own bulk runner), directly on loopback
 * and through a proxy that adds a round-trip delay like a real network's. Prints medians.
 *
 * ```sh
 * deno run -A bench/prune_concurrency.ts [--count 400] [--runs 3] [--rtt-ms 30]
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { deleteCheckpoint } from "../mod.ts";
import { seedCheckpoints, serve } from "../server.ts";
import { runBulk } from "../src/cli/bulk.ts";
import { formatSummary, summarize, textTable } from "./stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    count: { type: "string", default: "400" },
    runs: { type: "string", default: "3" },
    "rtt-ms": { type: "string", default: "30" },
  },
});
const COUNT = Number(values.count);
const RUNS = Number(values.runs);
const RTT_MS = Number(values["rtt-ms"]);
const LEVELS = [1, 2, 4, 8, 16, 32];

/** A proxy in front of `target` that waits `delayMs` before forwarding each request. */
function delayingProxy(target: string, delayMs: number) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await new Promise((r) => setTimeout(r, delayMs));
    const url = new URL(req.url);
    return await fetch(target + url.pathname + url.search, {
      method: req.method,
      headers: req.headers,
      body: req.body,
    });
  });
  return { baseUrl: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

/** Seconds to delete `COUNT` checkpoints (spread over 4 runs, as a prune sees them). */
async function once(concurrency: number, delayMs: number): Promise<number> {
  const server = await serve({ port: 0 });
  const proxy = delayMs > 0 ? delayingProxy(server.baseUrl, delayMs) : undefined;
  try {
    const paths: string[] = [];
    for (let r = 0; r < 4; r++) {
      const seeded = await seedCheckpoints(server.handler, {
        userKey: server.apiKeys[0],
        count: COUNT / 4,
      });
      paths.push(...seeded.tinkerPaths);
    }
    const config = { apiKey: server.apiKeys[0], baseUrl: proxy?.baseUrl ?? server.baseUrl };
    const start = performance.now();
    const outcome = await runBulk(paths, (p) => deleteCheckpoint(config, p), String, concurrency);
    const seconds = (performance.now() - start) / 1000;
    if (outcome.failed.length > 0) throw new Error(`${outcome.failed.length} deletions failed`);
    return seconds;
  } finally {
    await proxy?.close();
    await server.close();
  }
}

const rows = [["concurrency", "loopback s", "deletes/s", `+${RTT_MS} ms RTT s`, "deletes/s"]];
for (const c of LEVELS) {
  const direct = summarize(await collect(() => once(c, 0)));
  const delayed = summarize(await collect(() => once(c, RTT_MS)));
  rows.push([
    String(c),
    formatSummary(direct, 2),
    (COUNT / direct.median).toFixed(0),
    formatSummary(delayed, 2),
    (COUNT / delayed.median).toFixed(0),
  ]);
  console.error(`concurrency ${c} done`);
}
console.log(
  `Deleting ${COUNT} checkpoints (4 runs) from tinkex serve, median (min–max) of ${RUNS}:`,
);
console.log(textTable(rows));

async function collect(fn: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) out.push(await fn());
  return out;
}
