/**
 * The figures as a console table and as `bench/RESULTS.md`, with the targets checked.
 * @module
 */
import { CAPPED, type DownloadFigure, type DownloadMethod, type Store } from "./download.ts";
import type { ListingResult } from "./listing.ts";
import type { Machine } from "./machine.ts";
import type { ConcurrentDownloadFigure, ListLoadFigure } from "./server_load.ts";
import type { StageFigure } from "./stages.ts";
import type { StartupFigure } from "./startup.ts";
import { formatBytes, formatSummary, markdownTable, type Summary, textTable } from "./stats.ts";

/** Everything one `deno task bench` measured (sections left out are absent). */
export interface BenchResults {
  /** ISO date and time of the run. */
  date: string;
  /** `full` or `quick`. */
  mode: string;
  /** Runs per figure in the download section. */
  runs: number;
  /** The machine. */
  machine: Machine;
  /** Where archives were extracted. */
  workDir: string;
  /** 1-minute load average at the start of each section. */
  load: Record<string, number>;
  /** Download + extract. */
  downloads?: DownloadFigure[];
  /** The pipeline's stages at the largest size. */
  stages?: StageFigure[];
  /** Listing. */
  listing?: ListingResult;
  /** CLI start-up. */
  startup?: StartupFigure[];
  /** Server load. */
  server?: { list: ListLoadFigure; downloads: ConcurrentDownloadFigure };
}

/** One target and whether it was met. */
export interface TargetCheck {
  /** What is required. */
  target: string;
  /** What was measured. */
  result: string;
  /** Met? */
  met: boolean;
}

/** Archives at least this big (256 MiB, minus rounding) are judged against the time targets. */
const TARGET_MIN_BYTES = 255 * 2 ** 20;

const s1 = (s: Summary): string => formatSummary(s, 1);
const s2 = (s: Summary): string => formatSummary(s, 2);
const s3 = (s: Summary): string => formatSummary(s, 3);
const s0 = (s: Summary): string => formatSummary(s, 0);

function figure(
  downloads: DownloadFigure[],
  method: DownloadMethod,
  bytes: number,
): DownloadFigure | undefined {
  return downloads.find((f) => f.method === method && f.bytes === bytes);
}

function sizesOf(downloads: DownloadFigure[]): number[] {
  return [...new Set(downloads.map((f) => f.bytes))].sort((a, b) => a - b);
}

/** The figures of one store (figures from before stores were recorded are loopback). */
function ofStore(downloads: DownloadFigure[], store: Store): DownloadFigure[] {
  return downloads.filter((f) => (f.store ?? "loopback") === store);
}

/** The targets of issue 15: parallel ranges on a capped store, no loss on loopback. */
function rangedTargets(all: DownloadFigure[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const capped = ofStore(all, "capped");
  for (const bytes of sizesOf(capped)) {
    const d = figure(capped, "download()", bytes);
    const ct = figure(capped, "curl | tar -x", bytes);
    const aria = figure(capped, "aria2c -x4 + tar", bytes);
    if (!d || !ct || !aria) continue;
    const size = formatBytes(bytes);
    const vsCurl = ct.seconds.median / d.seconds.median;
    checks.push({
      target: `capped store: download() ≥ 3.2× faster than curl | tar -x (${size})`,
      result: `${d.seconds.median.toFixed(2)} s vs ${ct.seconds.median.toFixed(2)} s: ${
        vsCurl.toFixed(2)
      }×`,
      met: vsCurl >= 3.2,
    });
    const vsAria = aria.seconds.median / d.seconds.median;
    checks.push({
      target: `capped store: download() ≥ 1.3× faster than aria2c -x4 -s4 + tar -x (${size})`,
      result: `${d.seconds.median.toFixed(2)} s vs ${aria.seconds.median.toFixed(2)} s: ${
        vsAria.toFixed(2)
      }×`,
      met: vsAria >= 1.3,
    });
    checks.push({
      target: `capped store: download() peak RSS < 150 MB (${size})`,
      result: `highest of all runs ${d.rssMB.max.toFixed(1)} MB`,
      met: d.rssMB.max < 150,
    });
  }
  const loop = ofStore(all, "loopback");
  const sizes = sizesOf(loop);
  const judge = (bytes: number, label: string): void => {
    const d = figure(loop, "download()", bytes);
    const ct = figure(loop, "curl | tar -x", bytes);
    if (!d || !ct) return;
    const ratio = d.seconds.median / ct.seconds.median;
    checks.push({
      target: `loopback: download() ≤ 1.0× curl | tar -x (${label})`,
      result: `${d.seconds.median.toFixed(3)} s vs ${ct.seconds.median.toFixed(3)} s: ${
        ratio.toFixed(2)
      }×`,
      met: ratio <= 1.0,
    });
  };
  if (sizes.length) judge(sizes[sizes.length - 1], formatBytes(sizes[sizes.length - 1]));
  if (sizes.length > 1) judge(sizes[0], formatBytes(sizes[0]));
  return checks;
}

/** Check the targets of issues 8 and 15 against the figures. */
export function checkTargets(r: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  if (r.downloads) checks.push(...rangedTargets(r.downloads));
  if (r.downloads) {
    const loopback = ofStore(r.downloads, "loopback");
    const sizes = sizesOf(loopback);
    // The time targets are about large archives (256 MiB and 1 GiB); below that, fixed costs
    // (process and module start-up, the URL request) dominate and are shown, not judged.
    for (const bytes of sizes.filter((b) => b >= TARGET_MIN_BYTES)) {
      const d = figure(loopback, "download()", bytes)!;
      const ct = figure(loopback, "curl | tar -x", bytes)!;
      const two = figure(loopback, "two-step", bytes)!;
      const ratio = d.seconds.median / ct.seconds.median;
      checks.push({
        target: `download() within 1.15× of curl | tar -x (${formatBytes(bytes)})`,
        result: `${d.seconds.median.toFixed(3)} s vs ${ct.seconds.median.toFixed(3)} s: ` +
          `${ratio.toFixed(2)}×`,
        met: ratio <= 1.15,
      });
      const speedup = two.seconds.median / d.seconds.median;
      checks.push({
        target: `download() clearly faster than two-step (≥ 1.2×, ${formatBytes(bytes)})`,
        result: `${speedup.toFixed(2)}× faster`,
        met: speedup >= 1.2,
      });
    }
    for (const method of sizes.length ? ["download()", "tinkex CLI"] as const : []) {
      const rss = sizes.map((b) => figure(loopback, method, b)!.rssMB);
      const peak = Math.max(...rss.map((x) => x.max));
      checks.push({
        target: `${method}: peak RSS < 100 MB at every size`,
        result: `highest of all runs ${peak.toFixed(1)} MB (medians ${
          rss.map((x) => x.median.toFixed(1)).join(", ")
        } MB)`,
        met: peak < 100,
      });
      // Flat: the largest archive (4× the bytes of 256 MiB) needs no more than 10% more.
      const judged = sizes.filter((b) => b >= TARGET_MIN_BYTES);
      const [lo, hi] = (judged.length >= 2 ? judged : sizes).filter((_, i, a) =>
        i === 0 || i === a.length - 1
      ).map((b) => figure(loopback, method, b)!);
      const growth = hi.rssMB.median / lo.rssMB.median - 1;
      checks.push({
        target: `${method}: RSS flat, ${formatBytes(hi.bytes)} within 10% of ${
          formatBytes(lo.bytes)
        }`,
        result: `${lo.rssMB.median.toFixed(1)} → ${hi.rssMB.median.toFixed(1)} MB (${
          growth >= 0 ? "+" : ""
        }${(growth * 100).toFixed(1)}%)`,
        met: growth <= 0.1,
      });
    }
  }
  if (r.listing) {
    checks.push({
      target: "listing 10,000: module defaults ≥ 2× faster than page by page, same results",
      result: `${r.listing.speedup.toFixed(2)}× faster, ${
        r.listing.identical ? "identical" : "DIFFERENT"
      } tinker_paths`,
      met: r.listing.speedup >= 2 && r.listing.identical,
    });
  }
  if (r.server) {
    const d = r.server.downloads;
    checks.push({
      target: `server: ${d.clients} concurrent downloads byte-identical, no errors`,
      result: `${d.errors} errors, ${d.identical ? "all SHA-256 equal" : "DIGESTS DIFFER"}`,
      met: d.errors === 0 && d.identical,
    });
    checks.push({
      target: `server: GET /api/v1/checkpoints ×${r.server.list.clients} without errors`,
      result: `${r.server.list.errors} errors in ${r.server.list.requests} requests`,
      met: r.server.list.errors === 0,
    });
  }
  return checks;
}

/** The figures as plain-text tables for the console. */
export function consoleReport(r: BenchResults): string {
  const out: string[] = [];
  if (r.downloads) {
    out.push("Download + extract (median (min–max))");
    out.push(textTable([
      ["store", "size", "method", "time s", "MB/s", "peak RSS MB"],
      ...r.downloads.map((f) => [
        f.store ?? "loopback",
        formatBytes(f.bytes),
        f.method,
        s3(f.seconds),
        s0(f.mbps),
        s1(f.rssMB),
      ]),
    ]));
  }
  if (r.downloads && fitMethods(ofStore(r.downloads, "loopback")).length) {
    out.push("", "Fixed cost and streaming rate (line through the medians)");
    out.push(textTable([
      ["method", "fixed ms", "rate MB/s"],
      ...fitMethods(ofStore(r.downloads, "loopback")).map((f) => [
        f.method,
        f.fixedMs.toFixed(0),
        f.rateMBps.toFixed(0),
      ]),
    ]));
  }
  if (r.stages) {
    out.push("", `Stages (${formatBytes(r.stages[0].bytes)})`);
    out.push(textTable([["stage", "MB/s"], ...r.stages.map((s) => [s.stage, s0(s.mbps)])]));
  }
  if (r.listing) {
    out.push("", "Listing");
    out.push(textTable([
      ["method", "items", "requests", "ms"],
      ...r.listing.figures.map((
        f,
      ) => [f.method, String(f.items), String(f.requests), s1(f.ms)]),
    ]));
  }
  if (r.startup) {
    out.push("", "CLI start-up");
    out.push(textTable([
      ["command", "ms", "peak RSS MB"],
      ...r.startup.map((f) => [f.command, s1(f.ms), s1(f.rssMB)]),
    ]));
  }
  if (r.server) {
    const { list, downloads: d } = r.server;
    out.push("", "Local server");
    out.push(textTable([
      ["test", "figure"],
      [`GET /api/v1/checkpoints ×${list.clients}, req/s`, s0(list.rps)],
      ["  latency p50 / p99 ms", `${s1(list.p50Ms)} / ${s1(list.p99Ms)}`],
      [`${d.clients} × ${formatBytes(d.bytes)} downloads, s`, s2(d.seconds)],
      ["  aggregate MB/s", s0(d.mbps)],
      ["  errors / identical", `${d.errors} / ${d.identical}`],
    ]));
  }
  const checks = checkTargets(r);
  if (checks.length) {
    out.push("", "Targets");
    out.push(textTable([
      ["target", "result", "met"],
      ...checks.map((c) => [c.target, c.result, c.met ? "yes" : "NO"]),
    ]));
  }
  return out.join("\n");
}

/** `bench/RESULTS.md`. */
export function markdownReport(r: BenchResults): string {
  const m = r.machine;
  const load = Object.entries(r.load).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ");
  const out: string[] = [
    "# tinkex benchmarks",
    "",
    `Run ${r.date} with \`deno task bench${r.mode === "quick" ? " --quick" : ""}\`. ` +
    "Every figure is the median of several runs, with the min–max range in brackets " +
    `(download figures: ${r.runs} runs after a discarded warm-up run).`,
    "",
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Linux ${m.kernel}${
      m.virtual ? " (a virtual machine)" : ""
    }`,
    `- Deno ${m.deno}; ${m.curl}; ${m.tar}`,
    `- Archives extracted under \`${r.workDir}\` (${m.workFs}); between runs the output is ` +
    "deleted and `sync` is run",
    `- 1-minute load average at the start of each section: ${load}. The machine is shared ` +
    "with other work, which shows as spread between min and max.",
    "- Everything talks to 127.0.0.1 only. The local server (`serve()` from `server.ts`) " +
    "always runs in its own process (`bench/fixture_server.ts`); every measured client is " +
    "another process, except the listing and request-rate clients, which run in the benchmark " +
    "process itself.",
    "",
  ];
  const checks = checkTargets(r);
  if (checks.length) {
    out.push("## Targets", "");
    out.push(markdownTable([
      ["Target", "Result", "Met"],
      ...checks.map((c) => [c.target, c.result, c.met ? "yes" : "**no**"]),
    ]));
    out.push("");
  }
  if (r.downloads) {
    out.push(...downloadSection(ofStore(r.downloads, "loopback"), r.stages));
    out.push(...cappedSection(ofStore(r.downloads, "capped")));
  }
  if (r.listing) out.push(...listingSection(r.listing));
  if (r.startup) out.push(...startupSection(r.startup));
  if (r.server) out.push(...serverSection(r.server.list, r.server.downloads));
  out.push(...CHANGES, ...limits(r));
  return out.join("\n") + "\n";
}

/** A download table's row: size, method, time, rate, peak RSS, and time against `curl | tar`. */
function downloadRow(figures: DownloadFigure[], f: DownloadFigure): string[] {
  const ct = figure(figures, "curl | tar -x", f.bytes)!;
  return [
    formatBytes(f.bytes),
    f.method,
    s3(f.seconds),
    s0(f.mbps),
    s1(f.rssMB),
    `${(f.seconds.median / ct.seconds.median).toFixed(2)}×`,
  ];
}

function downloadSection(downloads: DownloadFigure[], stages?: StageFigure[]): string[] {
  const sizes = sizesOf(downloads);
  const rows = downloads.map((f) => downloadRow(downloads, f));
  const out = [
    "## 1. Download and extract a checkpoint",
    "",
    `One training checkpoint per size (${
      sizes.map(formatBytes).join(", ")
    }; plain tar of \`adapter_config.json\`, ` +
    "`adapter_model.safetensors`, `optimizer_state.safetensors`, `checkpoint_complete`), served " +
    "by the local server from its data directory. Each method runs as a child process of the " +
    "benchmark, round-robin, into a fresh directory:",
    "",
    "- **download()**: `bench/download_child.ts` calls `download(configFromEnv(), path, " +
    "{ outputDir })`. Time is the `download()` call itself (resolving the signed URL included, " +
    "Deno start-up excluded: see the CLI rows and section 3); RSS is the whole process.",
    "- **tinkex CLI**: `deno run -A cli.ts checkpoint download PATH -o DIR`, whole-process wall " +
    "time (Deno start-up, module loading and the archive URL request included).",
    "- **curl | tar -x**: `curl -sSf URL | tar -x -C DIR` on a signed URL fetched just before " +
    "(not timed). Peak RSS is that of the larger of the two processes (GNU time).",
    "- **two-step** (what the official Python and Elixir clients do: download to a file, then " +
    "extract): `curl -sSf -o DIR/archive.tar URL && tar -xf DIR/archive.tar -C DIR/x && rm " +
    "DIR/archive.tar`, with native tools, so the most favourable version of that approach.",
    "",
    "MB/s are 10⁶ archive bytes per second; RSS in MB (10⁶ bytes) from `/usr/bin/time -f %M`. " +
    "The last column is the median time relative to `curl | tar -x`.",
    "",
    markdownTable([
      ["Size", "Method", "Time s", "MB/s", "Peak RSS MB", "vs curl | tar"],
      ...rows,
    ]),
    "",
    "![Throughput against archive size](throughput.svg)",
    "",
  ];
  const traced = downloads.filter((f) => f.rssTrace?.length).at(-1);
  if (traced?.rssTrace) {
    const t = traced.rssTrace;
    const at = (frac: number): [number, number] =>
      t.reduce((best, p) =>
        Math.abs(p[0] - frac * traced.bytes) < Math.abs(best[0] - frac * traced.bytes) ? p : best
      );
    out.push(
      `RSS of the \`download()\` process while it receives ${
        formatBytes(traced.bytes)
      } (its last run; sampled at the progress reports): it levels off instead of growing ` +
        "with the bytes received.",
      "",
      markdownTable([
        ["Received", ...[0.05, 0.25, 0.5, 0.75, 1].map((f) => formatBytes(at(f)[0]))],
        ["RSS MB", ...[0.05, 0.25, 0.5, 0.75, 1].map((f) => at(f)[1].toFixed(1))],
      ]),
      "",
    );
  }
  const fits = fitMethods(downloads);
  if (fits.length) {
    out.push(
      "Fixed cost and streaming rate per method (least-squares line through the medians, " +
        "time = fixed + bytes / rate):",
      "",
      markdownTable([
        ["Method", "Fixed cost ms", "Streaming rate MB/s"],
        ...fits.map((f) => [
          f.method,
          f.fixedMs >= 0 ? f.fixedMs.toFixed(0) : "— (see below)",
          f.rateMBps.toFixed(0),
        ]),
      ]),
      "",
      "A negative intercept (shown as —) means the method's time grows faster than the bytes: " +
        "it slows down as archives grow (page-cache pressure: see the notes at the end), so " +
        "there is no meaningful fixed cost to read off.",
      "",
    );
  }
  if (stages) {
    out.push(
      `### Where the time goes (${formatBytes(stages[0].bytes)}, each stage alone)`,
      "",
      "Each stage in its own process against the same server process (`bench/stages.ts`, " +
        "`bench/stage_child.ts`).",
      "",
      markdownTable([
        ["Stage", "MB/s"],
        ...stages.map((s) => [s.stage, s0(s.mbps)]),
      ]),
      "",
    );
  }
  return out;
}

/** The capped-store table (download() against curl, aria2c and the two-step). */
function cappedSection(capped: DownloadFigure[]): string[] {
  if (capped.length === 0) return [];
  return [
    "### On a store that caps each connection",
    "",
    `The same server behind \`bench/capped_store.ts\`, a TCP proxy in its own process that ` +
    `paces each connection to ${CAPPED.rateMiB} MiB/s and delays each request by ` +
    `${CAPPED.latencyMs} ms, as object stores do. \`download()\` times one connection over its ` +
    "first 8 MiB and, finding it slow, fetches the rest as parallel ranges (`connections`, " +
    "default 8). aria2c: `aria2c -x4 -s4` to a file, then `tar -xf`.",
    "",
    markdownTable([
      ["Size", "Method", "Time s", "MB/s", "Peak RSS MB", "vs curl | tar"],
      ...capped.map((f) => downloadRow(capped, f)),
    ]),
    "",
  ];
}

/** A line `seconds = fixed + bytes / rate` fitted to each method's medians (needs 2+ sizes). */
export function fitMethods(
  downloads: DownloadFigure[],
): { method: string; fixedMs: number; rateMBps: number }[] {
  const methods = [...new Set(downloads.map((f) => f.method))];
  return methods.flatMap((method) => {
    const pts = downloads.filter((f) => f.method === method);
    if (pts.length < 2) return [];
    const n = pts.length;
    const mx = pts.reduce((a, p) => a + p.bytes, 0) / n;
    const my = pts.reduce((a, p) => a + p.seconds.median, 0) / n;
    const sxy = pts.reduce((a, p) => a + (p.bytes - mx) * (p.seconds.median - my), 0);
    const sxx = pts.reduce((a, p) => a + (p.bytes - mx) ** 2, 0);
    const slope = sxy / sxx;
    return [{ method, fixedMs: (my - slope * mx) * 1000, rateMBps: 1 / slope / 1e6 }];
  });
}

function listingSection(l: ListingResult): string[] {
  return [
    "## 2. Listing 10,000 checkpoints",
    "",
    "All of one user's checkpoints from the local server (`seedCheckpoints`, 10,000 records), " +
    "in the benchmark process: `iterateCheckpoints(config)` with the module's defaults, against " +
    "`listUserCheckpoints(config, { offset })` page after page at the service's default limit " +
    "(100). Requests are counted by a counting `fetch` in the config. Both walks must yield " +
    "the same tinker_paths in the same order (checked on every run, warm-up included).",
    "",
    markdownTable([
      ["Method", "Checkpoints", "Requests", "Time ms"],
      ...l.figures.map((f) => [f.method, String(f.items), String(f.requests), s1(f.ms)]),
    ]),
    "",
    `Speed-up: ${l.speedup.toFixed(2)}×; results ${
      l.identical ? "identical" : "**different**"
    }. Over loopback a request costs well under a millisecond; against the hosted service, ` +
    `where each round trip costs tens of milliseconds, the gap widens: page by page makes ` +
    `${l.figures[1].requests} sequential round trips, the module ${
      1 + Math.ceil((l.figures[0].requests - 1) / 4)
    } rounds (one request for the first page and the total, then the other ${
      l.figures[0].requests - 1
    }, 4 at a time).`,
    "",
  ];
}

function startupSection(figures: StartupFigure[]): string[] {
  return [
    "## 3. CLI start-up",
    "",
    "A fresh `deno run -A cli.ts …` process each time, module cache warm (one discarded " +
    "warm-up run), as for an installed CLI.",
    "",
    markdownTable([
      ["Command", "Wall ms", "Peak RSS MB"],
      ...figures.map((f) => [f.command, s1(f.ms), s1(f.rssMB)]),
    ]),
    "",
  ];
}

function serverSection(list: ListLoadFigure, d: ConcurrentDownloadFigure): string[] {
  return [
    "## 4. The local server",
    "",
    `- **Request rate**: ${list.clients} concurrent keep-alive clients (\`fetch\` loops in the ` +
    `benchmark process) call \`GET /api/v1/checkpoints\` (default limit 100, ` +
    `${list.responseBytes} bytes of JSON per answer, from a store of 10,000 checkpoints) for ` +
    `${list.seconds} s per run. Client and server share the machine's cores.`,
    `- **Concurrent downloads**: ${d.clients} processes each run \`curl -sSf URL | openssl ` +
    `dgst -sha256\` on their own signed URL of the same ${formatBytes(d.bytes)} checkpoint; ` +
    "every digest must equal the SHA-256 of the archive file on the server's disk " +
    `(\`${d.sha256.slice(0, 16)}…\`).`,
    "",
    markdownTable([
      ["Test", "Figure"],
      [`GET /api/v1/checkpoints, ${list.clients} clients: requests/s`, s0(list.rps)],
      ["… latency p50 ms", s1(list.p50Ms)],
      ["… latency p99 ms", s1(list.p99Ms)],
      ["… errors / requests", `${list.errors} / ${list.requests}`],
      [`${d.clients} concurrent downloads of ${formatBytes(d.bytes)}: seconds`, s2(d.seconds)],
      ["… aggregate MB/s", s0(d.mbps)],
      ["… errors", String(d.errors)],
      ["… all byte-identical (SHA-256)", d.identical ? "yes" : "**no**"],
    ]),
    "",
  ];
}

const CHANGES = [
  "## Changes made for performance",
  "",
  "- **`download()` recycles its read buffers** (`src/client/download/buffer_pool.ts`; " +
  "`archive_stream.ts`, `download.ts` beside it). Before, every network chunk " +
  "(mostly 64 KiB) was a fresh `ArrayBuffer`; V8 collects such external memory only after " +
  "tens of MB accumulate, so peak RSS grew with the archive (77 MB at 256 MiB, 96–111 MB at " +
  "1 GiB, up to 121 MB at 2 GiB: over the 100 MB target), and every fresh buffer cost page " +
  "faults (system time dominated). Now `download()` lends `openArchiveStream` a small pool: " +
  "the response is read in BYOB mode into 256 KiB pooled buffers, and after each chunk is " +
  "written to disk the buffers delivered before it go back to the pool (bytes are consumed in " +
  "archive order, so nothing still referenced is ever reused; anything not released is " +
  "forgotten, not recycled, and the pool switches itself off for gzip archives, whose " +
  "decompressed chunks are not its buffers). `openArchiveStream` without a pool (its public " +
  "use) reads as before. Effect at 1 GiB on this machine: peak RSS ~97 → ~72 MB and flat " +
  "from 64 MiB to 2 GiB; user CPU 1.0 → 0.5 s; `download()` went from ~1.3× slower than " +
  "`curl | tar -x` to faster than it. Tests: `tests/download_pool.test.ts` (40 odd-sized " +
  "members through recycled buffers, across connection cuts, gzip; the pool's release rule). " +
  "The existing download, server and client tests pass unchanged.",
  "- **Whole chunks through the tar decoder** (`src/client/download/entries.ts`). The header " +
  "budget handed the decoder member data in views of at most 64 KiB, so each 256 KiB read " +
  "became four trips through the decoder, the member's body stream and the write (1,124 " +
  "pieces for a 64 MiB archive). It now hands the current member's body over in views as " +
  "large as they came (~330 pieces) and counts every byte past it as a header byte, which " +
  "also closes a gap: header bytes that shared a chunk with the end of a body went uncounted " +
  "(up to 64 KiB per member). Input now goes to the decoder only while a header is awaited or " +
  "a body is read, a piece at a time, stopping as soon as the decoder answers, so it never " +
  "runs ahead and the count never depends on timing (a first version let one block through " +
  "per body read, so after many small members the count fell up to 1 MiB behind: found in " +
  "review, fixed, and tested with 2,000 empty files before an oversized PAX header); this also " +
  "replaced a `pipeTo`. Two more layers went: one `decoderInput` stream replays, counts " +
  "and feeds the offsets instead of three, and a plain archive is read on directly after its " +
  "first bytes are sniffed for gzip. Effect on a 64 MiB `download()` in alternating runs of " +
  "the old and new code: ~123 → ~108 ms, then the transfer ~104 → ~98 ms. Tests: a body " +
  "read in 1 MiB chunks comes out in at most 5 pieces, each a view of an input chunk " +
  "(`tests/download_pool.test.ts`); a PAX header in the same chunk as a body's end counts " +
  "(`tests/download_limits.test.ts`).",
  "- **No Node timers under Deno** (`src/client/http/timeouts.ts`). Deno 2.9's global " +
  "`setTimeout` comes from its Node layer, loaded on first use (~6 ms: a first `setTimeout` " +
  "costs 6–8 ms, a first `AbortSignal.timeout` 0.4 ms). Request, stall and deadline timeouts " +
  "now share one `AbortSignal.timeout` for the nearest deadline, listened to only while one is " +
  "pending (Deno holds the process open for a listened-to timeout signal), and a stall timer's " +
  "reset after each chunk only notes the time. Effect on a 64 MiB `download()` in alternating " +
  "runs: ~136 → ~127 ms. Tests: `tests/timeouts.test.ts` (order, cancelling, re-arming, and a " +
  "process neither held open by a cancelled timeout nor ended under a pending one).",
  "",
];

function fixed(r: BenchResults, method: string): string {
  // Loopback only: the capped store's times are those of its rate cap, not of the method.
  const f = r.downloads
    ? fitMethods(ofStore(r.downloads, "loopback")).find((x) => x.method === method)
    : undefined;
  return f ? `~${Math.round(f.fixedMs)}` : "n/a";
}

function concurrencyNote(r: BenchResults): string[] {
  const d = r.server?.downloads;
  const curl = r.stages?.find((x) => x.stage.startsWith("curl"));
  if (!d || !curl) return [];
  const share = d.mbps.median / curl.mbps.median;
  return [
    `- **Concurrent downloads**: ${d.clients} streams of the same archive reach ` +
    `${d.mbps.median.toFixed(0)} MB/s together, ${(share * 100).toFixed(0)}% of what one ` +
    `\`curl -o /dev/null\` gets alone (${curl.mbps.median.toFixed(0)} MB/s), while ` +
    `${d.clients} curl and ${d.clients} openssl processes share the 2 cores with the server: ` +
    "the server does not serialise downloads or slow down under concurrency.",
  ];
}

function limits(r: BenchResults): string[] {
  const stageRange = (prefix: string): string => {
    const s = r.stages?.find((x) => x.stage.startsWith(prefix));
    return s ? `${formatSummary(s.mbps, 0)} MB/s` : "n/a";
  };
  const stage = (prefix: string): string => {
    const s = r.stages?.find((x) => x.stage.startsWith(prefix));
    return s ? `${s.mbps.median.toFixed(0)} MB/s` : "n/a";
  };
  return [
    "## What limits the rest",
    "",
    `- **The server and loopback**: \`curl -o /dev/null\` reaches ${stage("curl")}, the ` +
    `ceiling for any client here. The local server reads the archive in 1 MiB chunks with ` +
    "`node:fs/promises` and streams them through `Deno.serve`, on the same 2 cores as the client.",
    `- **Deno's HTTP client**: \`fetch\` alone, body discarded, reaches ${stage("Deno fetch,")}` +
    "; the tar decoding and checks of `archiveEntries` cost little on top " +
    `(${stage("openArchiveStream")}).`,
    "- **Disk writes**: under Deno, `node:fs/promises` `FileHandle.write` runs the `write(2)` " +
    "on the JavaScript thread (one 256 MiB write blocks the event loop for all of it), so " +
    "reading the next chunk and writing the last one alternate. The stage below uses it: fetch " +
    `→ one file, no tar: ${stageRange("Deno fetch →")}. \`download()\` under Deno writes ` +
    "through `Deno.FsFile` instead (`src/client/local/deno_fs.ts`: writes gathered into ones of " +
    "up to 1 MiB, written on Deno's thread pool while the next fills); Bun and Node keep " +
    "`node:fs/promises`, whose writes run on libuv's pool.",
    "- **The VM's memory**: writing into the page cache (or tmpfs) on this VM costs much system " +
    "time when pages are fresh, and that varies from run to run (the same 1 GiB write took " +
    "0.4 to 2.2 s of system time in back-to-back runs; the kernel's DAMON reclaim, `kdamond`, " +
    "runs in this VM); it is the main source of the spread between min and max. " +
    "`curl | tar -x` pays it too, plus a pipe copy and GNU tar's 10 KiB reads and writes (its " +
    "default record size: ~100,000 `write` calls per GiB, against ~5,000–16,000 for " +
    "`download()`), which is why it is not faster than `download()` here.",
    "- **Two-step** writes every byte twice (archive file, then members) and reads it back once; " +
    "its time is roughly download-to-file plus `tar -xf` of a local copy " +
    `(${stage("tar -xf")} when the copy was written long before), plus deleting the archive. ` +
    "At 1 GiB it falls further behind, most likely from 2 GB of freshly dirtied page cache per " +
    "run (`Dirty` in /proc/meminfo reached ~2 GB in a sampled run; the kernel starts background " +
    "writeback at 10% of RAM here) and a second pass over pages that were only just written.",
    `- **Fixed cost per download**: ${fixed(r, "download()")} ms for \`download()\` in a fresh ` +
    "process (line fit above). Traced at 64 MiB: ~8 ms of setup (destination check, output " +
    "and working directories, stale temporaries); ~10 ms to send the first request, mostly " +
    "Deno's first `fetch()` loading its own fetch code (~7 ms, the cost of a first " +
    '`fetch("data:,")`); ~7 ms of round trips (feature flags, archive URL, the archive\'s ' +
    "first byte); ~2 ms to write the manifest and move the directory into place; and warm-up " +
    "(the JIT) over the first megabytes. Two costs of Deno's Node layer are no longer paid: its " +
    "file system (~30 ms on first use; `src/client/local/`) and its timers (the first global " +
    "`setTimeout` loads them, ~6 ms; timeouts use `AbortSignal.timeout`, " +
    "`src/client/http/timeouts.ts`). This is why 64 MiB archives come out about even with, or " +
    "a little ahead of, `curl | tar -x`, which is handed the signed URL and pays only its own " +
    "process start-up. " +
    "(A line through three noisy medians is rough: the CLI's, which adds start-up, can come " +
    "out lower; section 3 times start-up alone.)",
    "- **Local server request rate** (no target): a CPU profile of the server under the " +
    "32-client load (`deno run --cpu-prof`) once put ~40% of its time in filtering all 10,000 " +
    "records for liveness on every request, ~12% in formatting dates and ~9% in " +
    "`JSON.stringify`, for a 100-item page. The store now keeps each user's live list per " +
    "store version (`liveCheckpointsOf`) and each record's wire object (`checkpointWire`), so " +
    "a page costs its slice and its JSON; the load generator shares the 2 cores.",
    ...concurrencyNote(r),
    "- **CLI**: the same `download()` plus process start-up and module loading (section 3) " +
    "and the progress bar; it converges on `download()` as archives grow.",
    "",
  ];
}
