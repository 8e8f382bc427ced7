/**
 * The local server under load (it runs in its own process):
 * - `GET /api/v1/checkpoints` (default limit 100, from a store of 10,000 checkpoints) from 32
 *   concurrent keep-alive clients in the benchmark process, for a fixed time per run;
 * - 16 concurrent downloads of the same checkpoint, each `curl -sSf URL | openssl dgst -sha256`
 *   (bash, pipefail) in its own process with its own signed URL; every digest must equal the
 *   SHA-256 of the archive file on the server's disk. (openssl uses the CPU's SHA instructions;
 *   `sha256sum` would be the bottleneck.)
 * @module
 */
import { getArchiveUrl, listUserCheckpoints, type TinkerConfig } from "../mod.ts";
import { startFixture } from "./fixture.ts";
import { run } from "./proc.ts";
import { summarize, type Summary } from "./stats.ts";

/** Requests per second of the listing endpoint. */
export interface ListLoadFigure {
  /** Concurrent clients. */
  clients: number;
  /** Seconds per run. */
  seconds: number;
  /** Bytes per response body. */
  responseBytes: number;
  /** Requests per second. */
  rps: Summary;
  /** Median latency per run, ms. */
  p50Ms: Summary;
  /** 99th-percentile latency per run, ms. */
  p99Ms: Summary;
  /** Requests that failed or did not answer 200, over all runs. */
  errors: number;
  /** Requests completed over all runs. */
  requests: number;
}

/** Concurrent downloads of one checkpoint. */
export interface ConcurrentDownloadFigure {
  /** Concurrent downloads. */
  clients: number;
  /** Archive size in bytes. */
  bytes: number;
  /** Seconds until the last download finished. */
  seconds: Summary;
  /** Aggregate MB/s (all clients' bytes over the time). */
  mbps: Summary;
  /** Downloads that failed, over all runs. */
  errors: number;
  /** Every digest equalled the archive's, in every run. */
  identical: boolean;
  /** The archive's SHA-256. */
  sha256: string;
}

/** Options of {@link benchServer}. */
export interface ServerBenchOptions {
  /** Runs of each test. */
  runs: number;
  /** Seconds per listing run. */
  seconds: number;
  /** Checkpoints in the store for the listing load. */
  listCount: number;
  /** Archive size for the concurrent downloads. */
  archiveBytes: number;
  /** Called with a line of progress. */
  log: (line: string) => void;
}

/** Run both server benchmarks. */
export async function benchServer(
  opts: ServerBenchOptions,
): Promise<{ list: ListLoadFigure; downloads: ConcurrentDownloadFigure }> {
  const list = await listLoad(opts, 32);
  const downloads = await concurrentDownloads(opts, 16);
  return { list, downloads };
}

async function listLoad(opts: ServerBenchOptions, clients: number): Promise<ListLoadFigure> {
  const fixture = await startFixture({ listCount: opts.listCount });
  try {
    const url = `${fixture.baseUrl}/api/v1/checkpoints`;
    const headers = { "X-API-Key": fixture.apiKey, Accept: "application/json" };
    const responseBytes = (await (await fetch(url, { headers })).arrayBuffer()).byteLength;
    const rps: number[] = [];
    const p50: number[] = [];
    const p99: number[] = [];
    let errors = 0;
    let requests = 0;
    for (let i = -1; i < opts.runs; i++) {
      const deadline = performance.now() + (i < 0 ? 500 : opts.seconds * 1000);
      const latencies: number[] = [];
      let failed = 0;
      const worker = async (): Promise<void> => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          try {
            const res = await fetch(url, { headers });
            await res.arrayBuffer();
            if (res.status !== 200) failed++;
          } catch {
            failed++;
          }
          latencies.push(performance.now() - t0);
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: clients }, worker));
      const elapsed = (performance.now() - t0) / 1000;
      if (i < 0) continue; // warm-up
      latencies.sort((a, b) => a - b);
      rps.push(latencies.length / elapsed);
      p50.push(latencies[Math.floor(latencies.length * 0.5)]);
      p99.push(latencies[Math.floor(latencies.length * 0.99)]);
      errors += failed;
      requests += latencies.length;
      opts.log(
        `  GET /api/v1/checkpoints ×${clients}: run ${i + 1}: ${rps.at(-1)!.toFixed(0)} req/s, ` +
          `p50 ${p50.at(-1)!.toFixed(1)} ms, p99 ${p99.at(-1)!.toFixed(1)} ms, ${failed} errors`,
      );
    }
    return {
      clients,
      seconds: opts.seconds,
      responseBytes,
      rps: summarize(rps),
      p50Ms: summarize(p50),
      p99Ms: summarize(p99),
      errors,
      requests,
    };
  } finally {
    await fixture.close();
  }
}

async function concurrentDownloads(
  opts: ServerBenchOptions,
  clients: number,
): Promise<ConcurrentDownloadFigure> {
  const fixture = await startFixture({ archiveBytes: opts.archiveBytes });
  try {
    const config: TinkerConfig = { apiKey: fixture.apiKey, baseUrl: fixture.baseUrl };
    const ckpt = (await listUserCheckpoints(config)).checkpoints[0];
    const bytes = ckpt.size_bytes!;
    const objects = `${fixture.dataDir}/objects`;
    const [file] = [...Deno.readDirSync(objects)].filter((e) => e.name.endsWith(".tar"));
    const sha256 = (await run("sha256sum", [`${objects}/${file.name}`])).split(" ")[0];
    const seconds: number[] = [];
    let errors = 0;
    let identical = true;
    for (let i = -1; i < opts.runs; i++) {
      const urls = await Promise.all(
        Array.from({ length: clients }, () => getArchiveUrl(config, ckpt.tinker_path)),
      );
      const t0 = performance.now();
      const results = await Promise.all(urls.map(({ url }) =>
        new Deno.Command("bash", {
          args: ["-c", 'set -o pipefail; curl -sSf "$1" | openssl dgst -sha256 -r', "bash", url],
          stdout: "piped",
          stderr: "piped",
        }).output()
      ));
      const elapsed = (performance.now() - t0) / 1000;
      const failed = results.filter((r) => r.code !== 0).length;
      const digests = results.map((r) => new TextDecoder().decode(r.stdout).split(" ")[0]);
      const same = digests.every((d) => d === sha256);
      if (i < 0) continue; // warm-up
      errors += failed;
      identical &&= same && failed === 0;
      seconds.push(elapsed);
      opts.log(
        `  ${clients} concurrent downloads of ${(bytes / 2 ** 20).toFixed(0)} MiB: run ${i + 1}: ` +
          `${elapsed.toFixed(2)} s, ${(clients * bytes / 1e6 / elapsed).toFixed(0)} MB/s, ` +
          `${failed} errors, ${same ? "all identical" : "DIGESTS DIFFER"}`,
      );
    }
    return {
      clients,
      bytes,
      seconds: summarize(seconds),
      mbps: summarize(seconds.map((s) => clients * bytes / 1e6 / s)),
      errors,
      identical,
      sha256,
    };
  } finally {
    await fixture.close();
  }
}

if (import.meta.main) {
  const r = await benchServer({
    runs: 3,
    seconds: 3,
    listCount: 10_000,
    archiveBytes: 256 * 2 ** 20,
    log: console.error,
  });
  console.log(JSON.stringify(r, null, 1));
}
