/**
 * CLI start-up: wall time of `deno run -A cli.ts --help` and `… version`, each a fresh process
 * (after one warm-up run, so Deno's module cache is warm, as for an installed CLI).
 * @module
 */
import { runMeasured } from "./proc.ts";
import { summarize, type Summary } from "./stats.ts";

/** Measurements of one command. */
export interface StartupFigure {
  /** The command line measured. */
  command: string;
  /** Wall milliseconds. */
  ms: Summary;
  /** Peak RSS in MB. */
  rssMB: Summary;
}

/** Options of {@link benchStartup}. */
export interface StartupBenchOptions {
  /** Measured runs per command. */
  runs: number;
  /** Called with a line of progress. */
  log: (line: string) => void;
}

const cli = new URL("../cli.ts", import.meta.url).pathname;

/** Run the start-up benchmark. */
export async function benchStartup(opts: StartupBenchOptions): Promise<StartupFigure[]> {
  const commands = [["--help"], ["version"]];
  const samples = commands.map(() => ({ ms: [] as number[], rss: [] as number[] }));
  for (let i = -1; i < opts.runs; i++) {
    for (const [k, args] of commands.entries()) {
      const r = await runMeasured(Deno.execPath(), ["run", "-A", cli, ...args]);
      if (i < 0) continue;
      samples[k].ms.push(r.wallMs);
      samples[k].rss.push((r.maxRssKiB * 1024) / 1e6);
    }
  }
  const figures = commands.map((args, k) => ({
    command: `tinkex ${args.join(" ")} (deno run -A cli.ts ${args.join(" ")})`,
    ms: summarize(samples[k].ms),
    rssMB: summarize(samples[k].rss),
  }));
  for (const f of figures) opts.log(`  ${f.command}: ${f.ms.median.toFixed(0)} ms`);
  return figures;
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchStartup({ runs: 10, log: console.error }), null, 1));
}
