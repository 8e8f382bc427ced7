// `tinkex serve --cors ORIGIN` / `corsOrigins`: off by default; when on, preflights from the
// allowed origins are answered and their responses are readable (ETag, Content-Range exposed);
// other origins get nothing. The browser test (runtime_browser) shows it with Chromium.
import assert from "node:assert/strict";
import { createHandler } from "../server.ts";

const PAGE = "http://127.0.0.1:5173";

function preflight(origin: string): Request {
  return new Request("http://local/api/v1/checkpoints", {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "GET",
      "access-control-request-headers": "x-api-key, user-agent",
    },
  });
}

function listing(handler: { apiKeys: string[] }, origin: string): Request {
  return new Request("http://local/api/v1/checkpoints", {
    headers: { origin, "x-api-key": handler.apiKeys[0] },
  });
}

Deno.test("CORS is off by default: no preflight answer, no allow-origin header", async () => {
  const handler = await createHandler({ seed: true });
  try {
    const pre = await handler.fetch(preflight(PAGE));
    assert.notEqual(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), null);
    await pre.body?.cancel();
    const res = await handler.fetch(listing(handler, PAGE));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    await res.body?.cancel();
  } finally {
    await handler.close();
  }
});

Deno.test("CORS for the allowed origin only: preflight, readable responses, exposed headers", async () => {
  const handler = await createHandler({ seed: true, corsOrigins: [PAGE] });
  try {
    const pre = await handler.fetch(preflight(PAGE));
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), PAGE);
    assert.equal(pre.headers.get("access-control-allow-headers"), "x-api-key, user-agent");
    assert.match(pre.headers.get("access-control-allow-methods")!, /DELETE/);
    const res = await handler.fetch(listing(handler, PAGE));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), PAGE);
    assert.match(
      res.headers.get("access-control-expose-headers")!,
      /etag.*content-range|content-range.*etag/,
    );
    await res.body?.cancel();
    const error = await handler.fetch(
      new Request("http://local/api/v1/checkpoints", { headers: { origin: PAGE } }),
    );
    assert.equal(error.status, 401);
    assert.equal(error.headers.get("access-control-allow-origin"), PAGE, "errors are readable too");
    await error.body?.cancel();

    const other = "http://evil.example";
    const otherPre = await handler.fetch(preflight(other));
    assert.notEqual(otherPre.status, 204);
    assert.equal(otherPre.headers.get("access-control-allow-origin"), null);
    await otherPre.body?.cancel();
    const otherRes = await handler.fetch(listing(handler, other));
    assert.equal(otherRes.headers.get("access-control-allow-origin"), null);
    await otherRes.body?.cancel();
  } finally {
    await handler.close();
  }
});

Deno.test("CORS: * allows any origin; a malformed origin is refused at start", async () => {
  const handler = await createHandler({ corsOrigins: ["*"] });
  try {
    const pre = await handler.fetch(preflight("http://anything.test:1234"));
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  } finally {
    await handler.close();
  }
  for (const bad of ["localhost:5173", "http://127.0.0.1:5173/", "http://x/path", ""]) {
    await assert.rejects(
      createHandler({ corsOrigins: [bad] }),
      /Cannot start the server: CORS origin/,
    );
  }
});
