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

/** A child started by {@link spawnAnnounced}: what it printed first, and how to stop it. */
export interface AnnouncedChild<T> {
  /** The JSON object on the child's first stdout line. */
  info: T;
  /** The child's pid. */
  pid: number;
  /** Close its stdin (its signal to stop) and wait for it to exit. */
  close(): Promise<void>;
}

/**
 * Spawn `deno <args>` whose first stdout line is a JSON object announcing it is ready (e.g.
 * `{"port": 1234}`); it stops when its stdin closes. `what` names it in the error.
 */
export async function spawnAnnounced<T>(args: string[], what: string): Promise<AnnouncedChild<T>> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`Cannot start ${what}: it exited before listening`);
    text += value;
  }
  const info = JSON.parse(text.slice(0, text.indexOf("\n"))) as T;
  const stdin = child.stdin.getWriter();
  return {
    info,
    pid: child.pid,
    async close(): Promise<void> {
      await stdin.close().catch(() => {});
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}
