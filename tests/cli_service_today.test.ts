/**
 * The CLI over the newer service calls, as a real process (and in-process for variants) against
 * the local server: `checkpoint copy`, `--meta` filters on list / delete / prune, metadata in
 * `info`, external checkpoints listed and downloaded, `session finish`.
 */
import assert from "node:assert/strict";
import {
  createTrainingClient,
  getCheckpoint,
  listCheckpoints,
  publishCheckpoint,
  saveState,
  saveWeightsExternal,
  saveWeightsForSampler,
} from "../mod.ts";
import { KEYS, parseJson, runCliInProcess, runCliProcess, startCliServer } from "./_cli_helpers.ts";

Deno.test("tinkex CLI: copy, --meta filters, metadata in info, external checkpoints, finish", async (t) => {
  const srv = await startCliServer();
  const tmp = await Deno.makeTempDir({ prefix: "tinkex-cli-today-" });
  try {
    const carol = srv.env(KEYS.carol);
    const config = srv.config(KEYS.carol);
    const client = await createTrainingClient(config, {
      baseModel: "Qwen/Qwen3-8B",
      rank: 4,
      userMetadata: { team: "eval" },
    });
    const warm = await saveState(client, "warm", { userMetadata: { stage: "warmup" } });
    const main1 = await saveState(client, "main-1", { userMetadata: { stage: "main" } });
    const main2 = await saveWeightsForSampler(client, "main-2", {
      userMetadata: { stage: "main" },
    });
    const external = (await saveWeightsExternal(client, "hf")).path;

    await t.step("list --meta: only matching checkpoints, with --limit", async () => {
      const all = parseJson<{ checkpoints: { tinker_path: string }[] }>(
        await runCliProcess(["checkpoint", "list", "--meta", "stage=main", "--json"], carol),
      );
      assert.deepEqual(all.checkpoints.map((c) => c.tinker_path).sort(), [main1, main2].sort());
      const one = parseJson<{ checkpoints: unknown[] }>(
        await runCliInProcess(
          ["checkpoint", "list", "--meta", "stage=main", "--limit", "1", "--json"],
          carol,
        ),
      );
      assert.equal(one.checkpoints.length, 1);
      const none = await runCliInProcess(
        ["checkpoint", "list", "--meta", "stage=main", "--meta", "x=y", "--json"],
        carol,
      );
      assert.deepEqual(parseJson<{ checkpoints: unknown[] }>(none).checkpoints, []);
      const bad = await runCliInProcess(["checkpoint", "list", "--meta", "stage"], carol);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /Invalid value 'stage' for --meta: expected KEY=VALUE/);
    });

    await t.step("info: metadata and base model; external checkpoints listed", async () => {
      const info = await runCliProcess(["checkpoint", "info", warm], carol);
      assert.equal(info.code, 0, info.stderr);
      assert.match(info.stdout, /Metadata:\s+stage=warmup/);
      assert.match(info.stdout, /Base model:\s+Qwen\/Qwen3-8B/);
      const table = await runCliInProcess(
        ["checkpoint", "list", "--run-id", client.modelId],
        carol,
      );
      assert.match(table.stdout, /external_weights\/hf\s+external/);
    });

    await t.step("download: an external checkpoint's files", async () => {
      const run = await runCliProcess(["checkpoint", "download", external, "-o", tmp], carol);
      assert.equal(run.code, 0, run.stderr);
      const dir = `${tmp}/${client.modelId}_external_weights_hf`;
      assert.ok((await Deno.stat(`${dir}/model.safetensors`)).size > 0);
      assert.ok((await Deno.stat(`${dir}/tokenizer/tokenizer_config.json`)).isFile);
    });

    await t.step(
      "copy: a new path, the TTL applied; another user's public checkpoint",
      async () => {
        const run = await runCliProcess(["checkpoint", "copy", main1, "--ttl", "30d"], carol);
        assert.equal(run.code, 0, run.stderr);
        const copy = run.stdout.trim();
        assert.match(copy, /^tinker:\/\/.+:train:0\/weights\/main-1$/);
        assert.match(run.stderr, /expires in 30 days/);
        const copied = await getCheckpoint(config, copy);
        const days = (Date.parse(copied.expires_at!) - Date.now()) / 86_400_000;
        assert.ok(days > 29.9 && days <= 30, String(days));
        const denied = await runCliInProcess(["checkpoint", "copy", main1], srv.env(KEYS.bob));
        assert.equal(denied.code, 1);
        assert.match(denied.stderr, /^Error: .*not found/i);
        await publishCheckpoint(config, main1);
        const bobs = parseJson<{ tinker_path: string; source_path: string }>(
          await runCliInProcess(["checkpoint", "copy", main1, "--json"], srv.env(KEYS.bob)),
        );
        assert.equal(bobs.source_path, main1);
        assert.equal((await getCheckpoint(srv.config(KEYS.bob), bobs.tinker_path)).public, false);
        const short = await runCliInProcess(["checkpoint", "copy", main1, "--ttl", "10m"], carol);
        assert.equal(short.code, 2, "a TTL under an hour is a usage error");
      },
    );

    await t.step(
      "delete --run-id --meta and prune --meta touch only matching checkpoints",
      async () => {
        const prune = async (...extra: string[]) =>
          parseJson<{ would_delete: { tinker_path: string }[] }>(
            await runCliInProcess(
              [
                "checkpoint",
                "prune",
                "--keep",
                "1",
                "--run-id",
                client.modelId,
                "--dry-run",
                "--json",
                ...extra,
              ],
              carol,
            ),
          ).would_delete.map((c) => c.tinker_path);
        // warm is the older of the run's two training checkpoints; with --meta only main-1 counts.
        assert.deepEqual(await prune(), [warm]);
        assert.deepEqual(await prune("--meta", "stage=main"), []);
        const del = await runCliProcess(
          ["checkpoint", "delete", "--run-id", client.modelId, "--meta", "stage=warmup", "-y"],
          carol,
        );
        assert.equal(del.code, 0, del.stderr);
        const left = (await listCheckpoints(config, { runId: client.modelId })).checkpoints
          .map((c) => c.tinker_path).sort();
        assert.deepEqual(left, [external, main1, main2].sort());
        const noRun = await runCliInProcess(
          ["checkpoint", "delete", warm, "--meta", "a=b", "-y"],
          carol,
        );
        assert.equal(noRun.code, 2);
        assert.match(noRun.stderr, /--meta only applies with --run-id/);
      },
    );

    await t.step("session finish, and session info shows metadata", async () => {
      const info = await runCliInProcess(["session", "info", client.sessionId], carol);
      assert.match(info.stdout, /Metadata: team=eval/);
      const done = await runCliProcess(
        ["session", "finish", client.sessionId, "--reason", "errored", "--detail", "diverged"],
        carol,
      );
      assert.equal(done.code, 0, done.stderr);
      assert.equal(done.stdout, `Finished session ${client.sessionId} (errored).\n`);
      const bad = await runCliInProcess(
        ["session", "finish", client.sessionId, "--reason", "meh"],
        carol,
      );
      assert.equal(bad.code, 2);
    });
  } finally {
    await srv.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
