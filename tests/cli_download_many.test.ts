// `tinkex checkpoint download` with several paths, --run-id/--latest, --quiet, --dry-run,
// --include/--exclude, --clean-partials, and `tinkex checkpoint verify`, against the local server.
import assert from "node:assert/strict";
import { KEYS, parseJson, runCliInProcess, runCliProcess, startCliServer } from "./_cli_helpers.ts";

Deno.test("tinkex checkpoint download: several paths, latest, quiet, dry-run, selection, verify", async (t) => {
  const srv = await startCliServer();
  const env = srv.env(KEYS.bob);
  const tmp = await Deno.makeTempDir({ prefix: "tinkex-cli-many-" });
  try {
    const { runId, tinkerPaths } = await srv.seedRun(KEYS.bob, 3);

    await t.step("dry-run: destinations, sizes, nothing transferred", async () => {
      const r = await runCliInProcess(
        ["checkpoint", "download", ...tinkerPaths, "-o", tmp, "--dry-run", "--json"],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      const rows = parseJson<{ destination: string; size_bytes: number; action: string }[]>(r);
      assert.equal(rows.length, 3);
      assert.ok(rows.every((x) => x.action === "would download" && x.size_bytes > 0));
      assert.deepEqual([...Deno.readDirSync(tmp)], [], "nothing written");
    });

    await t.step("several paths, two at a time, --quiet prints only the destinations", async () => {
      const r = await runCliProcess(
        ["checkpoint", "download", ...tinkerPaths, "-o", tmp, "--quiet", "--concurrency", "2"],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split("\n");
      assert.equal(lines.length, 3);
      for (const line of lines) await Deno.stat(`${line}/checkpoint_complete`);
      assert.equal(r.stderr, "", "no progress with --quiet");
    });

    await t.step("again: every destination is skipped; dry-run says so", async () => {
      const r = await runCliInProcess(["checkpoint", "download", ...tinkerPaths, "-o", tmp], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.match(/\(skipped\)$/gm)?.length, 3, r.stdout);
      const dry = await runCliInProcess(
        ["checkpoint", "download", tinkerPaths[0], "-o", tmp, "--dry-run"],
        env,
      );
      assert.match(dry.stdout, /^would skip \(present\)/m);
    });

    await t.step("verify: OK, then a changed file is a mismatch (exit 1)", async () => {
      const dest = (await runCliInProcess(
        ["checkpoint", "download", tinkerPaths[0], "-o", tmp, "-q"],
        env,
      )).stdout.trim();
      const ok = await runCliInProcess(["checkpoint", "verify", dest], env);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^OK /);
      await Deno.writeTextFile(`${dest}/adapter_config.json`, "{}");
      const bad = await runCliInProcess(["checkpoint", "verify", dest], env);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, /^MISMATCH /);
      assert.match(bad.stdout, /changed\s+adapter_config\.json/);
    });

    await t.step("--run-id --latest --type and --include", async () => {
      const out = `${tmp}/latest`;
      const r = await runCliInProcess(
        [
          "checkpoint",
          "download",
          "--run-id",
          runId,
          "--latest",
          "--type",
          "weights",
          "--include",
          "*.json",
          "-o",
          out,
          "--json",
        ],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      const result = parseJson<{ tinker_path: string; files: { path: string }[] }>(r);
      assert.match(result.tinker_path, /\/weights\//);
      const newest = tinkerPaths.filter((p) => p.includes("/weights/")).at(-1);
      assert.equal(result.tinker_path, newest);
      assert.deepEqual(result.files.map((f) => f.path), ["adapter_config.json"]);
    });

    await t.step("--clean-partials lists, then removes what interrupted runs left", async () => {
      const stale = `${tmp}/.tinkex-0123456789-partial`;
      await Deno.mkdir(stale);
      const dry = await runCliInProcess(
        ["checkpoint", "download", "--clean-partials", "--dry-run", "-o", tmp],
        env,
      );
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^would remove: .*\.tinkex-0123456789-partial/m);
      await Deno.stat(stale);
      const clean = await runCliInProcess(
        ["checkpoint", "download", "--clean-partials", "-o", tmp],
        env,
      );
      assert.match(clean.stdout, /^removed: /m);
      await assert.rejects(Deno.stat(stale));
    });

    await t.step("an invalid --exclude class is a usage error; nothing written", async () => {
      const out = `${tmp}/bad-pattern`;
      const r = await runCliInProcess(
        ["checkpoint", "download", tinkerPaths[0], "-o", out, "--exclude", "[z-a]"],
        env,
      );
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /Cannot select members with "\[z-a\]"/);
      assert.doesNotMatch(r.stderr, /bug in tinkex/);
      await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
    });

    await t.step("no path and no --run-id is a usage error", async () => {
      const r = await runCliInProcess(["checkpoint", "download", "-o", tmp], env);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--run-id R --latest/);
    });
  } finally {
    await srv.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
