// Credentials never leave the API origin: API requests follow redirects by hand, only within
// the API origin and a bounded number of times; a redirect elsewhere is refused before anything
// is sent there — for the module and the CLI. Archive URLs are fetched only over http(s).
import assert from "node:assert/strict";
import {
  ApiStatusError,
  download,
  getArchiveUrl,
  getTrainingRun,
  getWeightsInfo,
  UnsafeUrlError,
} from "../mod.ts";
import { checkArchiveUrl } from "../src/client/archive_url.ts";
import { runCliInProcess } from "./_cli_helpers.ts";
import {
  json,
  type RecordingServer,
  startRecordingServer,
  testConfig,
} from "./_recording_server.ts";

const RUN = { training_run_id: "r1", base_model: "m", model_owner: "o", is_lora: true };
const CF_SECRET = "cf-access-secret-value";

async function withServers(
  fn: (api: RecordingServer, elsewhere: RecordingServer) => Promise<void>,
): Promise<void> {
  const api = startRecordingServer();
  const elsewhere = startRecordingServer(() => json(RUN));
  try {
    await fn(api, elsewhere);
  } finally {
    await api.close();
    await elsewhere.close();
  }
}

for (const status of [301, 302, 303, 307, 308]) {
  Deno.test(`an API ${status} to another origin is refused; nothing reaches it`, async () => {
    await withServers(async (api, elsewhere) => {
      api.respond(() =>
        new Response(null, {
          status,
          headers: { location: `${elsewhere.baseUrl}/api/v1/training_runs/r1` },
        })
      );
      const config = testConfig(api.baseUrl, { headers: { "CF-Access-Client-Secret": CF_SECRET } });
      await assert.rejects(getTrainingRun(config, "r1"), (e: unknown) => {
        assert.ok(e instanceof UnsafeUrlError, String(e));
        assert.match(e.message, /leaves the API origin/);
        assert.equal(e.url, `${elsewhere.baseUrl}/api/v1/training_runs/r1`);
        return true;
      });
      assert.equal(elsewhere.requests.length, 0, "no request went to the other origin");
      assert.equal(api.requests.length, 1, "a refused redirect is not retried");
    });
  });
}

Deno.test("a POST redirected to another origin is refused too (no key, no body sent there)", async () => {
  await withServers(async (api, elsewhere) => {
    api.respond(() =>
      new Response(null, { status: 307, headers: { location: `${elsewhere.baseUrl}/steal` } })
    );
    await assert.rejects(
      getWeightsInfo(testConfig(api.baseUrl), "tinker://r1/weights/a"),
      UnsafeUrlError,
    );
    assert.equal(elsewhere.requests.length, 0);
  });
});

Deno.test("same-origin redirects are followed, with the key, method and body kept on 307", async () => {
  await withServers(async (api) => {
    api.respond((req) => {
      if (req.path === "/api/v2/weights_info") return json({ base_model: "m", is_lora: true });
      if (req.path === "/api/v1/weights_info") {
        return new Response(null, { status: 307, headers: { location: "/api/v2/weights_info" } });
      }
      if (req.path.endsWith("/old")) {
        return new Response(null, {
          status: 301,
          headers: { location: "/api/v1/training_runs/r1" },
        });
      }
      return json(RUN);
    });
    const config = testConfig(api.baseUrl);
    const info = await getWeightsInfo(config, "tinker://r1/weights/a");
    assert.equal(info.base_model, "m");
    const [first, second] = api.requests;
    assert.equal(second.method, "POST");
    assert.equal(second.body, first.body);
    assert.equal(second.headers.get("x-api-key"), "tml-test-secret-key");
    const run = await getTrainingRun(config, "old");
    assert.equal(run.training_run_id, "r1");
  });
});

Deno.test("redirects are bounded: a loop ends in an ApiStatusError after 5 hops", async () => {
  await withServers(async (api) => {
    api.respond((_req, i) =>
      new Response(null, { status: 302, headers: { location: `/api/v1/training_runs/hop${i}` } })
    );
    await assert.rejects(
      getTrainingRun(testConfig(api.baseUrl, { maxRetries: 0 }), "r1"),
      (e: unknown) => e instanceof ApiStatusError && e.status === 302,
    );
    assert.equal(api.requests.length, 6, "the first request and 5 redirects");
  });
});

Deno.test("the CLI refuses a cross-origin redirect too, and says so", async () => {
  await withServers(async (api, elsewhere) => {
    api.respond(() =>
      new Response(null, { status: 307, headers: { location: `${elsewhere.baseUrl}/x` } })
    );
    const run = await runCliInProcess(["run", "info", "r1"], {
      TINKER_API_KEY: "tml-test-secret-key",
      TINKER_BASE_URL: api.baseUrl,
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Error: Cannot follow the redirect to http:\/\/127\.0\.0\.1:\d+/);
    assert.doesNotMatch(run.stderr, /bug in tinkex/);
    assert.equal(elsewhere.requests.length, 0);
  });
});

const refusedArchiveUrls = ["file:///etc/passwd", "file:///dev/zero", "data:,hello", "ftp://x/y"];

for (const url of refusedArchiveUrls) {
  Deno.test(`an archive URL ${url} is refused before any request (JSON and Location)`, async () => {
    await withServers(async (api) => {
      const config = testConfig(api.baseUrl);
      api.respond(() => json({ url, expires: "2030-01-01T00:00:00Z" }));
      await assert.rejects(getArchiveUrl(config, "tinker://r1/weights/a"), UnsafeUrlError);
      api.respond(() => new Response(null, { status: 302, headers: { location: url } }));
      const out = await Deno.makeTempDir();
      try {
        await assert.rejects(
          download(config, "tinker://r1/weights/a", { outputDir: `${out}/new` }),
          (e: unknown) => e instanceof UnsafeUrlError && /only https:/.test(e.message),
        );
        assert.deepEqual([...Deno.readDirSync(out)], [], "nothing was created");
      } finally {
        await Deno.remove(out, { recursive: true });
      }
    });
  });
}

Deno.test("an archive store redirecting to file: is refused (the rule holds on every hop)", async () => {
  await withServers(async (api, store) => {
    api.respond(() =>
      new Response(null, { status: 302, headers: { location: `${store.baseUrl}/blob?sig=x` } })
    );
    store.respond(() =>
      new Response(null, { status: 302, headers: { location: "file:///etc/passwd" } })
    );
    const out = await Deno.makeTempDir();
    try {
      await assert.rejects(
        download(testConfig(api.baseUrl), "tinker://r1/weights/a", { outputDir: out }),
        UnsafeUrlError,
      );
      assert.equal(store.requests.length, 1);
      assert.equal(store.requests[0].headers.has("x-api-key"), false);
      assert.deepEqual([...Deno.readDirSync(out)], []);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("plain http archive URLs: only from a plain-http API or on loopback", () => {
  const https = "https://tinker.example/services/x";
  assert.equal(checkArchiveUrl("https://store.example/a?sig=1", https).host, "store.example");
  assert.throws(
    () => checkArchiveUrl("http://store.example/a?sig=1", https),
    (e: unknown) => e instanceof UnsafeUrlError && /plain http/.test(e.message),
  );
  assert.equal(checkArchiveUrl("http://127.0.0.1:9/a", https).port, "9");
  assert.equal(checkArchiveUrl("http://[::1]:9/a", https).port, "9");
  assert.equal(
    checkArchiveUrl("http://store.example/a", "http://127.0.0.1:8080").protocol,
    "http:",
  );
  assert.throws(() => checkArchiveUrl("blob:https://x/1", https), UnsafeUrlError);
});
