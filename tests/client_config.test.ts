// Config: key checks before any request, base-URL joining, env, and the key never leaking.
import assert from "node:assert/strict";
import {
  ConfigError,
  configFromEnv,
  getTrainingRun,
  listUserCheckpoints,
  NotFoundError,
  resolveConfig,
} from "../mod.ts";
import { DEFAULT_BASE_URL, joinUrl } from "../src/client/config.ts";
import { json, startRecordingServer, testConfig } from "./_recording_server.ts";

const KEY = "tml-super-secret-0123456789";

Deno.test("malformed or missing keys are refused before anything is sent", async () => {
  const srv = startRecordingServer();
  try {
    for (const apiKey of ["", "sk-abc", "Bearer tml-x", "tml-", "tml-has space"]) {
      const err = await listUserCheckpoints({ apiKey, baseUrl: srv.baseUrl }).catch((e) => e);
      assert.ok(err instanceof ConfigError, `${apiKey}: ${err}`);
      if (apiKey.length > 4) assert.ok(!err.message.includes(apiKey), "the bad key is not echoed");
    }
    assert.equal(srv.requests.length, 0);
    // JWT-style keys are accepted.
    srv.respond(() => json({ checkpoints: [] }));
    await listUserCheckpoints({ apiKey: "eyJhbGciOi.x.y", baseUrl: srv.baseUrl });
    assert.equal(srv.requests[0].headers.get("x-api-key"), "eyJhbGciOi.x.y");
  } finally {
    await srv.close();
  }
});

Deno.test("base URL joining keeps a path prefix; default is the hosted service", () => {
  assert.equal(
    joinUrl("https://h.example/services/tinker-prod", "/api/v1/checkpoints"),
    "https://h.example/services/tinker-prod/api/v1/checkpoints",
  );
  assert.equal(joinUrl("https://h.example/p/", "api/v1/x"), "https://h.example/p/api/v1/x");
  assert.equal(resolveConfig({ apiKey: KEY }).baseUrl, DEFAULT_BASE_URL);
  assert.equal(resolveConfig({ apiKey: KEY, baseUrl: "" }).baseUrl, DEFAULT_BASE_URL);
  assert.throws(() => resolveConfig({ apiKey: KEY, baseUrl: "ftp://x" }), ConfigError);
  assert.throws(() => resolveConfig({ apiKey: KEY, baseUrl: "not a url" }), ConfigError);
  assert.throws(() => resolveConfig({ apiKey: KEY, timeoutMs: 0 }), ConfigError);
  assert.throws(() => resolveConfig({ apiKey: KEY, maxRetries: 1.5 }), ConfigError);
});

Deno.test("configFromEnv reads TINKER_API_KEY, TINKER_BASE_URL and Cloudflare headers", async () => {
  const srv = startRecordingServer(() => json({ checkpoints: [] }));
  const env: Record<string, string | undefined> = {
    TINKER_API_KEY: KEY,
    TINKER_BASE_URL: `${srv.baseUrl}/prefix`,
    CLOUDFLARE_ACCESS_CLIENT_ID: "cf-id",
  };
  try {
    const cfg = configFromEnv({ maxRetries: 0 }, { env });
    assert.equal(cfg.baseUrl, `${srv.baseUrl}/prefix`);
    assert.equal(cfg.maxRetries, 0);
    await listUserCheckpoints(cfg);
    assert.equal(srv.requests[0].path, "/prefix/api/v1/checkpoints");
    assert.equal(srv.requests[0].headers.get("x-api-key"), KEY);
    assert.equal(srv.requests[0].headers.get("cf-access-client-id"), "cf-id");
    // Overrides win over the environment; a lookup function works like a record.
    assert.equal(
      configFromEnv({ baseUrl: "http://127.0.0.1:9" }, { env: (n) => env[n] }).baseUrl,
      "http://127.0.0.1:9",
    );
    assert.throws(() => configFromEnv({}, { env: { TINKER_BASE_URL: srv.baseUrl } }), /no API key/);
  } finally {
    await srv.close();
  }
});

Deno.test("the API key never appears in a config's JSON or inspection, nor in any error", async () => {
  const cfg = resolveConfig({ apiKey: KEY, baseUrl: "http://127.0.0.1:1" });
  assert.equal(cfg.apiKey, KEY);
  assert.equal(resolveConfig(cfg), cfg, "a resolved config is not checked twice");
  assert.ok(Object.isFrozen(cfg));
  assert.ok(!JSON.stringify(cfg).includes(KEY));
  assert.ok(!Deno.inspect(cfg).includes(KEY));
  assert.ok(!String(Object.keys(cfg)).includes("apiKey"));

  const srv = startRecordingServer((r) =>
    json({ detail: `echo ${r.headers.get("x-api-key")?.length}` }, 404)
  );
  try {
    const errors = [
      await getTrainingRun(testConfig(srv.baseUrl, { apiKey: KEY }), "r").catch((e) => e),
      await getTrainingRun({ apiKey: KEY, baseUrl: "http://127.0.0.1:1", maxRetries: 0 }, "r")
        .catch((e) => e),
    ];
    assert.ok(errors[0] instanceof NotFoundError);
    for (const e of errors) {
      for (const text of [e.message, String(e), JSON.stringify(e), Deno.inspect(e), e.stack]) {
        assert.ok(!String(text).includes(KEY), `key leaked in ${text}`);
      }
    }
  } finally {
    await srv.close();
  }
});

Deno.test("extra headers from config and per call are sent; the key header cannot be overridden", async () => {
  const srv = startRecordingServer(() => json({ checkpoints: [] }));
  try {
    await listUserCheckpoints(
      testConfig(srv.baseUrl, { headers: { "x-team": "a", "x-api-key": "tml-other" } }),
      { headers: { "x-trace": "t1" } },
    );
    const h = srv.requests[0].headers;
    assert.equal(h.get("x-team"), "a");
    assert.equal(h.get("x-trace"), "t1");
    assert.equal(h.get("x-api-key"), "tml-test-secret-key");
  } finally {
    await srv.close();
  }
});
