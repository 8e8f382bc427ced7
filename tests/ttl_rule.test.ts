/**
 * The service's TTL rule (3600 ≤ ttl ≤ 315,360,000 s) in the client (refused before any
 * request), the local server (400 with the range) and the CLI (`--ttl` durations).
 */
import assert from "node:assert/strict";
import {
  createTrainingClient,
  MAX_TTL_SECONDS,
  MIN_TTL_SECONDS,
  saveState,
  saveWeightsForSampler,
  setCheckpointTtl,
} from "../mod.ts";
import { TTL_RANGE } from "../src/cli/commands.ts";
import { parseDurationArg } from "../src/cli/duration.ts";
import { KEYS, runCliInProcess, runCliProcess, startCliServer } from "./_cli_helpers.ts";
import { startRecordingServer, testConfig } from "./_recording_server.ts";
import { api, assertError, ckptPath, createModel, save, withServer } from "./_server_helpers.ts";

const OUT_OF_RANGE = [60, 3599, MAX_TTL_SECONDS + 1, 1.5, Number.NaN];

Deno.test("client: a TTL outside one hour to ten years is refused before any request", async () => {
  const srv = startRecordingServer();
  try {
    const config = testConfig(srv.baseUrl);
    for (const ttl of OUT_OF_RANGE) {
      await assert.rejects(
        () => setCheckpointTtl(config, "tinker://r/weights/a", ttl),
        (e) =>
          e instanceof RangeError && /3600 \(1 hour\) and 315360000 \(10 years\)/.test(e.message),
        String(ttl),
      );
    }
    assert.equal(srv.requests.length, 0, "nothing was sent");
    await setCheckpointTtl(config, "tinker://r/weights/a", MIN_TTL_SECONDS);
    await setCheckpointTtl(config, "tinker://r/weights/a", MAX_TTL_SECONDS);
    await setCheckpointTtl(config, "tinker://r/weights/a", null);
    assert.deepEqual(srv.requests.map((r) => JSON.parse(r.body).ttl_seconds), [
      3600,
      315_360_000,
      null,
    ]);
  } finally {
    await srv.close();
  }
});

Deno.test("client: saves with an out-of-range ttlSeconds send nothing; in range they save", async () => {
  await withServer({}, async (server) => {
    const config = { apiKey: server.apiKeys[0], baseUrl: server.baseUrl };
    const client = await createTrainingClient(config, { baseModel: "Qwen/Qwen3-8B", rank: 4 });
    for (const save of [saveState, saveWeightsForSampler]) {
      await assert.rejects(
        () => save(client, "short", { ttlSeconds: 60 }),
        (e) => e instanceof RangeError && /Cannot save "short"/.test(e.message),
      );
    }
    assert.equal(client.lastSeqId, 0, "no request took a seq_id");
    const path = await saveState(client, "day", { ttlSeconds: 86_400 });
    assert.equal(path, `tinker://${client.modelId}/weights/day`);
  });
});

Deno.test("server: set-TTL and saves answer 400 outside the service's range", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    const path = (await save(s, modelId, "a")).body.path;
    for (const ttl of [60, 3599, MAX_TTL_SECONDS + 1]) {
      assertError(
        await api(s, "PUT", ckptPath(path, "/ttl"), { body: { ttl_seconds: ttl } }),
        400,
        /ttl_seconds must be between 3600 \(1 hour\) and 315360000 \(10 years\)/,
      );
      for (const type of ["save_weights", "save_weights_for_sampler"]) {
        const res = await api(s, "POST", `/api/v1/${type}`, {
          body: { model_id: modelId, path: `t${ttl}`, seq_id: 2, ttl_seconds: ttl, type },
        });
        assertError(res, 400, /between 3600 \(1 hour\) and 315360000/);
      }
    }
    const edge = await api(s, "PUT", ckptPath(path, "/ttl"), { body: { ttl_seconds: 3600 } });
    assert.equal(edge.status, 200, edge.text);
    const max = await api(s, "PUT", ckptPath(path, "/ttl"), {
      body: { ttl_seconds: MAX_TTL_SECONDS },
    });
    assert.equal(max.status, 200, max.text);
    const listed = await api(s, "GET", "/api/v1/checkpoints");
    assert.deepEqual(listed.body.checkpoints.map((c: { tinker_path: string }) => c.tinker_path), [
      path,
    ], "no refused save left a checkpoint");
  });
});

Deno.test("CLI: --ttl takes seconds or durations within the range, else a usage error", async () => {
  assert.deepEqual(TTL_RANGE, { min: MIN_TTL_SECONDS, max: MAX_TTL_SECONDS });
  assert.deepEqual(
    ["3600", "90m", "12h", "7d", "2w", "10y", "x", "1.5h", "-1d"].map(parseDurationArg),
    [
      3600,
      5400,
      43_200,
      604_800,
      1_209_600,
      315_360_000,
      undefined,
      undefined,
      undefined,
    ],
  );
  const srv = await startCliServer();
  try {
    const { tinkerPaths: [path] } = await srv.seedRun(KEYS.carol, 1);
    const env = srv.env(KEYS.carol);
    const week = await runCliProcess(["checkpoint", "set-ttl", path, "--ttl", "7d", "--json"], env);
    assert.equal(week.code, 0, week.stderr);
    assert.deepEqual(JSON.parse(week.stdout), { tinker_path: path, ttl_seconds: 604_800 });
    const info = await api(
      { baseUrl: srv.baseUrl } as Parameters<typeof api>[0],
      "GET",
      ckptPath(path),
      { key: KEYS.carol },
    );
    const expires = Date.parse(info.body.expires_at);
    assert.ok(expires > Date.now() + 6.9 * 86_400_000 && expires <= Date.now() + 7 * 86_400_000);
    for (const bad of ["60", "59m", "11y", "soon"]) {
      const run = await runCliInProcess(["checkpoint", "set-ttl", path, "--ttl", bad], env);
      assert.equal(run.code, 2, `${bad}: ${run.stderr}`);
      assert.match(run.stderr, /Invalid value .* for --ttl: expected seconds or a duration/);
    }
    const after = await api(
      { baseUrl: srv.baseUrl } as Parameters<typeof api>[0],
      "GET",
      ckptPath(path),
      { key: KEYS.carol },
    );
    assert.equal(after.body.expires_at, info.body.expires_at, "refused values changed nothing");
  } finally {
    await srv.close();
  }
});
