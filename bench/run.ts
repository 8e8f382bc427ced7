/**
 * `deno task bench`: run every benchmark, print the tables, write `bench/RESULTS.md` and
 * `bench/throughput.svg`. Loopback only; not part of the tests.
 *
 * ```sh
 * deno task bench                      # full: 64 MiB, 256 MiB and 1 GiB archives, 5 runs; prints
 * deno task bench --write              # … and rewrites bench/RESULTS.md, throughput.svg, results.json
 * deno task bench --quick              # smaller and fewer
 * deno task bench --only download,listing --runs 7 --dir /var/tmp
 * ```
 *
 * Sections: `download` (download + extract, five methods, on loopback and on a store capping each
 * connection), `stages` (the download pipeline
 * taken apart), `listing`, `startup` (CLI), `server` (request rate, concurrent downloads).
 * @module
 */
import { parseArgs } from "node:util";
import { type Ceiling, throughputSvg } from "./chart.ts";
import { benchDownloads } from "./download.ts";
import { benchListing } from "./listing.ts";
import { describeMachine, waitForQuiet } from "./machine.ts";
import { type BenchResults, consoleReport, markdownReport } from "./report.ts";
import { formatBytes } from "./stats.ts";
import { benchServer } from "./server_load.ts";
import { benchStages } from "./stages.ts";
import { benchStartup } from "./startup.ts";

const SECTIONS = ["download", "stages", "listing", "startup", "server"] as const;
const MiB = 2 ** 20;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    runs: { type: "string" },
    dir: { type: "string" },
    write: { type: "boolean" },
    "no-write": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "Usage: deno task bench [--quick] [--only download,stages,listing,startup,server] " +
      "[--runs N] [--dir DIR] [--write|--no-write]",
  );
  Deno.exit(0);
}
const quick = values.quick;
const only = new Set(values.only ? values.only.split(",") : SECTIONS);
for (const s of only) {
  if (!(SECTIONS as readonly string[]).includes(s)) {
    console.error(`Error: unknown section "${s}" (sections: ${SECTIONS.join(", ")})`);
    Deno.exit(2);
  }
}
const runs = Math.max(3, Number(values.runs ?? (quick ? 3 : 5)));
const sizes = quick ? [32 * MiB, 128 * MiB] : [64 * MiB, 256 * MiB, 1024 * MiB];
const workDir = values.dir ?? Deno.env.get("TMPDIR") ?? "/tmp";
// Tracked files are rewritten only when asked.
const write = values.write === true && !values["no-write"];
const quietWaitSeconds = quick ? 0 : 90;
const log = (line: string): void => console.error(line);

// Everything extracted goes under one scratch directory, removed at the end or on Ctrl-C (the
// server processes stop by themselves when this process goes away).
const scratch = await Deno.makeTempDir({ dir: workDir, prefix: "tinkex-bench-" });
const removeScratch = (): void => {
  try {
    Deno.removeSync(scratch, { recursive: true });
  } catch {
    // already gone
  }
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    removeScratch();
    Deno.exit(130);
  });
}

const results: BenchResults = {
  date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  mode: quick ? "quick" : "full",
  runs,
  machine: await describeMachine(workDir),
  workDir,
  load: {},
};

/** Run one section after waiting (a little) for the machine to be quiet. */
async function section(name: (typeof SECTIONS)[number], fn: () => Promise<void>): Promise<void> {
  if (!only.has(name)) return;
  const load = await waitForQuiet(1.0, quietWaitSeconds);
  results.load[name] = load;
  log(`\n== ${name} (load average ${load.toFixed(2)})`);
  await fn();
}

await section("download", async () => {
  results.downloads = [
    ...await benchDownloads({ sizes, runs, workDir: scratch, log }),
    // The capped store at one size (its transfer times are long: 8 s per curl run at 256 MiB).
    ...await benchDownloads({
      sizes: [quick ? 64 * MiB : 256 * MiB],
      runs: quick ? 3 : Math.min(runs, 3),
      workDir: scratch,
      log,
      store: "capped",
    }),
  ];
});
await section("stages", async () => {
  results.stages = await benchStages({
    size: sizes[sizes.length - 1],
    runs,
    workDir: scratch,
    log,
  });
});
await section("listing", async () => {
  results.listing = await benchListing({ count: 10_000, runs: quick ? 3 : 7, log });
});
await section("startup", async () => {
  results.startup = await benchStartup({ runs: quick ? 5 : 15, log });
});
await section("server", async () => {
  results.server = await benchServer({
    runs: 3,
    seconds: quick ? 1 : 3,
    listCount: 10_000,
    archiveBytes: quick ? 32 * MiB : 256 * MiB,
    log,
  });
});

removeScratch();

console.log(`\n${consoleReport(results)}`);
if (write) {
  const dir = new URL("./", import.meta.url);
  await Deno.writeTextFile(new URL("RESULTS.md", dir), markdownReport(results));
  if (results.downloads) {
    await Deno.writeTextFile(
      new URL("throughput.svg", dir),
      throughputSvg(
        // The capped store's figures as their own lines, e.g. "download() (capped)".
        results.downloads.map((f) =>
          f.store === "capped" ? { ...f, method: `${f.method} (capped)` as typeof f.method } : f
        ),
        `Download + extract from the local server (${results.machine.cores} cores)`,
        ceilingOf(results),
      ),
    );
  }
  await Deno.writeTextFile(new URL("results.json", dir), JSON.stringify(results, null, 1) + "\n");
  // Keep the files as `deno fmt` would write them.
  const written = ["RESULTS.md", "throughput.svg", "results.json"].map((f) => new URL(f, dir));
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", ...written.filter((u) => existsSync(u)).map((u) => u.pathname)],
  }).output();
  console.log("\nWrote bench/RESULTS.md, bench/throughput.svg, bench/results.json");
}

/** The server + loopback limit measured by the stages section, for the chart. */
function ceilingOf(r: BenchResults): Ceiling | undefined {
  const curl = r.stages?.find((s) => s.stage.startsWith("curl"));
  if (!curl) return undefined;
  return {
    label: `server + loopback alone (curl -o /dev/null, ${formatBytes(curl.bytes)})`,
    mbps: curl.mbps.median,
  };
}

function existsSync(url: URL): boolean {
  try {
    Deno.statSync(url);
    return true;
  } catch {
    return false;
  }
}
