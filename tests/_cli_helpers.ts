/**
 * Helpers of the CLI tests: captured in-process io, and running `cli.ts` as a real process.
 * @module
 */
import type { CliIo } from "../src/cli/io.ts";

/** Captured output of an in-process run. */
export interface CapturedIo {
  /** The io to pass to `main`. */
  io: CliIo;
  /** Everything written to stdout. */
  stdout(): string;
  /** Everything written to stderr. */
  stderr(): string;
}

/** Options of {@link captureIo}. */
export interface CaptureOptions {
  /** Which streams claim to be terminals (default none). */
  terminal?: Partial<CliIo["isTerminal"]>;
  /** Environment variables visible to the CLI's io (default none). */
  env?: Record<string, string>;
  /** Lines stdin will answer, in order (then end of input). */
  answers?: string[];
  /** Terminal width. */
  columns?: number;
}

/** An io that records stdout and stderr and answers prompts from a list. */
export function captureIo(opts: CaptureOptions = {}): CapturedIo {
  let out = "";
  let err = "";
  const answers = [...(opts.answers ?? [])];
  return {
    io: {
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      readLine: () => Promise.resolve(answers.shift() ?? null),
      isTerminal: { stdin: false, stdout: false, stderr: false, ...opts.terminal },
      env: (name) => opts.env?.[name],
      columns: () => opts.columns,
    },
    stdout: () => out,
    stderr: () => err,
  };
}

/** The outcome of running the CLI as a process. */
export interface CliRun {
  /** Exit code. */
  code: number;
  /** Everything on stdout. */
  stdout: string;
  /** Everything on stderr. */
  stderr: string;
}

const CLI = new URL("../cli.ts", import.meta.url).pathname;

/**
 * Run `deno run -A cli.ts …args` with exactly the given environment (plus PATH/HOME/DENO_DIR so
 * Deno works), stdin closed (so it is not a terminal).
 */
export async function runCliProcess(
  args: string[],
  env: Record<string, string>,
): Promise<CliRun> {
  const inherited: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const v = Deno.env.get(name);
    if (v !== undefined) inherited[name] = v;
  }
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, ...args],
    env: { ...inherited, ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/**
 * Run the CLI's `main` in this process with the same inputs as {@link runCliProcess}: the
 * environment's key and URL become `--api-key` / `--base-url`; no stream is a terminal unless
 * `capture` says so.
 * Cheaper than a process; for the variants of a command whose process run is tested already.
 */
export async function runCliInProcess(
  args: string[],
  env: Record<string, string>,
  capture: Omit<CaptureOptions, "env"> = {},
): Promise<CliRun> {
  const { main } = await import("../cli.ts");
  const captured = captureIo({ ...capture, env });
  const flags = [
    ...(env.TINKER_API_KEY ? ["--api-key", env.TINKER_API_KEY] : []),
    ...(env.TINKER_BASE_URL ? ["--base-url", env.TINKER_BASE_URL] : []),
  ];
  const code = await main([...args, ...flags], captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

/** Parse stdout as JSON, failing with the whole output in the message when it is not. */
export function parseJson<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

/** Keys of the test users: alice and bob own the seeded runs, carol starts empty. */
export const KEYS = {
  alice: "tml-cli-alice-key",
  bob: "tml-cli-bob-key",
  carol: "tml-cli-carol-key",
} as const;

/** A seeded local server for CLI process tests. */
export interface CliServer {
  /** Base URL of the server. */
  baseUrl: string;
  /** The environment that points the CLI at the server as `key`'s user. */
  env(key: string): Record<string, string>;
  /** A library config for checking the server's state as `key`'s user. */
  config(key: string): { apiKey: string; baseUrl: string; maxRetries: number };
  /** A fresh run of `count` checkpoints (alternating kinds, one second apart) for `key`. */
  seedRun(key: string, count: number): Promise<{ runId: string; tinkerPaths: string[] }>;
  /** Stop the server and remove its data. */
  close(): Promise<void>;
}

/** Start the local server in-process on 127.0.0.1, port 0, seeded, with the three test users. */
export async function startCliServer(): Promise<CliServer> {
  const { serve, seedCheckpoints } = await import("../server.ts");
  const server = await serve({ seed: true, apiKeys: [KEYS.alice, KEYS.bob, KEYS.carol] });
  return {
    baseUrl: server.baseUrl,
    env: (key) => ({ TINKER_BASE_URL: server.baseUrl, TINKER_API_KEY: key }),
    config: (key) => ({ apiKey: key, baseUrl: server.baseUrl, maxRetries: 0 }),
    seedRun: (key, count) => seedCheckpoints(server.handler, { userKey: key, count }),
    close: () => server.close(),
  };
}
