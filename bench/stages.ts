/**
 * The download pipeline taken apart, to see what limits `download()`: each stage alone, in its
 * own process, against the same server process and archive.
 * - `curl -o /dev/null`: the server and loopback alone (no client-side work)
 * - Deno `fetch`, body discarded: the runtime's HTTP client
 * - `openArchiveStream` → `archiveEntries`, bodies discarded: + resume logic and tar decoding
 * - Deno `fetch` → one file: + disk writes, no tar
 * - `tar -xf` of the archive already on local disk: tar decoding and writes, no network
 * @module
 */
import { getArchiveUrl, listUserCheckpoints, type TinkerConfig } from "../mod.ts";
import { startFixture } from "./fixture.ts";
import { run, runMeasured } from "./proc.ts";
import { summarize, type Summary } from "./stats.ts";

/** One stage's throughput. */
export interface StageFigure {
  /** What was measured. */
  stage: string;
  /** Archive bytes. */
  bytes: number;
  /** MB/s of archive bytes. */
  mbps: Summary;
}

/** Options of {@link benchStages}. */
export interface StagesBenchOptions {
  /** Archive size. */
  size: number;
  /** Measured runs per stage (after one warm-up). */
  runs: number;
  /** Scratch directory (a temp dir inside is removed afterwards). */
  workDir: string;
  /** Called with a line of progress. */
  log: (line: string) => void;
}

const child = new URL("./stage_child.ts", import.meta.url).pathname;

/** Run every stage. */
export async function benchStages(opts: StagesBenchOptions): Promise<StageFigure[]> {
  const fixture = await startFixture({ archiveBytes: opts.size });
  const dir = await Deno.makeTempDir({ dir: opts.workDir, prefix: "tinkex-bench-stages-" });
  try {
    const config: TinkerConfig = { apiKey: fixture.apiKey, baseUrl: fixture.baseUrl };
    const ckpt = (await listUserCheckpoints(config)).checkpoints[0];
    const bytes = ckpt.size_bytes!;
    const env = { TINKER_API_KEY: fixture.apiKey, TINKER_BASE_URL: fixture.baseUrl };
    const local = `${dir}/local.tar`;
    await Deno.copyFile(
      `${fixture.dataDir}/objects/${
        [...Deno.readDirSync(`${fixture.dataDir}/objects`)].find((e) => e.name.endsWith(".tar"))!
          .name
      }`,
      local,
    );
    const inChild = async (stage: string): Promise<number> => {
      const r = await runMeasured(Deno.execPath(), [
        "run",
        "-A",
        child,
        stage,
        ckpt.tinker_path,
        dir,
      ], {
        env,
      });
      return JSON.parse(r.stdout).ms / 1000;
    };
    const stages: [string, () => Promise<number>][] = [
      ["curl -o /dev/null (server + loopback)", async () => {
        const { url } = await getArchiveUrl(config, ckpt.tinker_path);
        return (await runMeasured("curl", ["-sSf", "-o", "/dev/null", url])).wallMs / 1000;
      }],
      ["Deno fetch, body discarded", () => inChild("fetch")],
      ["openArchiveStream → archiveEntries, discarded", () => inChild("entries")],
      ["Deno fetch → one file (no tar; one reused buffer)", () => inChild("write")],
      ["tar -xf of a local copy (no network)", async () => {
        await Deno.mkdir(`${dir}/x`);
        return (await runMeasured("tar", ["-xf", local, "-C", `${dir}/x`])).wallMs / 1000;
      }],
    ];
    const figures: StageFigure[] = [];
    const samples = stages.map(() => [] as number[]);
    for (let i = -1; i < opts.runs; i++) {
      for (const [k, [name, measure]] of stages.entries()) {
        const seconds = await measure();
        await Deno.remove(`${dir}/archive.tar`).catch(() => {});
        await Deno.remove(`${dir}/x`, { recursive: true }).catch(() => {});
        await run("sync", []);
        if (i < 0) continue;
        samples[k].push(bytes / 1e6 / seconds);
        opts.log(`  ${name}: run ${i + 1}: ${(bytes / 1e6 / seconds).toFixed(0)} MB/s`);
      }
    }
    for (const [k, [stage]] of stages.entries()) {
      figures.push({ stage, bytes, mbps: summarize(samples[k]) });
    }
    return figures;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await fixture.close();
  }
}

if (import.meta.main) {
  const figures = await benchStages({
    size: Number(Deno.args[0] ?? 2 ** 30),
    runs: 3,
    workDir: Deno.env.get("TMPDIR") ?? "/tmp",
    log: console.error,
  });
  console.log(JSON.stringify(figures, null, 1));
}
