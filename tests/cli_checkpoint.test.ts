/**
 * `tinkex checkpoint list|info|url|publish|unpublish|set-ttl|download`, run as a real process
 * against the local server.
 */
import assert from "node:assert/strict";
import { getCheckpoint, getWeightsInfo, listTrainingRuns, listUserCheckpoints } from "../mod.ts";
import {
  type CliRun,
  KEYS,
  parseJson,
  runCliInProcess,
  runCliProcess,
  startCliServer,
} from "./_cli_helpers.ts";

interface ListJson {
  checkpoints: { tinker_path: string; size_bytes: number | null; checkpoint_id: string }[];
  cursor: { offset: number; limit: number; total_count: number; has_more: boolean };
}

function assertClean(run: CliRun, label: string): void {
  assert.equal(run.code, 0, `${label}: exit ${run.code}\n${run.stderr}`);
  assert.ok(!run.stdout.includes("\x1b") && !run.stderr.includes("\x1b"), `${label}: no colour`);
}

function assertFailure(run: CliRun, message: RegExp, label: string): void {
  assert.equal(run.code, 1, `${label}: exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  const [first, hint] = run.stderr.split("\n");
  assert.match(first, /^Error: /, label);
  assert.match(first, message, label);
  assert.ok(hint && hint.length > 0, `${label}: a hint line follows`);
}

Deno.test("tinkex checkpoint, as a process against the local server", async (t) => {
  const srv = await startCliServer();
  const alice = srv.env(KEYS.alice);
  const carol = srv.env(KEYS.carol);
  const tmp = await Deno.makeTempDir({ prefix: "tinkex-cli-" });
  try {
    const all = await listUserCheckpoints(srv.config(KEYS.alice), { limit: 100 });
    const runs = await listTrainingRuns(srv.config(KEYS.alice));
    const path = all.checkpoints[0].tinker_path;
    const runId = runs.training_runs[0].training_run_id;

    await t.step("list: table, K more not shown, --limit 0, --offset, --run-id, JSON", async () => {
      const [table, limited, everything, paged, ofRun] = await Promise.all([
        runCliProcess(["checkpoint", "list"], alice),
        runCliProcess(["checkpoint", "list", "--limit", "2"], alice),
        runCliProcess(["--json", "checkpoint", "list", "--limit", "0"], alice),
        runCliInProcess(
          ["checkpoint", "list", "--format", "json", "--limit", "2", "--offset", "4"],
          alice,
        ),
        runCliInProcess(["checkpoint", "list", "--run-id", runId, "--json"], alice),
      ]);
      for (const r of [table, limited, everything, paged, ofRun]) assertClean(r, "list");
      const lines = table.stdout.trimEnd().split("\n");
      assert.equal(lines[0], `${all.checkpoints.length} checkpoints`);
      assert.match(lines[1], /^Checkpoint ID\s+Type\s+Size\s+Public\s+Created\s+Expires\s+Path$/);
      assert.equal(lines.length, 2 + all.checkpoints.length);
      assert.match(table.stdout, /\d+\.\d KB/);
      assert.match(table.stdout, / ago /);
      assert.match(table.stdout, /Never/);
      assert.ok(lines.every((l) => l === l.trimEnd()), "no trailing spaces");
      assert.equal(table.stderr, "");

      const limitedLines = limited.stdout.trimEnd().split("\n");
      assert.equal(
        limitedLines[0],
        `2 checkpoints (${all.checkpoints.length - 2} more not shown, use --limit 0 to show all)`,
      );
      assert.equal(limitedLines.length, 4);

      const every = parseJson<ListJson>(everything);
      assert.deepEqual(every.checkpoints, all.checkpoints);
      assert.equal(every.cursor.total_count, all.checkpoints.length);

      const page = parseJson<ListJson>(paged);
      assert.deepEqual(page.checkpoints, all.checkpoints.slice(4, 6));
      assert.deepEqual(page.cursor, {
        offset: 4,
        limit: 2,
        total_count: all.checkpoints.length,
        has_more: all.checkpoints.length > 6,
      });

      const mine = parseJson<ListJson>(ofRun);
      assert.ok(mine.checkpoints.length > 0);
      assert.ok(mine.checkpoints.every((c) => c.tinker_path.startsWith(`tinker://${runId}/`)));
    });

    await t.step("info and url: details with weights info, signed URL, errors", async () => {
      const [info, infoJson, missing, invalid, url, urlJson] = await Promise.all([
        runCliProcess(["checkpoint", "info", path], alice),
        runCliProcess(["checkpoint", "info", path, "--json"], alice),
        runCliProcess(["checkpoint", "info", `tinker://${runId}/weights/does-not-exist`], alice),
        runCliInProcess(["checkpoint", "info", "not-a-path"], alice),
        runCliProcess(["checkpoint", "url", path], alice),
        runCliInProcess(["checkpoint", "url", path, "--json"], alice),
      ]);
      const weights = await getWeightsInfo(srv.config(KEYS.alice), path);
      assertClean(info, "info");
      assert.match(info.stdout, new RegExp(`^Path:\\s+${escape(path)}$`, "m"));
      assert.match(info.stdout, new RegExp(`^Base model:\\s+${escape(weights.base_model)}$`, "m"));
      assert.match(info.stdout, new RegExp(`^LoRA:\\s+Rank ${weights.lora_rank}$`, "m"));
      assert.match(info.stdout, /^Size:\s+\d+\.\d KB$/m);

      const detail = parseJson<Record<string, unknown>>(infoJson);
      assert.equal(detail.tinker_path, path);
      assert.deepEqual(detail.weights_info, weights);

      assertFailure(missing, /not found/i, "missing checkpoint");
      assertFailure(invalid, /^Error: Invalid tinker path: not-a-path/, "invalid path");

      assertClean(url, "url");
      const signed = url.stdout.trim();
      assert.ok(signed.startsWith("http://127.0.0.1"), signed);
      assert.equal(url.stdout.split("\n").length, 2, "the URL alone on stdout");
      assert.match(url.stderr, /^Expires in \d+ minutes/);
      const archive = await fetch(signed); // no API key: the URL is pre-signed
      assert.equal(archive.status, 200);
      assert.equal((await archive.arrayBuffer()).byteLength, all.checkpoints[0].size_bytes);
      const urlBody = parseJson<{ url: string; expires: string }>(urlJson);
      assert.ok(urlBody.url.startsWith("http://127.0.0.1"));
      assert.ok(Date.parse(urlBody.expires) > Date.now());
    });

    await t.step("publish, unpublish, set-ttl: state changes and partial failures", async () => {
      const { runId: run, tinkerPaths: [a, b, c] } = await srv.seedRun(KEYS.carol, 3);
      const cfg = srv.config(KEYS.carol);
      const [published, ttl, invalid] = await Promise.all([
        runCliProcess(["checkpoint", "publish", a, b], carol),
        runCliProcess(["checkpoint", "set-ttl", c, "--ttl", "3600"], carol),
        runCliInProcess(["checkpoint", "publish", a, "tinker://only-two/parts"], carol),
      ]);
      assertClean(published, "publish");
      assert.equal(published.stdout, `Published ${a}\nPublished ${b}\n`);
      assertClean(ttl, "set-ttl");
      assert.equal(ttl.stdout, `${c} now expires in 1 hour.\n`);
      assertFailure(invalid, /Invalid tinker path: tinker:\/\/only-two\/parts/, "invalid publish");
      assert.equal(invalid.stdout, "");
      assert.equal((await getCheckpoint(cfg, a)).public, true);
      assert.equal((await getCheckpoint(cfg, b)).public, true);
      const expires = Date.parse((await getCheckpoint(cfg, c)).expires_at!);
      assert.ok(Math.abs(expires - (Date.now() + 3600_000)) < 120_000, "expires in about an hour");

      const missing = `tinker://${run}/weights/missing`;
      const [again, unpublished, removed] = await Promise.all([
        runCliProcess(["checkpoint", "publish", a], carol),
        runCliProcess(["checkpoint", "unpublish", b, missing, "--json"], carol),
        runCliProcess(["checkpoint", "set-ttl", c, "--remove", "--json"], carol),
      ]);
      assertFailure(
        again,
        new RegExp(`^Error: Cannot publish ${escape(a)}: already public$`),
        "again",
      );
      assert.equal(unpublished.code, 1);
      assert.deepEqual(parseJson(unpublished), {
        unpublished: [b],
        failed: [{ tinker_path: missing, error: "not found (or not yours)" }],
      });
      assert.match(unpublished.stderr, new RegExp(`^Failed: ${escape(missing)}: not found`, "m"));
      assert.match(unpublished.stderr, /^Error: 1 of 2 checkpoints could not be unpublished$/m);
      assertClean(removed, "set-ttl --remove");
      assert.deepEqual(parseJson(removed), { tinker_path: c, ttl_seconds: null });
      assert.equal((await getCheckpoint(cfg, b)).public, false);
      assert.equal((await getCheckpoint(cfg, c)).expires_at, null);
    });

    await t.step("download: progress lines on stderr, files on disk, --force, JSON", async () => {
      const { tinkerPaths: [a] } = await srv.seedRun(KEYS.carol, 1);
      const first = await runCliProcess(["checkpoint", "download", a, "-o", tmp], carol);
      assertClean(first, "download");
      const m = /^Downloaded (\S+) to (.+) \((\d+) files, [\d.]+ [KMG]B\)$/.exec(
        first.stdout.trim(),
      );
      assert.ok(m, first.stdout);
      const destination = m[2];
      assert.ok(destination.startsWith(tmp));
      assert.match(first.stderr, /^Downloading\.\.\.$/m);
      assert.ok(!first.stderr.includes("\r"), "plain lines when stderr is not a terminal");
      const config = JSON.parse(await Deno.readTextFile(`${destination}/adapter_config.json`));
      assert.equal(typeof config, "object");
      await Deno.stat(`${destination}/checkpoint_complete`);

      const exists = await runCliProcess(["checkpoint", "download", a, "-o", tmp], carol);
      assertFailure(exists, /already exists/, "existing destination");
      assert.match(exists.stderr, /--force/);

      const forced = await runCliProcess(
        ["checkpoint", "download", a, "--output", tmp, "--force", "--json"],
        carol,
      );
      assertClean(forced, "download --force");
      const result = parseJson<{ destination: string; files: { path: string }[]; bytes: number }>(
        forced,
      );
      assert.equal(result.destination, destination);
      assert.ok(result.files.some((f) => f.path === "adapter_config.json"));
      assert.ok(result.bytes > 0);
    });

    await t.step("bad or missing API key: exit 1, explained, key never printed", async () => {
      const wrongKey = "tml-cli-wrong-secret";
      const [wrong, none] = await Promise.all([
        runCliProcess(["checkpoint", "list"], { ...alice, TINKER_API_KEY: wrongKey }),
        runCliProcess(["checkpoint", "list"], { TINKER_BASE_URL: srv.baseUrl }),
      ]);
      assertFailure(wrong, /401/, "wrong key");
      assert.match(wrong.stderr, /API key/);
      assert.ok(!wrong.stderr.includes(wrongKey) && !wrong.stdout.includes(wrongKey));
      assertFailure(none, /no API key/, "no key");
      assert.match(none.stderr, /TINKER_API_KEY/);
    });
  } finally {
    await srv.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
