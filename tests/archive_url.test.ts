// Archive URLs: redirects with Expires, JSON bodies, and waiting while the archive is built.
import assert from "node:assert/strict";
import {
  AbortError,
  CheckpointMismatchError,
  download,
  getArchiveUrl,
  InternalServerError,
  NotFoundError,
  TimeoutError,
  validateCheckpoint,
} from "../mod.ts";
import { json, startRecordingServer, testConfig } from "./_recording_server.ts";

const PATH = "tinker://s:train:0/weights/0001";
const ARCHIVE = "/api/v1/training_runs/s%3Atrain%3A0/checkpoints/weights/0001/archive";

Deno.test("a 302 is not followed: Location and Expires become { url, expires }", async () => {
  const expires = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));
  const srv = startRecordingServer(() =>
    new Response(null, {
      status: 302,
      headers: { location: "https://store.example/obj?sig=abc", expires: expires.toUTCString() },
    })
  );
  try {
    const r = await getArchiveUrl(testConfig(srv.baseUrl), PATH);
    assert.deepEqual(r, {
      url: "https://store.example/obj?sig=abc",
      expires: expires.toISOString(),
    });
    assert.equal(srv.requests.length, 1, "the redirect was not followed");
    assert.equal(srv.requests[0].path, ARCHIVE);
  } finally {
    await srv.close();
  }
});

Deno.test("301/307/308 work too; a relative Location resolves; no Expires means now + 15 min", async () => {
  for (const status of [301, 307, 308]) {
    const srv = startRecordingServer(() =>
      new Response(null, { status, headers: { location: "/blob/1?sig=x" } })
    );
    try {
      const before = Date.now();
      const r = await getArchiveUrl(testConfig(srv.baseUrl), PATH);
      assert.equal(r.url, `${srv.baseUrl}/blob/1?sig=x`);
      const ms = Date.parse(r.expires) - before;
      assert.ok(ms > 14 * 60_000 && ms <= 15 * 60_000 + 1000, `${status}: ${ms}`);
    } finally {
      await srv.close();
    }
  }
});

Deno.test("a 200 JSON { url, expires } is accepted as is", async () => {
  const srv = startRecordingServer(() =>
    json({ url: "https://s/x", expires: "2030-01-01T00:00:00Z", extra: 1 })
  );
  try {
    const r = await getArchiveUrl(testConfig(srv.baseUrl), PATH);
    assert.equal(r.url, "https://s/x");
    assert.equal(r.expires, "2030-01-01T00:00:00Z");
    assert.equal(r.extra, 1);
  } finally {
    await srv.close();
  }
});

Deno.test("503 'being built' waits and asks again; onBuilding is told each time", async () => {
  const srv = startRecordingServer((_r, i) =>
    i < 2
      ? json({ detail: "archive is being built" }, 503)
      : new Response(null, { status: 302, headers: { location: "https://s/ready" } })
  );
  try {
    const told: number[] = [];
    const r = await getArchiveUrl(testConfig(srv.baseUrl), PATH, {
      buildWaitMs: 5,
      onBuilding: ({ attempt }) => told.push(attempt),
    });
    assert.equal(r.url, "https://s/ready");
    assert.deepEqual(told, [1, 2]);
    assert.equal(srv.requests.length, 3);
  } finally {
    await srv.close();
  }
});

Deno.test("without buildWaitMs, the server's Retry-After sets the wait", async () => {
  const srv = startRecordingServer((_r, i) =>
    i < 1
      ? json({ detail: "building" }, 503, { "retry-after-ms": "25" })
      : new Response(null, { status: 302, headers: { location: "https://s/ok" } })
  );
  try {
    const waits: number[] = [];
    await getArchiveUrl(testConfig(srv.baseUrl), PATH, {
      onBuilding: ({ waitMs }) => waits.push(waitMs),
    });
    assert.deepEqual(waits, [25]);
  } finally {
    await srv.close();
  }
});

Deno.test("503 on every attempt surfaces after buildAttempts; 404 at once", async () => {
  const srv = startRecordingServer(() => json({ detail: "building" }, 503));
  try {
    await assert.rejects(
      getArchiveUrl(testConfig(srv.baseUrl), PATH, { buildAttempts: 3, buildWaitMs: 1 }),
      InternalServerError,
    );
    assert.equal(srv.requests.length, 3);
    srv.respond(() => json({ detail: "no such checkpoint" }, 404));
    await assert.rejects(getArchiveUrl(testConfig(srv.baseUrl), PATH), NotFoundError);
    assert.equal(srv.requests.length, 4);
  } finally {
    await srv.close();
  }
});

Deno.test("validateCheckpoint returns weights info, or names every mismatching field", async () => {
  const srv = startRecordingServer(() =>
    json({ base_model: "Qwen/Qwen3-8B", is_lora: true, lora_rank: 16 })
  );
  try {
    const cfg = testConfig(srv.baseUrl);
    const ok = await validateCheckpoint(cfg, PATH, { baseModel: "Qwen/Qwen3-8B", loraRank: 16 });
    assert.equal(ok.lora_rank, 16);
    const err = await validateCheckpoint(cfg, PATH, {
      baseModel: "meta-llama/Llama-3.1-8B",
      loraRank: 32,
      isLora: true,
    }).catch((e) => e);
    assert.ok(err instanceof CheckpointMismatchError);
    assert.deepEqual(err.mismatches, [
      "base_model: expected meta-llama/Llama-3.1-8B, got Qwen/Qwen3-8B",
      "lora_rank: expected 32, got 16",
    ]);
    assert.match(err.message, /tinker:\/\/s:train:0\/weights\/0001 is not compatible/);
  } finally {
    await srv.close();
  }
});

/** A 200 JSON answer whose body starts and then never goes on (until the client hangs up). */
function stalledJson(status = 200): Response {
  let stop = () => {};
  const cancelled = new Promise<void>((r) => stop = r);
  let sent = false;
  return new Response(
    new ReadableStream<Uint8Array>({
      async pull(c) {
        if (!sent) {
          sent = true;
          return c.enqueue(new TextEncoder().encode('{"url": "https://store.exa'));
        }
        await cancelled;
      },
      cancel: () => stop(),
    }),
    { status, headers: { "content-type": "application/json" } },
  );
}

Deno.test("a JSON answer whose body stalls is bounded too: timeoutMs, the signal, download()'s deadline", async () => {
  for (const status of [200, 503]) {
    const srv = startRecordingServer(() => stalledJson(status));
    try {
      const config = testConfig(srv.baseUrl);
      await assert.rejects(
        getArchiveUrl(config, PATH, { timeoutMs: 200, maxRetries: 0, buildAttempts: 1 }),
        TimeoutError,
      );
      await assert.rejects(
        getArchiveUrl(config, PATH, { signal: AbortSignal.timeout(200), buildAttempts: 1 }),
        AbortError,
      );
      const out = await Deno.makeTempDir({ prefix: "tinkex-url-" });
      try {
        await assert.rejects(
          download(config, PATH, { outputDir: `${out}/dl`, deadlineMs: 200, buildAttempts: 1 }),
          TimeoutError,
        );
        assert.deepEqual([...Deno.readDirSync(out)], [], "nothing is left");
      } finally {
        await Deno.remove(out, { recursive: true });
      }
    } finally {
      await srv.close();
    }
  }
});
