/**
 * One `download()` in its own process (so its peak RSS is measured alone). Prints
 * `{ "ms": <time of the download() call>, "bytes": n, "files": n, "rss": [[bytes, rss], …] }`,
 * where `rss` samples the process's resident set size (bytes) at the progress reports (at most
 * 10 per second), to show whether memory grows as the download proceeds.
 *
 * `TINKEX_BENCH_CONNECTIONS` and `TINKEX_BENCH_WINDOW_MIB` override the `connections` and
 * `windowBytes` defaults (to compare settings).
 *
 * ```sh
 * TINKER_BASE_URL=… TINKER_API_KEY=… deno run -A bench/download_child.ts tinker://… OUT_DIR
 * ```
 * @module
 */
import { configFromEnv, download } from "../mod.ts";

const [path, outputDir] = Deno.args;
const connections = Deno.env.get("TINKEX_BENCH_CONNECTIONS");
const windowMiB = Deno.env.get("TINKEX_BENCH_WINDOW_MIB");
const rss: [number, number][] = [];
const t0 = performance.now();
const result = await download(configFromEnv(), path, {
  outputDir,
  ...(connections ? { connections: Number(connections) } : {}),
  ...(windowMiB ? { windowBytes: Number(windowMiB) * 2 ** 20 } : {}),
  onProgress: (p) => {
    if (p.phase === "downloading") rss.push([p.transferredBytes, Deno.memoryUsage().rss]);
  },
});
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, bytes: result.bytes, files: result.files.length, rss }));
