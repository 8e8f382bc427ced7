// Secrets stay out of errors: the API key, secret config headers and signed URLs' signatures
// appear nowhere in an error — message, stack, toString, JSON, inspection, body — nor anywhere
// down its `cause` chain, also when a hostile server echoes them back.
import assert from "node:assert/strict";
import {
  BadRequestError,
  ConnectionError,
  download,
  FutureFailedError,
  getTrainingRun,
  openArchiveStream,
  PermissionDeniedError,
  retrieveFuture,
  UnsafeUrlError,
} from "../mod.ts";
import { API_KEY, startFixture, TINKER_PATH } from "./_download_fixture.ts";
import { json, startRecordingServer, testConfig } from "./_recording_server.ts";
import { noise, tar } from "./_tar_bytes.ts";

const KEY = "tml-test-secret-key";
const CF_SECRET = "cf-access-secret-value";

/** Every view of every error in the chain, checked for every secret. */
function assertNoSecrets(error: unknown, secrets: string[]): void {
  let e: unknown = error;
  let depth = 0;
  for (; e !== undefined && e !== null && depth < 20; depth++) {
    const err = e as Error & { body?: unknown; url?: string };
    const views = [
      String(err),
      err.message ?? "",
      err.stack ?? "",
      JSON.stringify(err) ?? "",
      JSON.stringify(err.body ?? null),
      err.url ?? "",
      Deno.inspect(err, { depth: 20, showHidden: true }),
    ];
    for (const secret of secrets) {
      for (const view of views) {
        assert.ok(!view.includes(secret), `level ${depth} shows ${secret}: ${view.slice(0, 400)}`);
      }
    }
    e = err.cause;
  }
  assert.ok(depth >= 1);
}

Deno.test("an error body that echoes the key and the CF secret: cut out everywhere", async () => {
  const server = startRecordingServer((req) =>
    json({
      detail: `bad request from key ${req.headers.get("x-api-key")} with ${
        req.headers.get("cf-access-client-secret")
      }`,
      echo: { headers: Object.fromEntries(req.headers) },
    }, 400)
  );
  try {
    const config = testConfig(server.baseUrl, {
      headers: { "CF-Access-Client-Secret": CF_SECRET },
    });
    const error = await getTrainingRun(config, "r1").catch((e) => e);
    assert.ok(error instanceof BadRequestError, String(error));
    assert.match(error.message, /bad request from key \*\*\*/, "the rest of the message is kept");
    assertNoSecrets(error, [KEY, CF_SECRET]);
  } finally {
    await server.close();
  }
});

Deno.test("a broken archive transfer: no signature in the error or its causes", async () => {
  // Every connection is cut inside the response headers: the platform's fetch error (which
  // names the full signed URL) becomes the cause.
  const fx = startFixture({ archive: tar([{ name: "a", body: noise(10_000) }]), cuts: [20, 20] });
  const out = await Deno.makeTempDir();
  try {
    const error = await download(fx.config, TINKER_PATH, { outputDir: out, maxResumeAttempts: 1 })
      .catch((e) => e);
    assert.ok(error instanceof ConnectionError, String(error));
    assert.ok(error.cause !== undefined, "the cause is kept (redacted), not dropped");
    assertNoSecrets(error, ["SECRET-SIGNATURE", API_KEY]);
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a store that echoes the signature in its 403 body: cut out", async () => {
  const store = startRecordingServer((req) =>
    new Response(`SignatureDoesNotMatch: ${req.query.sig} for ${req.path}?sig=${req.query.sig}`, {
      status: 403,
    })
  );
  const api = startRecordingServer(() =>
    new Response(null, {
      status: 302,
      headers: { location: `${store.baseUrl}/blob?X-Goog-Signature=GOOGSIG123456&sig=SIG-abcdef` },
    })
  );
  try {
    const stream = openArchiveStream(testConfig(api.baseUrl), "tinker://r1/weights/a");
    const error = await new Response(stream).arrayBuffer().catch((e) => e);
    assert.ok(error instanceof PermissionDeniedError, String(error));
    assert.match(String(error.body), /SignatureDoesNotMatch/);
    assertNoSecrets(error, ["GOOGSIG123456", "SIG-abcdef", KEY]);
  } finally {
    await api.close();
    await store.close();
  }
});

Deno.test("a refused archive URL: its query and a data: payload appear nowhere in the error", async () => {
  const refused = [
    "ftp://store.example/blob?X-Custom-Auth=CUSTOMSECRET1&sig=SIGSECRET1",
    "data:application/x-tar;base64,DATASECRET2",
    "javascript:alert('JSSECRET3')",
  ];
  for (const location of refused) {
    const api = startRecordingServer(() =>
      new Response(null, { status: 302, headers: { location } })
    );
    const out = await Deno.makeTempDir();
    try {
      const error = await download(testConfig(api.baseUrl), "tinker://r1/weights/a", {
        outputDir: out,
      }).catch((e) => e);
      assert.ok(error instanceof UnsafeUrlError, String(error));
      assert.match(error.message, /only https:/);
      assertNoSecrets(error, ["CUSTOMSECRET1", "SIGSECRET1", "DATASECRET2", "JSSECRET3", KEY]);
    } finally {
      await api.close();
      await Deno.remove(out, { recursive: true });
    }
  }
});

Deno.test("a failed future whose error text echoes the key: cut out", async () => {
  const server = startRecordingServer((req) =>
    json({ error: `key ${req.headers.get("x-api-key")} may not train`, category: "user" })
  );
  try {
    const error = await retrieveFuture(testConfig(server.baseUrl), "req-1").catch((e) => e);
    assert.ok(error instanceof FutureFailedError, String(error));
    assert.match(error.message, /key \*\*\* may not train/);
    assertNoSecrets(error, [KEY]);
  } finally {
    await server.close();
  }
});
