/**
 * Download + extract of a checkpoint archive from the local server, four ways, each a child
 * process of the runner (the server is another process):
 * - `download()`: bench/download_child.ts; time is the download() call (process start-up excluded)
 * - CLI: `deno run -A cli.ts checkpoint download PATH -o DIR`; whole-process wall time
 * - `curl -s URL | tar -x`: the same signed URL; whole pipeline
 * - two-step (what the official clients do): `curl -o FILE URL && tar -xf FILE && rm FILE`
 * - `aria2c -x4 -s4` to a file, then `tar -xf` (a parallel downloader, then extraction)
 *
 * Two stores: the server on plain loopback, and the same server behind `bench/capped_store.ts`,
 * which caps each connection's rate and adds first-byte latency, as object stores do.
 * @module
 */
import { getArchiveUrl, listUserCheckpoints, type TinkerConfig } from "../mod.ts";
import { freePort, startCappedStore } from "./capped_store.ts";
import { startFixture } from "./fixture.ts";
import { run, runMeasured } from "./proc.ts";
import { summarize, type Summary } from "./stats.ts";

/** The methods compared, in table order. */
export const DOWNLOAD_METHODS = [
  "download()",
  "tinkex CLI",
  "curl | tar -x",
  "two-step",
  "aria2c -x4 + tar",
] as const;
/** One of {@link DOWNLOAD_METHODS}. */
export type DownloadMethod = typeof DOWNLOAD_METHODS[number];

/** Measurements of one method at one archive size. */
export interface DownloadFigure {
  method: DownloadMethod;
  /** `loopback`, or `capped` (per-connection rate cap and first-byte latency). */
  store: Store;
  /** Exact archive size in bytes. */
  bytes: number;
  /** Seconds (see the module notes for what each method's time covers). */
  seconds: Summary;
  /** MB/s (10^6 bytes per second) of archive bytes. */
  mbps: Summary;
  /** Peak RSS in MB (10^6 bytes). */
  rssMB: Summary;
  /** Whole-process wall seconds. */
  wallSeconds: Summary;
  /** `download()` only: RSS (MB) against archive bytes received, from its last run. */
  rssTrace?: [number, number][];
}

/** Where the archive is served from. */
export type Store = "loopback" | "capped";

/** The capped store's settings: per-connection rate (MiB/s) and first-byte latency (ms). */
export const CAPPED = { rateMiB: 32, latencyMs: 30 } as const;

/** Options of {@link benchDownloads}. */
export interface DownloadBenchOptions {
  /** The store (default loopback). */
  store?: Store;
  /** Archive sizes to measure (approximate; the exact size is reported). */
  sizes: number[];
  /** Measured runs per method and size (after one warm-up run). */
  runs: number;
  /** Where to extract (a temp dir under it is removed afterwards). */
  workDir: string;
  /** Called with a line of progress. */
  log: (line: string) => void;
}

const root = new URL("..", import.meta.url).pathname;

/** Run the download benchmark for every size and method. */
export async function benchDownloads(opts: DownloadBenchOptions): Promise<DownloadFigure[]> {
  const figures: DownloadFigure[] = [];
  for (const size of opts.sizes) {
    const store = opts.store ?? "loopback";
    // Signed URLs lead through the capped store: the server is told its public URL.
    const cappedPort = store === "capped" ? freePort() : undefined;
    const fixture = await startFixture({
      archiveBytes: size,
      publicUrl: cappedPort === undefined ? undefined : `http://127.0.0.1:${cappedPort}`,
    });
    const capped = cappedPort === undefined ? undefined : await startCappedStore({
      targetPort: Number(new URL(fixture.baseUrl).port),
      port: cappedPort,
      ...CAPPED,
    });
    const dir = await Deno.makeTempDir({ dir: opts.workDir, prefix: "tinkex-bench-dl-" });
    try {
      const baseUrl = capped?.baseUrl ?? fixture.baseUrl;
      const config: TinkerConfig = { apiKey: fixture.apiKey, baseUrl };
      const ckpt = (await listUserCheckpoints(config)).checkpoints[0];
      const bytes = ckpt.size_bytes!;
      const samples = new Map<DownloadMethod, { s: number[]; rss: number[]; wall: number[] }>();
      for (const m of DOWNLOAD_METHODS) samples.set(m, { s: [], rss: [], wall: [] });
      let trace: [number, number][] | undefined;
      let extracted: number | undefined;
      // Round-robin over the methods so drift (page cache, writeback) hits them all alike.
      for (let i = -1; i < opts.runs; i++) {
        for (const method of DOWNLOAD_METHODS) {
          const r = await downloadOnce(method, config, ckpt.tinker_path, dir);
          // Every method must extract the same bytes.
          extracted ??= r.extractedBytes;
          if (r.extractedBytes !== extracted || r.extractedBytes < bytes * 0.99) {
            throw new Error(
              `${method} extracted ${r.extractedBytes} bytes, expected ${extracted} (archive ${bytes})`,
            );
          }
          if (r.trace) trace = r.trace;
          if (i < 0) continue; // warm-up
          const s = samples.get(method)!;
          s.s.push(r.seconds);
          s.rss.push(r.rssMB);
          s.wall.push(r.wallSeconds);
          opts.log(
            `  ${store.padEnd(8)} ${method.padEnd(16)} ${
              (bytes / 2 ** 20).toFixed(0).padStart(5)
            } MiB  run ${i + 1}: ` +
              `${r.seconds.toFixed(3)} s, ${(bytes / 1e6 / r.seconds).toFixed(0)} MB/s, ` +
              `${r.rssMB.toFixed(1)} MB RSS`,
          );
        }
      }
      for (const method of DOWNLOAD_METHODS) {
        const s = samples.get(method)!;
        figures.push({
          method,
          store,
          bytes,
          seconds: summarize(s.s),
          mbps: summarize(s.s.map((x) => bytes / 1e6 / x)),
          rssMB: summarize(s.rss),
          wallSeconds: summarize(s.wall),
          rssTrace: method === "download()" ? trace : undefined,
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await capped?.close();
      await fixture.close();
    }
  }
  return figures;
}

interface OneRun {
  seconds: number;
  wallSeconds: number;
  rssMB: number;
  /** Bytes of the regular files extracted. */
  extractedBytes: number;
  trace?: [number, number][];
}

/** One measured download into a fresh directory, which is removed afterwards (then `sync`). */
async function downloadOnce(
  method: DownloadMethod,
  config: TinkerConfig,
  path: string,
  dir: string,
): Promise<OneRun> {
  const out = `${dir}/out`;
  await Deno.mkdir(out);
  try {
    const env = { TINKER_API_KEY: config.apiKey!, TINKER_BASE_URL: config.baseUrl! };
    let r;
    let inner: number | undefined;
    let trace: [number, number][] | undefined;
    switch (method) {
      case "download()": {
        r = await runMeasured(Deno.execPath(), [
          "run",
          "-A",
          `${root}bench/download_child.ts`,
          path,
          out,
        ], { env });
        const child = JSON.parse(r.stdout) as { ms: number; rss: [number, number][] };
        inner = child.ms / 1000;
        trace = child.rss.map(([b, rss]) => [b, rss / 1e6]);
        break;
      }
      case "tinkex CLI":
        r = await runMeasured(Deno.execPath(), [
          "run",
          "-A",
          `${root}cli.ts`,
          "checkpoint",
          "download",
          path,
          "-o",
          out,
        ], { env });
        break;
      case "curl | tar -x": {
        const { url } = await getArchiveUrl(config, path);
        r = await runMeasured("sh", ["-c", 'curl -sSf "$1" | tar -x -C "$2"', "sh", url, out]);
        break;
      }
      case "aria2c -x4 + tar": {
        const { url } = await getArchiveUrl(config, path);
        r = await runMeasured("sh", [
          "-c",
          'aria2c -q -x4 -s4 --file-allocation=none --allow-overwrite=true -d "$2" -o archive.tar "$1" && mkdir "$2/x" && tar -xf "$2/archive.tar" -C "$2/x" && rm "$2/archive.tar"',
          "sh",
          url,
          out,
        ]);
        break;
      }
      case "two-step": {
        const { url } = await getArchiveUrl(config, path);
        r = await runMeasured("sh", [
          "-c",
          'curl -sSf -o "$2/archive.tar" "$1" && mkdir "$2/x" && tar -xf "$2/archive.tar" -C "$2/x" && rm "$2/archive.tar"',
          "sh",
          url,
          out,
        ]);
        break;
      }
    }
    const wallSeconds = r.wallMs / 1000;
    return {
      seconds: inner ?? wallSeconds,
      wallSeconds,
      rssMB: (r.maxRssKiB * 1024) / 1e6,
      extractedBytes: await treeBytes(out),
      trace,
    };
  } finally {
    await Deno.remove(out, { recursive: true });
    await run("sync", []);
  }
}

if (import.meta.main) {
  const figures = await benchDownloads({
    sizes: [Number(Deno.args[0] ?? 64 * 2 ** 20)],
    runs: Number(Deno.args[1] ?? 3),
    workDir: Deno.env.get("TMPDIR") ?? "/tmp",
    log: (l) => console.error(l),
  });
  console.log(JSON.stringify(figures, null, 1));
}

/** Total size of the regular files under `dir` (download()'s manifest is not a member). */
async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) total += await treeBytes(p);
    else if (e.isFile && e.name !== ".tinkex-manifest.json") total += (await Deno.stat(p)).size;
  }
  return total;
}
