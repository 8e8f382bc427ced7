import assert from "node:assert/strict";
import {
  ALICE,
  api,
  assertError,
  ckptPath,
  createModel,
  save,
  withServer,
} from "./_server_helpers.ts";

Deno.test("server: unknown routes are 404 and wrong methods 405 with Allow, as JSON", async () => {
  await withServer({}, async (s) => {
    assertError(await api(s, "GET", "/api/v1/nope"), 404, /No route for GET \/api\/v1\/nope/);
    assertError(await api(s, "GET", "/"), 404, /No route/);
    const wrong = await api(s, "PATCH", "/api/v1/checkpoints");
    assertError(wrong, 405, /PATCH.*GET/);
    assert.equal(wrong.headers.get("allow"), "GET");
    const publish = await api(s, "PUT", "/api/v1/training_runs/r/checkpoints/weights/x/publish");
    assert.equal(publish.headers.get("allow"), "DELETE, POST");
  });
});

Deno.test("server: unknown kinds, bad encodings and bad bodies name the problem", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    const path = (await save(s, modelId, "x")).body.path;
    const run = encodeURIComponent(modelId);
    assertError(
      await api(s, "GET", `/api/v1/training_runs/${run}/checkpoints/bogus/x`),
      400,
      /kind "bogus"/,
    );
    assertError(
      await api(s, "POST", `/api/v1/training_runs/${run}/checkpoints/bogus/x/publish`),
      400,
      /kind/,
    );
    assertError(await api(s, "GET", "/api/v1/training_runs/%E0%A4%A"), 400, /percent-encoding/);
    assertError(
      await api(s, "PUT", ckptPath(path, "/ttl"), { body: "{oops" }),
      400,
      /not valid JSON/,
    );
    assertError(await api(s, "PUT", ckptPath(path, "/ttl"), { body: "null" }), 400, /JSON object/);
    assertError(await api(s, "PUT", ckptPath(path, "/ttl")), 400, /empty/);
    assertError(
      await api(s, "POST", "/api/v1/weights_info", { body: { tinker_path: 5 } }),
      422,
      /tinker_path/,
    );
    assertError(
      await api(s, "POST", "/api/v1/weights_info", { body: { tinker_path: "tinker://only/two" } }),
      400,
      /3 parts/,
    );
    assertError(
      await api(s, "POST", "/api/v1/client/config", { body: "x".repeat(1_100_000) }),
      413,
    );
    // Streamed without a Content-Length: refused once 1 MiB has arrived, not after reading all.
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const streamed = await fetch(`${s.baseUrl}/api/v1/client/config`, {
      method: "POST",
      headers: { "x-api-key": ALICE, "content-type": "application/json" },
      body: new ReadableStream({
        pull(c) {
          if (sent++ < 1024) c.enqueue(chunk); // 64 MiB offered
          else c.close();
        },
      }),
    });
    const sentAtAnswer = sent;
    assert.equal(streamed.status, 413);
    assert.ok(sentAtAnswer < 1024, `answered after ${sentAtAnswer} of 1024 chunks, not at the end`);
    assert.match(await streamed.text(), /larger than 1048576 bytes/);
    // Nothing was applied by the failed requests.
    const after = await api(s, "GET", ckptPath(path));
    assert.equal(after.body.expires_at, null);
    assert.equal(after.body.public, false);
  });
});

Deno.test("server: publish accepts an empty body or {}; HEAD on an API route has no body", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    const a = (await save(s, modelId, "a")).body.path;
    const b = (await save(s, modelId, "b")).body.path;
    assert.equal((await api(s, "POST", ckptPath(a, "/publish"))).status, 200);
    assert.equal((await api(s, "POST", ckptPath(b, "/publish"), { body: {} })).status, 200);
    const head = await api(s, "HEAD", "/api/v1/checkpoints");
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
  });
});
