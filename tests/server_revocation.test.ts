// Signed archive URLs end when their holder loses access (unpublish, delete, overwrite, TTL,
// a key removed), are checked at serve time, and start with the configured public URL, never
// with the request's Host header.
import assert from "node:assert/strict";
import {
  ALICE,
  api,
  archiveUrl,
  BOB,
  ckptPath,
  createModel,
  runFuture,
  save,
  withServer,
  withTempDir,
} from "./_server_helpers.ts";
import type { RunningServer } from "../server.ts";
import { rawRequest } from "./_raw_http.ts";

/** GET (or HEAD) a signed URL: status, bytes and the parsed error, if any. */
async function fetchSigned(url: string, method = "GET") {
  const res = await fetch(url, { method });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  let body: { detail?: string } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, bytes, body, headers: res.headers, text };
}

/** A published checkpoint of Alice's, its bytes, and URLs issued to Alice and to Bob. */
async function sharedCheckpoint(s: RunningServer, name = "shared") {
  const { modelId } = await createModel(s);
  const path = (await save(s, modelId, name)).body.path as string;
  assert.equal((await api(s, "POST", ckptPath(path, "/publish"))).status, 200);
  const aliceUrl = await archiveUrl(s, path, ALICE);
  const bobUrl = await archiveUrl(s, path, BOB);
  const first = await fetchSigned(bobUrl);
  assert.equal(first.status, 200);
  assert.deepEqual((await fetchSigned(aliceUrl)).bytes, first.bytes);
  return { modelId, path, aliceUrl, bobUrl, bytes: first.bytes };
}

function assertRevoked(res: Awaited<ReturnType<typeof fetchSigned>>, what: string): void {
  assert.equal(res.status, 404, `${what}: ${res.status} ${res.text}`);
  if (res.body) assert.match(res.body.detail ?? "", /no longer exists/);
}

Deno.test("signed URL: unpublishing ends a non-owner's URL at once; the owner's keeps working", async () => {
  await withServer({}, async (s) => {
    const c = await sharedCheckpoint(s);
    assert.equal((await api(s, "DELETE", ckptPath(c.path, "/publish"))).status, 200);
    assertRevoked(await fetchSigned(c.bobUrl), "Bob's GET");
    assertRevoked(await fetchSigned(c.bobUrl, "HEAD"), "Bob's HEAD");
    const ranged = await fetch(c.bobUrl, { headers: { range: "bytes=0-99" } });
    assert.equal(ranged.status, 404, "no range of it either");
    await ranged.body?.cancel();
    const owner = await fetchSigned(c.aliceUrl);
    assert.equal(owner.status, 200);
    assert.deepEqual(owner.bytes, c.bytes, "the owner keeps her URL until it expires");
    // Publishing again gives Bob back what he may read (access is checked, not remembered).
    assert.equal((await api(s, "POST", ckptPath(c.path, "/publish"))).status, 200);
    assert.deepEqual((await fetchSigned(c.bobUrl)).bytes, c.bytes);
  });
});

Deno.test("signed URL: the user it was issued to is signed; swapping it in the URL is a 403", async () => {
  await withServer({}, async (s) => {
    const c = await sharedCheckpoint(s);
    const bob = new URL(c.bobUrl);
    const alice = new URL(c.aliceUrl);
    assert.notEqual(bob.searchParams.get("user"), alice.searchParams.get("user"));
    // Bob, having lost access, cannot pass his URL off as the owner's.
    await api(s, "DELETE", ckptPath(c.path, "/publish"));
    bob.searchParams.set("user", alice.searchParams.get("user")!);
    const forged = await fetchSigned(bob.href);
    assert.equal(forged.status, 403);
    assert.match(forged.body?.detail ?? "", /signature does not match/);
    bob.searchParams.delete("user");
    assert.equal((await fetchSigned(bob.href)).status, 403, "an unsigned user is refused");
  });
});

Deno.test("signed URL: deleting or overwriting the checkpoint ends every URL of the old archive", async () => {
  await withServer({}, async (s) => {
    const deleted = await sharedCheckpoint(s, "to-delete");
    assert.equal((await api(s, "DELETE", ckptPath(deleted.path))).status, 200);
    assertRevoked(await fetchSigned(deleted.aliceUrl), "owner after delete");
    assertRevoked(await fetchSigned(deleted.bobUrl), "Bob after delete");

    const replaced = await sharedCheckpoint(s, "to-replace");
    const again = await save(s, replaced.modelId, "to-replace", { overwrite: true, seq: 2 });
    assert.equal(again.body.path, replaced.path);
    assertRevoked(await fetchSigned(replaced.aliceUrl), "owner after overwrite");
    assertRevoked(await fetchSigned(replaced.bobUrl), "Bob after overwrite");
    // A new URL serves the new archive.
    const fresh = await fetchSigned(await archiveUrl(s, replaced.path, ALICE));
    assert.equal(fresh.status, 200);
  });
});

Deno.test("signed URL: a checkpoint whose TTL passed serves nobody, though the URL is unexpired", async () => {
  // minTtlSeconds: 1 lets the checkpoint expire within the test (the service's minimum is 1 h).
  await withServer({ signedUrlTtlSeconds: 3600, minTtlSeconds: 1 }, async (s) => {
    const c = await sharedCheckpoint(s);
    const ttl = await api(s, "PUT", ckptPath(c.path, "/ttl"), { body: { ttl_seconds: 1 } });
    assert.equal(ttl.status, 200);
    const expiresAt = Date.parse(ttl.body.expires_at);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 50));
    assertRevoked(await fetchSigned(c.aliceUrl), "owner after TTL");
    assertRevoked(await fetchSigned(c.bobUrl), "Bob after TTL");
  });
});

Deno.test("signed URL: a key removed at a restart ends the URLs issued to it", async () => {
  await withTempDir(async (dataDir) => {
    const c = await withServer({ dataDir }, (s) => sharedCheckpoint(s));
    await withServer({ dataDir, apiKeys: [ALICE] }, async (s) => {
      const toPath = (u: string) => s.baseUrl + new URL(u).pathname + new URL(u).search;
      assertRevoked(await fetchSigned(toPath(c.bobUrl)), "Bob's key is gone");
      assert.deepEqual((await fetchSigned(toPath(c.aliceUrl))).bytes, c.bytes);
    });
  });
});

Deno.test("signed URL: built on the public URL (default the listen address), never on Host", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s);
    const path = (await save(s, modelId, "c")).body.path;
    // fetch() will not send a forged Host: a raw request does.
    const locationFor = async (requestPath: string, host: string) => {
      const text = await rawRequest(s.port, `GET ${requestPath} HTTP/1.1`, {
        host,
        "x-api-key": ALICE,
      });
      assert.match(text, /^HTTP\/1\.1 302/, text);
      return /\r\nlocation: (\S+)\r\n/i.exec(text)![1];
    };
    for (const host of ["evil.example", "evil.example:443", `127.0.0.1:${s.port + 1}`]) {
      const location = await locationFor(ckptPath(path, "/archive"), host);
      assert.ok(location.startsWith(`${s.baseUrl}/archives/`), `${host}: ${location}`);
    }
    // A base-path prefix of the request stays (clients keep it in their base URL).
    const prefixed = await locationFor(
      `/services/tinker-prod${ckptPath(path, "/archive")}`,
      "evil.example",
    );
    assert.ok(prefixed.startsWith(`${s.baseUrl}/services/tinker-prod/archives/`), prefixed);
  });
  await withServer({ publicUrl: "https://tinker.example.com/base/" }, async (s) => {
    const { modelId } = await createModel(s);
    const path = (await save(s, modelId, "c")).body.path;
    const res = await api(s, "GET", ckptPath(path, "/archive"), {
      headers: { host: "evil.example" },
    });
    const location = new URL(res.headers.get("location")!);
    assert.equal(location.origin, "https://tinker.example.com");
    assert.match(location.pathname, /^\/base\/archives\/[0-9a-f-]{36}\.tar$/);
    // The URL works when the public URL's path leads to the server (as behind a proxy).
    const direct = await fetchSigned(s.baseUrl + location.pathname.slice(5) + location.search);
    assert.equal(direct.status, 200);
  });
  await assert.rejects(
    () => withServer({ publicUrl: "ftp://x.example" }, () => Promise.resolve()),
    /publicUrl must be an http\(s\) URL/,
  );
});

Deno.test("signed URL: an external checkpoint's file URLs too start with the public URL, never Host", async () => {
  const exported = async (s: RunningServer) => {
    const { modelId } = await createModel(s);
    const saved = await runFuture(s, "/api/v1/save_weights_external", {
      model_id: modelId,
      path: "hf",
      type: "save_weights_external",
    });
    assert.equal(saved.status, 200, saved.text);
    return ckptPath(saved.body.path, "/external_weights_urls");
  };
  await withServer({}, async (s) => {
    const route = await exported(s);
    for (const host of ["evil.example", `127.0.0.1:${s.port + 1}`]) {
      const text = await rawRequest(s.port, `GET ${route} HTTP/1.1`, { host, "x-api-key": ALICE });
      assert.match(text, /^HTTP\/1\.1 200/, text);
      const { urls } = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
      assert.ok(Object.keys(urls).length > 0);
      for (const url of Object.values(urls) as string[]) {
        assert.ok(url.startsWith(`${s.baseUrl}/api/v1/external_files/`), `${host}: ${url}`);
      }
    }
  });
  await withServer({ publicUrl: "https://tinker.example.com/base/" }, async (s) => {
    const res = await api(s, "GET", await exported(s), { headers: { host: "evil.example" } });
    for (const url of Object.values(res.body.urls) as string[]) {
      const at = new URL(url);
      assert.equal(at.origin, "https://tinker.example.com");
      assert.match(at.pathname, /^\/base\/api\/v1\/external_files\/[0-9a-f-]{36}\/\d+$/);
    }
  });
});
