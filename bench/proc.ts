/**
 * Running a measured child process: wall time from the parent, peak RSS from GNU time.
 * @module
 */

/** What one measured child process did. */
export interface ProcessRun {
  /** Wall time from spawn to exit, measured by the parent, in ms. */
  wallMs: number;
  /** Peak resident set size in KiB (`/usr/bin/time -f %M`; for a shell pipeline, its largest process). */
  maxRssKiB: number;
  /** Exit code. */
  code: number;
  /** Captured stdout. */
  stdout: string;
  /** Captured stderr (without GNU time's line). */
  stderr: string;
}

const RSS_MARKER = "tinkex-bench-maxrss-kib=";

/** Options of {@link runMeasured}. */
export interface RunOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

/**
 * Run `cmd args…` under `/usr/bin/time -f %M` and measure it. Throws when it exits non-zero.
 */
export async function runMeasured(
  cmd: string,
  args: string[],
  opts: RunOptions = {},
): Promise<ProcessRun> {
  // GNU time appends its line to the child's stderr; the marker tells it apart.
  const command = new Deno.Command("/usr/bin/time", {
    args: ["-f", `${RSS_MARKER}%M`, cmd, ...args],
    env: opts.env,
    cwd: opts.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const t0 = performance.now();
  const out = await command.output();
  const wallMs = performance.now() - t0;
  const decoder = new TextDecoder();
  const stdout = decoder.decode(out.stdout);
  const raw = decoder.decode(out.stderr);
  const at = raw.lastIndexOf(RSS_MARKER);
  const stderr = at < 0 ? raw : raw.slice(0, at);
  if (out.code !== 0 || at < 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited with ${out.code}: ${stderr.slice(-2000)}`);
  }
  const rss = Number(raw.slice(at + RSS_MARKER.length).trim());
  return { wallMs, maxRssKiB: rss, code: out.code, stdout, stderr };
}

/** Run a command for its output (not measured); throws when it exits non-zero. */
export async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdin: "null" }).output();
  if (out.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} exited with ${out.code}: ${
        new TextDecoder().decode(out.stderr).slice(-2000)
      }`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}
