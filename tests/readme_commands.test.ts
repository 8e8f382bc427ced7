/**
 * Every shell command the README shows works on a machine with only Node: they run, in README
 * order, in a copy of the repository, with a PATH where `deno` is "command not found" (so
 * `npx -y deno@2 …` is the only Deno). Commands that run until Ctrl-C (`… serve …`) are started
 * as a person would in a second terminal, kept running for the commands after them, then
 * stopped with Ctrl-C. `export` lines set the environment of what follows.
 *
 * New README commands are picked up automatically. Those that cannot run here are skipped
 * explicitly: a whole block after `<!-- readme-commands: skip (reason) -->`, or a single
 * command listed in SKIPPED below with its reason.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Commands not run here, each with why. */
const SKIPPED: Record<string, string> = {
  "npx -y deno@2 task test": "runs this very suite",
  "npx -y deno@2 task bench": "minutes of benchmarks, not a test (see bench/RESULTS.md)",
  "npx -y deno@2 task setup:runtimes": "run by .ci/run before the tests (a full npm ci)",
  "deno install -g -A -n tinkex --config deno.json ./cli.ts":
    "for a machine with Deno, and a global install; tests/cli_install.test.ts installs it so",
};

/**
 * The README's server listens on 8080; here it gets a free port instead (the only change to a
 * command), so the test can run beside anything else on the machine.
 */
const README_PORT = "8080";

/** One command of the README, with where it came from. */
interface ReadmeCommand {
  command: string;
  line: number;
}

/** The shell commands of README.md's sh/bash/shell blocks, in order, minus skipped blocks. */
function readmeCommands(readme: string): ReadmeCommand[] {
  const lines = readme.split("\n");
  const out: ReadmeCommand[] = [];
  let inBlock = false;
  let skipBlock = false;
  let pendingSkip = false;
  let continued = "";
  lines.forEach((text, i) => {
    const fence = /^```(\w*)/.exec(text);
    if (fence && !inBlock) {
      inBlock = true;
      skipBlock = !/^(sh|bash|shell|console)$/.test(fence[1]) || pendingSkip;
      pendingSkip = false;
      return;
    }
    if (fence && inBlock) {
      inBlock = false;
      return;
    }
    if (!inBlock) {
      if (/<!--\s*readme-commands:\s*skip\b/.test(text)) pendingSkip = true;
      else if (text.trim() !== "") pendingSkip = false;
      return;
    }
    if (skipBlock) return;
    const command = stripComment(text).trim();
    if (command === "") return;
    if (command.endsWith("\\")) {
      continued += command.slice(0, -1) + " ";
      return;
    }
    out.push({ command: continued + command, line: i + 1 });
    continued = "";
  });
  return out;
}

/** A trailing `# comment` (after whitespace, outside quotes) removed. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === "#" && (i === 0 || /\s/.test(line[i - 1]))) {
      return line.slice(0, i);
    }
  }
  return line;
}

function freePort(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return String(port);
}

/** A copy of the repository's files (tracked, and new ones not ignored), as a fresh clone has. */
async function copyOfRepository(): Promise<string> {
  const listed = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  assert.equal(listed.code, 0, "git ls-files");
  const files = new TextDecoder().decode(listed.stdout).split("\0").filter(Boolean);
  const copy = await Deno.makeTempDir({ prefix: "tinkex-readme-" });
  for (const file of files) {
    const from = `${ROOT}/${file}`;
    try {
      if (!(await Deno.lstat(from)).isFile) continue;
    } catch {
      continue; // deleted in the work tree, not yet in the index
    }
    const to = `${copy}/${file}`;
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(from, to);
  }
  return copy;
}

/** A directory with a `deno` that is not found, to put first on PATH. */
async function pathWithoutDeno(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "tinkex-no-deno-" });
  await Deno.writeTextFile(
    `${dir}/deno`,
    '#!/bin/sh\necho "deno: command not found" >&2\nexit 127\n',
  );
  await Deno.chmod(`${dir}/deno`, 0o755);
  return `${dir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;
}

/** `export A=1 B=2` as variables; undefined for any other command. */
function exportsOf(command: string): Record<string, string> | undefined {
  const m = /^export\s+(.+)$/.exec(command);
  if (!m) return undefined;
  return Object.fromEntries(
    m[1].split(/\s+/).map((pair) => {
      const eq = pair.indexOf("=");
      return [pair.slice(0, eq), pair.slice(eq + 1).replace(/^["']|["']$/g, "")];
    }),
  );
}

/** Whether the command runs until Ctrl-C: the local server. */
function runsUntilInterrupted(command: string): boolean {
  return /(^|\s)(task serve|serve)(\s|$)/.test(command) && !/--help\b/.test(command);
}

interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** A background command, as in a second terminal (its own process group, like a shell job). */
interface Background {
  command: string;
  child: Deno.ChildProcess;
  stdout: Promise<string>;
  stderr: Promise<string>;
}

Deno.test("every shell command in the README works with only Node (npx -y deno@2)", async (t) => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const commands = readmeCommands(readme);
  assert.ok(commands.length >= 8, `found only ${commands.length} commands`);
  const sandbox = await copyOfRepository();
  const before = new Set([...Deno.readDirSync(sandbox)].map((e) => e.name));
  const port = freePort();
  const env: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1" };
  delete env.TINKER_API_KEY;
  delete env.TINKER_BASE_URL;
  env.PATH = await pathWithoutDeno();
  const background: Background[] = [];
  const adapt = (command: string) => command.replaceAll(README_PORT, port);
  try {
    await t.step("deno itself is not on this PATH", async () => {
      const r = await new Deno.Command("bash", { args: ["-c", "deno --version"], env }).output();
      assert.equal(r.code, 127);
    });
    for (const { command, line } of commands) {
      const reason = SKIPPED[command];
      if (reason !== undefined) {
        await t.step({
          name: `README:${line} ${command} (skipped: ${reason})`,
          ignore: true,
          fn() {},
        });
        continue;
      }
      await t.step(`README:${line} ${command}`, async () => {
        const vars = exportsOf(command);
        if (vars) {
          for (const [k, v] of Object.entries(vars)) env[k] = adapt(v);
          return;
        }
        if (runsUntilInterrupted(command)) {
          // A person stops the running server before starting another on the same port and data.
          await stopAll(background.splice(0));
          background.push(await startInBackground(adapt(command), sandbox, env));
          return;
        }
        const r = await runToEnd(adapt(command), sandbox, env);
        assert.equal(
          r.code,
          0,
          `${command} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
        );
        assert.doesNotMatch(r.stderr, /command not found/);
      });
    }
    await t.step("Ctrl-C stops the last background command cleanly", async () => {
      await stopAll(background.splice(0));
    });
    await t.step("whatever the commands wrote into the repository is ignored by git", async () => {
      const created = [...Deno.readDirSync(sandbox)].map((e) => e.name).filter((n) =>
        !before.has(n)
      );
      for (const name of created) {
        const isDir = Deno.statSync(`${sandbox}/${name}`).isDirectory;
        const r = await new Deno.Command("git", {
          args: ["check-ignore", "--no-index", "-q", isDir ? `${name}/` : name],
          cwd: ROOT,
        }).output();
        assert.equal(
          r.code,
          0,
          `${name} is written by the README's commands but not in .gitignore`,
        );
      }
      assert.ok(created.includes("tinker-data"), `the server's --data dir: ${created}`);
    });
  } finally {
    for (const job of background) {
      try {
        Deno.kill(-job.child.pid, "SIGKILL");
      } catch { /* gone already */ }
      await job.child.status;
    }
    await Deno.remove(sandbox, { recursive: true });
    await Deno.remove(env.PATH.split(":")[0], { recursive: true });
  }
});

Deno.test("the examples' Run: lines use npx -y deno@2 and name files that exist", async () => {
  for await (const entry of Deno.readDir(`${ROOT}/examples`)) {
    if (!entry.name.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(`${ROOT}/examples/${entry.name}`);
    const run = /^ \* Run[^:]*: `([^`]+)`/m.exec(text)?.[1];
    if (!run && /^ \* Deploy: `/m.test(text)) continue; // deployed elsewhere (wrangler), not run here
    assert.ok(run, `${entry.name} has a "Run:" line`);
    assert.match(run, /^npx -y deno@2 (run|task|serve) /, `${entry.name}: ${run}`);
    const file = /examples\/\w+\.ts/.exec(run)?.[0];
    if (file) await Deno.stat(`${ROOT}/${file}`);
  }
});

/** Ctrl-C to each job's process group; each must stop cleanly. */
async function stopAll(jobs: readonly Background[]): Promise<void> {
  for (const job of jobs) {
    Deno.kill(-job.child.pid, "SIGINT");
    const status = await job.child.status;
    const stderr = await job.stderr;
    await job.stdout;
    // npx and `deno task` are interrupted by the same Ctrl-C and report it (130), as a shell
    // shows after Ctrl-C; the server's own clean stop is its "Stopping…" and no error.
    assert.ok([0, 130].includes(status.code), `${job.command}: exit ${status.code}\n${stderr}`);
    assert.match(stderr, /Stopping…/);
    assert.doesNotMatch(stderr, /Error:|Cancelled/);
  }
}

async function runToEnd(
  command: string,
  cwd: string,
  env: Record<string, string>,
): Promise<Finished> {
  const child = new Deno.Command("bash", {
    args: ["-c", command],
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A guard against a hang, not a timing assertion.
  const guard = setTimeout(() => child.kill("SIGKILL"), 300_000);
  const out = await child.output();
  clearTimeout(guard);
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Start `command` in its own process group; resolve once it printed its `export` line. */
async function startInBackground(
  command: string,
  cwd: string,
  env: Record<string, string>,
): Promise<Background> {
  const child = new Deno.Command("setsid", {
    args: ["bash", "-c", `exec ${command}`],
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/^export TINKER_BASE_URL=\S+/m.test(text)) {
    const { value, done } = await reader.read();
    if (done) {
      const status = await child.status;
      throw new Error(
        `${command} ended (${status.code}) before serving:\n${text}\n${await stderr}`,
      );
    }
    text += value;
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += value;
    }
  })();
  return { command, child, stdout: rest, stderr };
}
