// Status → error class, retries and their delays, Retry-After, x-should-retry, abort, timeout.
import assert from "node:assert/strict";
import {
  AbortError,
  ApiStatusError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  getTrainingRun,
  InternalServerError,
  listUserCheckpoints,
  NotFoundError,
  PermissionDeniedError,
  publishCheckpoint,
  RateLimitError,
  type RetryInfo,
  TimeoutError,
  UnprocessableEntityError,
} from "../mod.ts";
import { json, startRecordingServer, testConfig } from "./_recording_server.ts";

const PATH = "tinker://run-1/sampler_weights/final";

Deno.test("each error status maps to its class, carrying status, body, method, url, request id", async () => {
  const cases: [number, unknown][] = [
    [400, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [409, ConflictError],
    [422, UnprocessableEntityError],
    [418, ApiStatusError],
  ];
  const srv = startRecordingServer();
  try {
    for (const [status, cls] of cases) {
      srv.respond(() =>
        json({ detail: `nope ${status}` }, status, { "x-request-id": `req-${status}` })
      );
      const err = await getTrainingRun(testConfig(srv.baseUrl), "r1").catch((e) => e);
      assert.ok(err instanceof (cls as typeof ApiStatusError), `${status} → ${err?.name}`);
      assert.equal(err.status, status);
      assert.deepEqual(err.body, { detail: `nope ${status}` });
      assert.equal(err.method, "GET");
      assert.equal(err.url, `${srv.baseUrl}/api/v1/training_runs/r1`);
      assert.equal(err.requestId, `req-${status}`);
      assert.equal(err.category, "user");
      assert.ok(err.message.startsWith(`Error code: ${status} - {"detail":"nope ${status}"}`));
    }
    assert.equal(srv.requests.length, cases.length, "4xx (other than 408/429) are not retried");
  } finally {
    await srv.close();
  }
});

Deno.test("5xx is retried with exponential backoff, then surfaces as InternalServerError", async () => {
  const srv = startRecordingServer(() => json({ detail: "boom" }, 502));
  const retries: RetryInfo[] = [];
  try {
    const cfg = testConfig(srv.baseUrl, {
      maxRetries: 3,
      retryInitialDelayMs: 8,
      retryMaxDelayMs: 20,
      onRetry: (i: RetryInfo) => retries.push(i),
    });
    const err = await listUserCheckpoints(cfg).catch((e) => e);
    assert.ok(err instanceof InternalServerError);
    assert.equal(err.category, "server");
    assert.equal(srv.requests.length, 4, "1 attempt + 3 retries");
    assert.deepEqual(retries.map((r) => r.status), [502, 502, 502]);
    // min(8·2^n, 20) × [0.75, 1]
    const bounds = [[6, 8], [12, 16], [15, 20]];
    retries.forEach((r, i) => {
      assert.ok(r.delayMs >= bounds[i][0] && r.delayMs <= bounds[i][1], `delay ${r.delayMs}`);
    });
  } finally {
    await srv.close();
  }
});

Deno.test("a retried call keeps one idempotency key and succeeds when the server recovers", async () => {
  const srv = startRecordingServer((_r, i) => i < 2 ? json({ detail: "busy" }, 503) : json({}));
  try {
    await publishCheckpoint(testConfig(srv.baseUrl), PATH);
    assert.equal(srv.requests.length, 3);
    const keys = new Set(srv.requests.map((r) => r.headers.get("x-idempotency-key")));
    assert.equal(keys.size, 1);
    assert.ok([...keys][0]);
  } finally {
    await srv.close();
  }
});

Deno.test("408 and 429 are retried; Retry-After (ms, seconds, HTTP-date) sets the delay", async () => {
  const date = new Date(Date.now() + 2000).toUTCString();
  const answers = [
    json({}, 429, { "retry-after-ms": "37" }),
    json({}, 408, { "retry-after": "1" }),
    json({}, 429, { "retry-after": date }),
    json({}, 429, { "retry-after": "3600" }), // over 60 s: ignored, backoff used
    json({ checkpoints: [], cursor: null }),
  ];
  const srv = startRecordingServer((_r, i) => answers[i]);
  const delays: number[] = [];
  try {
    const cfg = testConfig(srv.baseUrl, {
      retryInitialDelayMs: 1,
      retryMaxDelayMs: 1,
      onRetry: (i: RetryInfo) => delays.push(i.delayMs),
    });
    // The delays come from onRetry; the server-requested waits really happen (about 2.5 s).
    await listUserCheckpoints(cfg);
    assert.equal(delays[0], 37);
    assert.equal(delays[1], 1000);
    assert.ok(delays[2] > 0 && delays[2] <= 2000, `date delay ${delays[2]}`);
    assert.ok(delays[3] <= 1, "out-of-range Retry-After falls back to backoff");
    assert.equal(srv.requests.length, 5);
  } finally {
    await srv.close();
  }
});

Deno.test("x-should-retry overrides the status rule both ways", async () => {
  const srv = startRecordingServer();
  try {
    srv.respond(() => json({ detail: "final" }, 500, { "x-should-retry": "false" }));
    await assert.rejects(listUserCheckpoints(testConfig(srv.baseUrl)), InternalServerError);
    assert.equal(srv.requests.length, 1);
    srv.respond((_r, i) =>
      i < 3
        ? json({ detail: "again" }, 400, { "x-should-retry": "true" })
        : json({ checkpoints: [] })
    );
    await listUserCheckpoints(testConfig(srv.baseUrl));
    assert.equal(srv.requests.length, 4);
  } finally {
    await srv.close();
  }
});

Deno.test("429 after the last retry surfaces as RateLimitError", async () => {
  const srv = startRecordingServer(() => json({ detail: "slow down" }, 429));
  try {
    const err = await listUserCheckpoints(testConfig(srv.baseUrl, { maxRetries: 2 }))
      .catch((e) => e);
    assert.ok(err instanceof RateLimitError);
    assert.equal(srv.requests.length, 3);
  } finally {
    await srv.close();
  }
});

Deno.test("409 surfaces at once as ConflictError, never retried", async () => {
  const srv = startRecordingServer(() => json({ detail: "already public" }, 409));
  try {
    const err = await publishCheckpoint(testConfig(srv.baseUrl, { maxRetries: 10 }), PATH)
      .catch((e) => e);
    assert.ok(err instanceof ConflictError);
    assert.equal(err.status, 409);
    assert.equal(srv.requests.length, 1);
  } finally {
    await srv.close();
  }
});

Deno.test("connection refused → ConnectionError after retries, with the cause", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  let retries = 0;
  const err = await listUserCheckpoints(
    testConfig(`http://127.0.0.1:${port}`, { maxRetries: 2, onRetry: () => retries++ }),
  ).catch((e) => e);
  assert.ok(err instanceof ConnectionError);
  assert.ok(!(err instanceof TimeoutError));
  assert.ok(err.cause);
  assert.equal(retries, 2);
});

Deno.test("a request over its timeout → TimeoutError (retried first)", async () => {
  const srv = startRecordingServer(async () => {
    await new Promise((r) => setTimeout(r, 300));
    return json({});
  });
  try {
    const err = await listUserCheckpoints(
      testConfig(srv.baseUrl, { timeoutMs: 30, maxRetries: 1 }),
    ).catch((e) => e);
    assert.ok(err instanceof TimeoutError, String(err));
    assert.equal(err.timeoutMs, 30);
    assert.equal(srv.requests.length, 2);
  } finally {
    await new Promise((r) => setTimeout(r, 350)); // let the slow handlers finish
    await srv.close();
  }
});

Deno.test("abort during a request rejects with AbortError and is not retried", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const srv = startRecordingServer(async () => {
    await gate;
    return json({});
  });
  try {
    const ac = new AbortController();
    const p = listUserCheckpoints(testConfig(srv.baseUrl), { signal: ac.signal });
    while (srv.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await assert.rejects(p, AbortError);
    assert.equal(srv.requests.length, 1);
  } finally {
    release();
    await srv.close();
  }
});

Deno.test("abort during a backoff wait rejects at once, before the next attempt", async () => {
  const srv = startRecordingServer(() => json({}, 503, { "retry-after": "30" }));
  try {
    const ac = new AbortController();
    const p = listUserCheckpoints(
      testConfig(srv.baseUrl, { onRetry: () => queueMicrotask(() => ac.abort()) }),
      { signal: ac.signal },
    );
    await assert.rejects(p, AbortError);
    assert.equal(srv.requests.length, 1, "the 30 s wait was cut short, no second attempt");
  } finally {
    await srv.close();
  }
});

Deno.test("a signal aborted before the call sends nothing", async () => {
  const srv = startRecordingServer();
  try {
    await assert.rejects(
      listUserCheckpoints(testConfig(srv.baseUrl), { signal: AbortSignal.abort() }),
      AbortError,
    );
    assert.equal(srv.requests.length, 0);
  } finally {
    await srv.close();
  }
});

Deno.test("an empty 400 body is kept as text; the message shows the status", async () => {
  const srv = startRecordingServer(() => new Response("", { status: 400 }));
  try {
    const err = await listUserCheckpoints(testConfig(srv.baseUrl)).catch((e) => e);
    assert.ok(err instanceof BadRequestError);
    assert.equal(err.body, "");
    assert.match(err.message, /^Error code: 400 - /);
  } finally {
    await srv.close();
  }
});
