import assert from "node:assert/strict";
import {
  ALICE,
  api,
  archiveUrl,
  assertError,
  BOB,
  ckptPath,
  createModel,
  runFuture,
  save,
  submitCreateModel,
  withServer,
  withTempDir,
} from "./_server_helpers.ts";
import type { RunningServer } from "../server.ts";

Deno.test("server: a missing or unknown API key is 401 JSON on every API route", async () => {
  await withServer({}, async (s) => {
    for (const key of [null, "", "tml-not-a-known-key"]) {
      for (
        const [method, path] of [
          ["GET", "/api/v1/checkpoints"],
          ["GET", "/api/v1/training_runs"],
          ["POST", "/api/v1/create_session"],
          ["POST", "/api/v1/retrieve_future"],
          ["POST", "/api/v1/client/config"],
        ]
      ) {
        const res = await api(s, method, path, { key, body: method === "POST" ? {} : undefined });
        assertError(res, 401, key ? /Invalid API key/ : /Missing API key/);
        assert.ok(!res.text.includes("tml-not-a-known-key"), "the key must not be echoed");
      }
    }
  });
});

Deno.test("server: another user's private checkpoint is 404 for every operation", async () => {
  await withServer({}, async (s) => {
    const { modelId, sessionId } = await createModel(s, { key: ALICE });
    const path = (await save(s, modelId, "secret")).body.path;
    const asBob = (method: string, p: string, body?: unknown) =>
      api(s, method, p, { key: BOB, body });
    assertError(await asBob("GET", ckptPath(path)), 404, /not found/);
    assertError(await asBob("GET", ckptPath(path, "/archive")), 404);
    assertError(await asBob("POST", ckptPath(path, "/publish")), 404);
    assertError(await asBob("DELETE", ckptPath(path, "/publish")), 404);
    assertError(await asBob("PUT", ckptPath(path, "/ttl"), { ttl_seconds: 5 }), 404);
    assertError(await asBob("DELETE", ckptPath(path)), 404);
    assertError(await asBob("POST", "/api/v1/weights_info", { tinker_path: path }), 404);
    assertError(await asBob("GET", `/api/v1/training_runs/${encodeURIComponent(modelId)}`), 404);
    assertError(
      await asBob(
        "GET",
        `/api/v1/training_runs/${encodeURIComponent(modelId)}?access_scope=accessible`,
      ),
      404,
    );
    assertError(
      await asBob("GET", `/api/v1/training_runs/${encodeURIComponent(modelId)}/checkpoints`),
      404,
    );
    assertError(await asBob("GET", `/api/v1/sessions/${sessionId}`), 404);
    assertError(
      await asBob("POST", "/api/v1/save_weights", { model_id: modelId, path: "x", seq_id: 1 }),
      404,
      /Model/,
    );
    assert.equal((await asBob("GET", "/api/v1/checkpoints")).body.cursor.total_count, 0);
    assert.equal(
      (await asBob("GET", "/api/v1/training_runs?access_scope=accessible")).body.cursor.total_count,
      0,
    );
    // Nothing changed for the owner.
    const mine = await api(s, "GET", ckptPath(path));
    assert.equal(mine.body.public, false);
    assert.equal(mine.body.expires_at, null);
  });
});

Deno.test("server: a public checkpoint is readable and downloadable by others, never changeable", async () => {
  await withServer({}, async (s) => {
    const { modelId, sessionId } = await createModel(s, { key: ALICE });
    const pub = (await save(s, modelId, "shared")).body.path;
    const priv = (await save(s, modelId, "mine", { sampler: true })).body.path;
    assert.equal((await api(s, "POST", ckptPath(pub, "/publish"))).status, 200);
    const run = encodeURIComponent(modelId);

    assert.equal((await api(s, "GET", ckptPath(pub), { key: BOB })).body.public, true);
    const url = await archiveUrl(s, pub, BOB);
    const download = await fetch(url);
    assert.equal(download.status, 200);
    assert.ok((await download.arrayBuffer()).byteLength > 0);
    const info = await api(s, "POST", "/api/v1/weights_info", {
      key: BOB,
      body: { tinker_path: pub },
    });
    assert.equal(info.body.lora_rank, 8);
    const runCkpts = await api(s, "GET", `/api/v1/training_runs/${run}/checkpoints`, { key: BOB });
    assert.deepEqual(runCkpts.body.checkpoints.map((c: { tinker_path: string }) => c.tinker_path), [
      pub,
    ]);
    assertError(await api(s, "GET", ckptPath(priv), { key: BOB }), 404);

    // Scope: owned hides Alice's run from Bob, accessible shows it (with only what he may see).
    assert.equal(
      (await api(s, "GET", "/api/v1/training_runs", { key: BOB })).body.cursor.total_count,
      0,
    );
    const accessible = await api(s, "GET", "/api/v1/training_runs?access_scope=accessible", {
      key: BOB,
    });
    assert.equal(accessible.body.training_runs.length, 1);
    assert.equal(accessible.body.training_runs[0].last_checkpoint.tinker_path, pub);
    assert.equal(accessible.body.training_runs[0].last_sampler_checkpoint, null);
    assertError(await api(s, "GET", `/api/v1/training_runs/${run}`, { key: BOB }), 404);
    assert.equal(
      (await api(s, "GET", `/api/v1/training_runs/${run}?access_scope=accessible`, { key: BOB }))
        .status,
      200,
    );
    assert.deepEqual(
      (await api(s, "GET", "/api/v1/sessions?access_scope=accessible", { key: BOB })).body.sessions,
      [sessionId],
    );
    assert.deepEqual((await api(s, "GET", "/api/v1/sessions", { key: BOB })).body.sessions, []);
    // Bob's own listing does not include Alice's public checkpoint.
    assert.equal(
      (await api(s, "GET", "/api/v1/checkpoints", { key: BOB })).body.cursor.total_count,
      0,
    );

    for (
      const [method, suffix, body] of [
        ["POST", "/publish", undefined],
        ["DELETE", "/publish", undefined],
        ["PUT", "/ttl", { ttl_seconds: 60 }],
        ["DELETE", "", undefined],
      ] as const
    ) {
      assertError(await api(s, method, ckptPath(pub, suffix), { key: BOB, body }), 404);
    }
    const after = await api(s, "GET", ckptPath(pub));
    assert.equal(after.body.public, true);
    assert.equal(after.body.expires_at, null);

    // Bob may load Alice's public training checkpoint into his own model.
    const bobModel = await createModel(s, { key: BOB });
    const loaded = await runFuture(s, "/api/v1/load_weights", {
      model_id: bobModel.modelId,
      seq_id: 1,
      path: pub,
      optimizer: false,
      type: "load_weights",
    }, BOB);
    assert.equal(loaded.body.path, pub);
  });
});

Deno.test("server: futures are private to the user who submitted them", async () => {
  await withServer({ futureDelayMs: 0 }, async (s) => {
    const submitted = await submitCreateModel(s);
    const asBob = await api(s, "POST", "/api/v1/retrieve_future", {
      key: BOB,
      body: { request_id: submitted.body.request_id },
    });
    assertError(asBob, 410);
  });
});

Deno.test("server: a non-owner's view of a run shows only what the owner made public, field by field", async () => {
  await withServer({}, async (s) => {
    const session = await api(s, "POST", "/api/v1/create_session", { body: {} });
    const created = await runFuture(s, "/api/v1/create_model", {
      session_id: session.body.session_id,
      model_seq_id: 0,
      base_model: "Qwen/Qwen3-8B",
      user_metadata: { secret_project: "falcon" },
      lora_config: { rank: 8 },
    });
    const modelId = created.body.model_id;
    // A private checkpoint of another of the owner's runs, loaded first (a load must be a
    // model's first request, as the service requires).
    const source = await runFuture(s, "/api/v1/create_model", {
      session_id: session.body.session_id,
      model_seq_id: 1,
      base_model: "Qwen/Qwen3-8B",
      lora_config: { rank: 8 },
    });
    const hidden = (await save(s, source.body.model_id, "private-weights")).body.path;
    const loaded = await runFuture(s, "/api/v1/load_weights", {
      model_id: modelId,
      seq_id: 1,
      path: hidden,
      optimizer: false,
    });
    assert.equal(loaded.body.path, hidden);
    const shared = (await save(s, modelId, "shared", { seq: 2 })).body.path;
    await save(s, modelId, "private-sampler", { sampler: true, seq: 3 });
    assert.equal((await api(s, "POST", ckptPath(shared, "/publish"))).status, 200);
    const run = encodeURIComponent(modelId);
    const owner = (await api(s, "GET", `/api/v1/training_runs/${run}`)).body;
    assert.equal(owner.loaded_from, hidden, "the owner sees everything");
    assert.deepEqual(owner.user_metadata, { secret_project: "falcon" });
    const sharedWire = (await api(s, "GET", ckptPath(shared))).body;

    const single = await api(s, "GET", `/api/v1/training_runs/${run}?access_scope=accessible`, {
      key: BOB,
    });
    const listed = await api(s, "GET", "/api/v1/training_runs?access_scope=accessible", {
      key: BOB,
    });
    assert.deepEqual(listed.body.training_runs, [single.body]);
    assert.deepEqual(single.body, {
      training_run_id: modelId,
      base_model: "Qwen/Qwen3-8B",
      model_owner: owner.model_owner,
      is_lora: true,
      corrupted: false,
      lora_rank: 8,
      last_checkpoint: sharedWire,
      last_sampler_checkpoint: null,
      last_request_time: sharedWire.time,
      user_metadata: null,
    });
    for (const text of [single.text, listed.text]) {
      assert.ok(!text.includes("private-"), "no private checkpoint name");
      assert.ok(!text.includes("falcon"), "no metadata");
    }
  });
});

/** What earlier versions named a key's user: `user-` + 12 hex digits of SHA-256(key). */
async function plainHashId(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `user-${hex.slice(0, 12)}`;
}

Deno.test("server: the user id others see (model_owner, signed URLs) does not let them test key guesses", async () => {
  await withTempDir(async (dataDir) => {
    const published = async (s: RunningServer) => {
      const { modelId } = await createModel(s);
      const path = (await save(s, modelId, "shared")).body.path;
      assert.equal((await api(s, "POST", ckptPath(path, "/publish"))).status, 200);
      return { modelId, path };
    };
    const owner = await withServer({ dataDir }, async (s) => {
      const { modelId, path } = await published(s);
      const seen = await api(
        s,
        "GET",
        `/api/v1/training_runs/${encodeURIComponent(modelId)}?access_scope=accessible`,
        { key: BOB },
      );
      const id = seen.body.model_owner as string;
      assert.match(id, /^user-[0-9a-f]{12}$/);
      // Not a function of the key alone: a short key cannot be found by hashing guesses.
      assert.notEqual(id, await plainHashId(ALICE));
      const url = new URL(await archiveUrl(s, path, BOB));
      assert.notEqual(url.searchParams.get("user"), await plainHashId(BOB));
      return id;
    });
    // Stable across restarts of the data directory; another data directory gives another id.
    await withServer({ dataDir }, async (s) => {
      assert.equal(
        (await api(s, "GET", "/api/v1/training_runs")).body.training_runs[0].model_owner,
        owner,
      );
    });
    await withServer({}, async (s) => {
      const { modelId } = await createModel(s);
      const other = (await api(s, "GET", `/api/v1/training_runs/${encodeURIComponent(modelId)}`))
        .body.model_owner;
      assert.notEqual(other, owner);
    });
    // A data directory written by an earlier version (owners named by the plain hash) keeps
    // each user's records theirs.
    const legacy = await plainHashId(ALICE);
    for (const sub of ["sessions", "runs"]) {
      for (const entry of Deno.readDirSync(`${dataDir}/${sub}`)) {
        const file = `${dataDir}/${sub}/${entry.name}`;
        Deno.writeTextFileSync(file, Deno.readTextFileSync(file).replaceAll(owner, legacy));
      }
    }
    await withServer({ dataDir }, async (s) => {
      const runs = (await api(s, "GET", "/api/v1/training_runs")).body.training_runs;
      assert.equal(runs.length, 1, "Alice's run is still hers");
      assert.equal(runs[0].model_owner, owner);
      assert.equal((await api(s, "GET", "/api/v1/sessions")).body.sessions.length, 1);
      assert.deepEqual(
        (await api(s, "GET", "/api/v1/training_runs", { key: BOB })).body
          .training_runs,
        [],
      );
    });
  });
});
