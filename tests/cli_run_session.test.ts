/**
 * `tinkex run|session|serve|version` and usage errors, run as a real process.
 */
import assert from "node:assert/strict";
import { getSession, getTrainingRun, listSessions, listTrainingRuns } from "../mod.ts";
import {
  type CliRun,
  KEYS,
  parseJson,
  runCliInProcess,
  runCliProcess,
  startCliServer,
} from "./_cli_helpers.ts";

function assertOk(run: CliRun, label: string): void {
  assert.equal(run.code, 0, `${label}: exit ${run.code}\n${run.stderr}`);
  assert.equal(run.stderr, "", label);
}

function assertFailure(run: CliRun, code: number, message: RegExp, label: string): void {
  assert.equal(run.code, code, `${label}: exit ${run.code}\n${run.stderr}`);
  assert.match(run.stderr.split("\n")[0], message, label);
  assert.ok(run.stderr.split("\n")[1].length > 0, `${label}: a hint line follows`);
  assert.equal(run.stdout, "", label);
}

Deno.test("tinkex run and session, as a process against the local server", async (t) => {
  const srv = await startCliServer();
  const alice = srv.env(KEYS.alice);
  try {
    const cfg = srv.config(KEYS.alice);
    const runs = (await listTrainingRuns(cfg)).training_runs;
    const accessible = (await listTrainingRuns(cfg, { accessScope: "accessible" })).training_runs;
    const runId = runs[0].training_run_id;
    const sessions = (await listSessions(cfg)).sessions;

    await t.step("run list and run info", async () => {
      const [table, limited, json, scoped, info, infoJson, missing] = await Promise.all([
        runCliProcess(["run", "list"], alice),
        runCliInProcess(["run", "list", "--limit", "1"], alice),
        runCliProcess(["run", "list", "--json", "--limit", "1"], alice),
        runCliInProcess(["run", "list", "--access-scope", "accessible", "-f", "json"], alice),
        runCliProcess(["run", "info", runId], alice),
        runCliInProcess(["run", "info", runId, "--json"], alice),
        runCliProcess(["run", "info", "no-such-run"], alice),
      ]);
      for (const r of [table, limited, json, scoped, info, infoJson]) assertOk(r, "run");
      const lines = table.stdout.trimEnd().split("\n");
      assert.equal(lines[0], `${runs.length} training runs`);
      assert.match(lines[1], /^Run ID\s+Base Model\s+Owner\s+LoRA\s+Last Update\s+Status$/);
      assert.match(lines[2], new RegExp(`^${escape(runId)}\\s+${escape(runs[0].base_model)}\\s`));
      assert.match(lines[2], /Rank \d+\s+.* ago\s+Active$/);
      assert.equal(
        limited.stdout.split("\n")[0],
        `1 training run (${runs.length - 1} more not shown, use --limit 0 to show all)`,
      );
      const page = parseJson<{ training_runs: unknown[]; cursor: { total_count: number } }>(json);
      assert.deepEqual(page.training_runs, runs.slice(0, 1));
      assert.equal(page.cursor.total_count, runs.length);
      const all = parseJson<{ training_runs: { training_run_id: string }[] }>(scoped);
      assert.deepEqual(all.training_runs, accessible);
      assert.ok(accessible.length > runs.length, "accessible adds another user's public run");

      assert.match(info.stdout, new RegExp(`^Run ID:\\s+${escape(runId)}$`, "m"));
      assert.match(info.stdout, /^Last checkpoint:\s+tinker:\/\//m);
      assert.match(info.stdout, /^Last update:\s+.* ago \(\d{4}-/m);
      assert.deepEqual(parseJson(infoJson), await getTrainingRun(cfg, runId));
      assertFailure(missing, 1, /^Error: .*404/, "missing run");
    });

    await t.step("session list and session info", async () => {
      const id = sessions[0];
      const [table, json, info, infoJson, missing] = await Promise.all([
        runCliProcess(["session", "list"], alice),
        runCliInProcess(["session", "list", "--json"], alice),
        runCliProcess(["session", "info", id], alice),
        runCliInProcess(["session", "info", id, "--json"], alice),
        runCliProcess(["session", "info", "no-such-session"], alice),
      ]);
      for (const r of [table, json, info, infoJson]) assertOk(r, "session");
      assert.deepEqual(table.stdout.trimEnd().split("\n"), [
        `${sessions.length} sessions`,
        "Session ID",
        ...sessions,
      ]);
      assert.deepEqual(parseJson(json), {
        sessions,
        cursor: { offset: 0, limit: 20, total_count: null, has_more: false },
      });
      const detail = await getSession(cfg, id);
      assert.match(info.stdout, new RegExp(`^Session: ${escape(id)}$`, "m"));
      assert.match(
        info.stdout,
        new RegExp(`^Training runs \\(${detail.training_run_ids.length}\\):`, "m"),
      );
      for (const r of detail.training_run_ids) assert.ok(info.stdout.includes(`  ${r}\n`));
      assert.deepEqual(parseJson(infoJson), { session_id: id, ...detail });
      assertFailure(missing, 1, /^Error: /, "missing session");
    });

    await t.step("version, help and usage errors", async () => {
      const [version, help, unknownFlag, unknownCommand, missingArg, badValue] = await Promise.all([
        runCliProcess(["version", "--json"], {}),
        runCliInProcess(["checkpoint", "--help"], {}),
        runCliProcess(["checkpoint", "list", "--frobnicate"], alice),
        runCliInProcess(["checkpoints"], alice),
        runCliProcess(["run", "info"], alice),
        runCliInProcess(["run", "list", "--limit", "many"], alice),
      ]);
      assertOk(version, "version");
      assert.match(parseJson<{ version: string }>(version).version, /^\d+\.\d+\.\d+/);
      assertOk(help, "help");
      assert.match(help.stdout, /^Usage: tinkex checkpoint <command>/m);
      assertFailure(unknownFlag, 2, /^Error: Unknown option --frobnicate/, "unknown flag");
      assertFailure(unknownCommand, 2, /^Error: Unknown command 'checkpoints'$/, "unknown command");
      assertFailure(missingArg, 2, /^Error: Missing argument RUN_ID$/, "missing argument");
      assertFailure(badValue, 2, /^Error: Invalid value 'many' for --limit/, "bad value");
    });
  } finally {
    await srv.close();
  }
});

Deno.test("tinkex serve runs the local server until SIGINT", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tinkex-cli-serve-" });
  const key = "tml-cli-serve-key";
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      cli,
      "serve",
      "--port",
      "0",
      "--api-key",
      key,
      "--seed",
      "--data",
      dataDir,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  try {
    let baseUrl: string | undefined;
    while (baseUrl === undefined) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`serve exited early:\n${out}\n${await stderr}`);
      out += value;
      baseUrl = /export TINKER_BASE_URL=(\S+) TINKER_API_KEY=(\S+)/.exec(out)?.[1];
    }
    const listed = await runCliProcess(["checkpoint", "list", "--json"], {
      TINKER_BASE_URL: baseUrl,
      TINKER_API_KEY: key,
    });
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(parseJson<{ checkpoints: unknown[] }>(listed).checkpoints.length > 0, "seeded");
  } finally {
    child.kill("SIGINT");
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
    const status = await child.status;
    await stderr;
    await Deno.remove(dataDir, { recursive: true });
    assert.equal(status.code, 0, "a clean stop on SIGINT");
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
