/**
 * What the cross-runtime tests (tests/runtime_*.test.ts) share: the pinned npm tools that
 * `tests/runtimes/install.sh` installed (never fetched at test time), Debian's chromium, a
 * process runner, and `tinkex serve` started as a CLI process.
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { startServeProcess as startServe } from "../_serve_process.ts";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../..", import.meta.url));
/** Where install.sh put the pinned npm tools. */
export const TOOLS_DIR: string = join(ROOT, "tests/runtimes/node_modules");
/** Bun's package cache primed by install.sh (holds modern-tar, for `bun install --offline`). */
export const BUN_CACHE: string = join(ROOT, "tests/runtimes/.bun-cache");

const INSTALL_HINT =
  "run `deno task setup:runtimes` (bash tests/runtimes/install.sh, as .ci/run does)";

/** The path of an installed tool's executable (`node_modules/.bin/<name>`). */
export function tool(name: string): string {
  const path = join(TOOLS_DIR, ".bin", name);
  if (!existsSync(path)) throw new Error(`Cannot find ${name} in tests/runtimes: ${INSTALL_HINT}`);
  return path;
}

/** Debian's chromium (`TINKEX_CHROMIUM` overrides). */
export function chromium(): string {
  const path = Deno.env.get("TINKEX_CHROMIUM") ?? "/usr/bin/chromium";
  if (!existsSync(path)) throw new Error(`Cannot find chromium at ${path}: ${INSTALL_HINT}`);
  return path;
}

/** What a finished process printed. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command to completion, capturing its output. */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Ran> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: opts.cwd ?? ROOT,
    env: opts.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Run a command and fail with its output unless it exits 0; resolves to its stdout. */
export async function runOk(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** `tinkex serve` running as a CLI process. */
export interface ServeProcess {
  baseUrl: string;
  apiKey: string;
  close(): Promise<void>;
}

/**
 * Start `tinkex serve --port 0 --seed --json …extra` under Deno and wait for its JSON line. Its
 * log is captured, not printed: `close()` fails if it holds anything but the stop notice.
 */
export async function startServeProcess(extra: string[] = []): Promise<ServeProcess> {
  const child = await startServe(["--seed", ...extra]);
  return {
    baseUrl: child.baseUrl,
    apiKey: (child.banner.api_keys as string[])[0],
    close: async () => {
      const { stderr } = await child.stop();
      if (stderr !== "Stopping…\n") throw new Error(`tinkex serve logged:\n${stderr}`);
    },
  };
}
