/**
 * `tinkex checkpoint delete|prune`, run as a real process against the local server: the
 * confirmation rule, filters, partial failures and what is left on the server afterwards.
 */
import assert from "node:assert/strict";
import { type Checkpoint, listCheckpoints, listUserCheckpoints } from "../mod.ts";
import { stripAnsi } from "../src/cli/color.ts";
import {
  type CliRun,
  KEYS,
  parseJson,
  runCliInProcess,
  runCliProcess,
  startCliServer,
} from "./_cli_helpers.ts";

interface DeleteJson {
  deleted: string[];
  failed: { tinker_path: string; error: string }[];
  bytes: number;
}

function assertCode(run: CliRun, code: number, label: string): void {
  assert.equal(run.code, code, `${label}: exit ${run.code}\n${run.stdout}\n${run.stderr}`);
}

Deno.test("tinkex checkpoint delete and prune, as a process against the local server", async (t) => {
  const srv = await startCliServer();
  const carol = srv.env(KEYS.carol);
  const cfg = srv.config(KEYS.carol);
  const pathsOf = async (runId: string): Promise<string[]> =>
    (await listCheckpoints(cfg, { runId })).checkpoints.map((c) => c.tinker_path).sort();
  try {
    await t.step("without -y and a terminal: refuses, says how, deletes nothing", async () => {
      const { runId, tinkerPaths } = await srv.seedRun(KEYS.carol, 4);
      const [one, byRun, pruned, asJson] = await Promise.all([
        runCliProcess(["checkpoint", "delete", tinkerPaths[0]], carol),
        runCliProcess(["checkpoint", "delete", "--run-id", runId], carol),
        runCliInProcess(["checkpoint", "prune", "--keep", "1", "--run-id", runId], carol),
        runCliInProcess(["--json", "checkpoint", "delete", "--run-id", runId], carol),
      ]);
      for (const [run, count] of [[one, 1], [byRun, 4], [pruned, 2], [asJson, 4]] as const) {
        assertCode(run, 1, "refusal");
        assert.match(
          run.stderr,
          new RegExp(
            `^Error: Refusing to permanently delete ${count} checkpoints? \\(\\d+\\.\\d [KMG]B\\) ` +
              "without confirmation: stdin is not a terminal$",
            "m",
          ),
        );
        assert.match(run.stderr, /^Pass -y \(--yes\)/m);
        assert.equal(run.stdout, "");
      }
      assert.match(byRun.stderr, /^To delete: 4 checkpoints$/m, "the preview lists them");
      assert.deepEqual(await pathsOf(runId), [...tinkerPaths].sort());
    });

    await t.step(
      "on a terminal: asks with count, size and 'permanent'; only y deletes",
      async () => {
        const { runId, tinkerPaths: [a, b] } = await srv.seedRun(KEYS.carol, 2);
        const terminal = { stdin: true, stderr: true };
        const declined = await runCliInProcess(["checkpoint", "delete", a, b], carol, {
          terminal,
          answers: ["n"],
        });
        assertCode(declined, 1, "declined");
        assert.ok(declined.stderr.includes("\x1b["), "colour on a terminal without NO_COLOR");
        assert.match(
          stripAnsi(declined.stderr),
          /Delete 2 checkpoints \(\d+\.\d [KMG]B\)\? This is permanent: they cannot be recovered\. \[y\/N\] /,
        );
        assert.match(stripAnsi(declined.stderr), /\[y\/N\] Nothing deleted\.$/m);
        assert.doesNotMatch(stripAnsi(declined.stderr), /Error:/, "declining is not a failure");
        assert.equal(declined.stdout, "");
        assert.equal((await pathsOf(runId)).length, 2);
        const accepted = await runCliInProcess(["checkpoint", "delete", a], carol, {
          terminal,
          answers: ["yes"],
        });
        assertCode(accepted, 0, "accepted");
        assert.match(stripAnsi(accepted.stderr), /Delete 1 checkpoint \(/);
        assert.match(accepted.stdout, new RegExp(`^Deleted ${escape(a)}$`, "m"));
        assert.deepEqual(await pathsOf(runId), [b]);
      },
    );

    await t.step("paths with -y: deleted, reported, gone from the server", async () => {
      const { runId, tinkerPaths: [a, b, c, d] } = await srv.seedRun(KEYS.carol, 4);
      const run = await runCliProcess(["checkpoint", "delete", a, b, "-y"], carol);
      assertCode(run, 0, "delete -y");
      const lines = run.stdout.trimEnd().split("\n");
      assert.deepEqual(lines.slice(0, 2), [`Deleted ${a}`, `Deleted ${b}`]);
      assert.match(lines[2], /^Deleted 2 checkpoints \(\d+\.\d [KMG]B\)\.$/);
      assert.equal(run.stderr, "");
      assert.deepEqual(await pathsOf(runId), [c, d].sort());
    });

    await t.step("--run-id with --type, --before and --after filters", async () => {
      const { runId, tinkerPaths } = await srv.seedRun(KEYS.carol, 6);
      const records = (await listCheckpoints(cfg, { runId })).checkpoints;
      const byPath = new Map(records.map((c) => [c.tinker_path, c]));
      const samplers = tinkerPaths.filter((p) => p.includes("/sampler_weights/"));
      const weights = tinkerPaths.filter((p) => p.includes("/weights/"));
      const [bySampler, none] = await Promise.all([
        runCliProcess(
          ["checkpoint", "delete", "--run-id", runId, "--type", "sampler_weights", "-y", "--json"],
          carol,
        ),
        runCliInProcess(
          ["checkpoint", "delete", "--run-id", runId, "--after", "2999-01-01", "-y"],
          carol,
        ),
      ]);
      assertCode(bySampler, 0, "--type");
      const result = parseJson<DeleteJson>(bySampler);
      assert.deepEqual([...result.deleted].sort(), [...samplers].sort());
      assert.deepEqual(result.failed, []);
      const samplerBytes = samplers.reduce((n, p) => n + (byPath.get(p)!.size_bytes ?? 0), 0);
      assert.equal(result.bytes, samplerBytes);
      assertCode(none, 0, "no match");
      assert.equal(none.stdout, "No checkpoints match: nothing to delete.\n");

      // Weights are seeded a second apart, oldest first: --before the second one takes the first.
      const cut = byPath.get(weights[1])!.time;
      const before = await runCliProcess(
        ["checkpoint", "delete", "--run-id", runId, "--before", cut, "--yes", "--json"],
        carol,
      );
      assertCode(before, 0, "--before");
      assert.deepEqual(parseJson<DeleteJson>(before).deleted, [weights[0]]);
      assert.deepEqual(await pathsOf(runId), weights.slice(1).sort());
    });

    await t.step("partial failures are listed; the rest is deleted; exit 1", async () => {
      const { runId, tinkerPaths: [a, b] } = await srv.seedRun(KEYS.carol, 2);
      const missing = `tinker://${runId}/weights/missing`;
      const bobs = (await listUserCheckpoints(srv.config(KEYS.bob))).checkpoints[0].tinker_path;
      const [partial, invalid] = await Promise.all([
        runCliProcess(["checkpoint", "delete", a, missing, bobs, "-y"], carol),
        runCliInProcess(["checkpoint", "delete", b, "tinker://x/optimizer/y", "-y"], carol),
      ]);
      assertCode(partial, 1, "partial");
      assert.match(partial.stdout, new RegExp(`^Deleted ${escape(a)}$`, "m"));
      assert.match(partial.stderr, new RegExp(`^Failed: ${escape(missing)}: not found`, "m"));
      assert.match(partial.stderr, new RegExp(`^Failed: ${escape(bobs)}: not found`, "m"));
      assert.match(partial.stderr, /^Error: 2 of 3 checkpoints could not be deleted$/m);
      assert.match(partial.stderr, /^Warning: .*not in its run's checkpoint list/m);
      assertCode(invalid, 1, "invalid path");
      assert.match(invalid.stderr, /^Error: Invalid tinker path: tinker:\/\/x\/optimizer\/y/);
      assert.deepEqual(await pathsOf(runId), [b], "a deleted; b untouched by the invalid call");
      const bobsNow = (await listUserCheckpoints(srv.config(KEYS.bob))).checkpoints;
      assert.ok(bobsNow.some((c) => c.tinker_path === bobs), "another user's checkpoint survives");
    });

    await t.step("prune: --dry-run shows, -y keeps the newest N of each kind", async () => {
      const { runId, tinkerPaths } = await srv.seedRun(KEYS.carol, 6);
      const [dryJson, dryTable] = await Promise.all([
        runCliInProcess([
          "checkpoint",
          "prune",
          "--keep",
          "1",
          "--run-id",
          runId,
          "--dry-run",
          "--json",
        ], carol),
        runCliProcess(
          ["checkpoint", "prune", "--keep", "2", "--run-id", runId, "--dry-run"],
          carol,
        ),
      ]);
      assertCode(dryJson, 0, "dry-run json");
      const plan = parseJson<{ dry_run: boolean; would_delete: Checkpoint[]; kept: number }>(
        dryJson,
      );
      assert.equal(plan.dry_run, true);
      assert.equal(plan.kept, 2);
      assert.equal(plan.would_delete.length, 4);
      assertCode(dryTable, 0, "dry-run table");
      assert.match(dryTable.stdout, /^Would delete 2 checkpoints \(\d+\.\d [KMG]B\), keeping 4$/m);
      assert.equal((await pathsOf(runId)).length, 6, "a dry run deletes nothing");

      const pruned = await runCliProcess([
        "checkpoint",
        "prune",
        "--keep",
        "2",
        "--run-id",
        runId,
        "-y",
      ], carol);
      assertCode(pruned, 0, "prune -y");
      assert.match(pruned.stdout, /^Deleted 2 checkpoints/m);
      // Seeded oldest first, kinds alternating: the two newest of each kind are the last four.
      assert.deepEqual(await pathsOf(runId), tinkerPaths.slice(2).sort());

      const everywhere = await runCliInProcess(
        ["checkpoint", "prune", "--keep", "1", "-y", "--json"],
        carol,
      );
      assertCode(everywhere, 0, "prune all runs");
      assert.deepEqual(parseJson<DeleteJson>(everywhere).failed, []);
      const left = (await listUserCheckpoints(cfg, { limit: 1000 })).checkpoints;
      const perGroup = new Map<string, number>();
      for (const c of left) {
        const group = c.tinker_path.replace(/\/[^/]+$/, "");
        perGroup.set(group, (perGroup.get(group) ?? 0) + 1);
      }
      assert.ok([...perGroup.values()].every((n) => n === 1), JSON.stringify([...perGroup]));
    });
  } finally {
    await srv.close();
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
