// The parallel ranged fetcher on its own, against a real HTTP store on 127.0.0.1: pieces over
// several connections delivered in order, a bounded window, resumes after real cuts (a TCP proxy),
// stores that ignore Range or change the object.
import assert from "node:assert/strict";
import { IntegrityError } from "../mod.ts";
import {
  pieceBytesFor,
  type PieceResume,
  RangedReader,
  type RangedReaderOptions,
  RangesIgnoredError,
} from "../src/client/download/ranged_source.ts";
import { Resumable } from "../src/client/download/resumable.ts";
import { API_KEY, type Fixture, type FixtureOptions, startFixture } from "./_download_fixture.ts";
import { concat, noise } from "./_tar_bytes.ts";

const MiB = 2 ** 20;
const OBJECT = noise(5 * MiB + 12_345, 21);

/** The signed blob URL the fixture's archive endpoint redirects to. */
async function blobUrl(fx: Fixture): Promise<string> {
  const res = await fetch(`${fx.baseUrl}/api/v1/training_runs/r/checkpoints/weights/c/archive`, {
    headers: { "x-api-key": API_KEY },
    redirect: "manual",
  });
  await res.body?.cancel();
  return res.headers.get("location")!;
}

/** An `open` as the archive stream gives one: Range + If-Range; network failures resumable. */
function opener(url: string): RangedReaderOptions["open"] {
  return async (start, end, signal) => {
    try {
      return await fetch(url, {
        headers: { range: `bytes=${start}-${end}`, "if-range": `"v0"` },
        signal,
      });
    } catch (e) {
      throw new Resumable("the connection broke", e as Error);
    }
  };
}

async function readAll(reader: RangedReader): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return concat(parts);
}

async function withFixture<T>(
  opts: Omit<FixtureOptions, "archive">,
  fn: (fx: Fixture, url: string) => Promise<T>,
): Promise<T> {
  const fx = startFixture({ archive: OBJECT, ...opts });
  try {
    return await fn(fx, await blobUrl(fx));
  } finally {
    await fx.close();
  }
}

function options(url: string, extra: Partial<RangedReaderOptions> = {}): RangedReaderOptions {
  return {
    open: opener(url),
    validator: `"v0"`,
    total: OBJECT.length,
    start: 0,
    connections: 4,
    windowBytes: 8 * MiB,
    stallTimeoutMs: 5_000,
    maxAttempts: 5,
    retryDelayMs: () => 1,
    signal: new AbortController().signal,
    ...extra,
  };
}

Deno.test("ranged: pieces over several connections arrive in order, byte-identical", async () => {
  await withFixture({}, async (fx, url) => {
    const got = await readAll(new RangedReader(options(url)));
    assert.deepEqual(got, OBJECT);
    assert.ok(fx.maxInFlight > 1, `expected parallel requests, saw ${fx.maxInFlight}`);
    const piece = pieceBytesFor(8 * MiB, 4);
    assert.equal(fx.blobRequests.length, Math.ceil(OBJECT.length / piece));
    for (const r of fx.blobRequests) {
      assert.match(r.range ?? "", /^bytes=\d+-\d+$/);
      assert.equal(r.ifRange, `"v0"`);
      assert.equal(r.status, 206);
    }
  });
});

Deno.test("ranged: starts mid-object and uses an open response for the first piece", async () => {
  await withFixture({}, async (fx, url) => {
    const start = 1_000_003;
    const first = await fetch(url, { headers: { range: `bytes=${start}-` } });
    const got = await readAll(new RangedReader(options(url, { start, first })));
    assert.deepEqual(got, OBJECT.subarray(start));
    assert.equal(fx.blobRequests[0].range, `bytes=${start}-`);
  });
});

Deno.test("ranged: no piece starts more than the window ahead of the consumer", async () => {
  await withFixture({}, async (fx, url) => {
    const windowBytes = 2 * MiB; // 1 MiB pieces, 4 connections: the window is 4 pieces
    const reader = new RangedReader(options(url, { windowBytes }));
    const first = await reader.read();
    assert.equal(first.done, false);
    // The consumer stops reading: after the in-flight pieces finish, nothing else is requested.
    for (let i = 0; i < 200 && fx.blobRequests.length < 4; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(fx.blobRequests.length, 4);
    // Reading on moves the window and completes the object.
    const rest = await readAll(reader);
    assert.equal(first.value!.length + rest.length, OBJECT.length);
    assert.deepEqual(rest, OBJECT.subarray(first.value!.length));
  });
});

Deno.test("ranged: pieces racing cut connections resume where each stopped", async () => {
  // Connections 0, 2 and 3 are cut mid-piece (sizes include the response headers).
  await withFixture({ cuts: [300_000, undefined, 50_000, 700_000] }, async (fx, url) => {
    const resumes: PieceResume[] = [];
    const got = await readAll(new RangedReader(options(url, { onResume: (r) => resumes.push(r) })));
    assert.deepEqual(got, OBJECT);
    assert.equal(resumes.length, 3);
    for (const r of resumes) assert.ok(r.offset % MiB > 0, "a resume starts mid-piece");
    // Each resume asked for the rest of its piece only.
    const resumed = fx.blobRequests.slice(4).map((r) => r.range);
    for (const r of resumes) {
      assert.ok(resumed.some((range) => range?.startsWith(`bytes=${r.offset}-`)), String(r.offset));
    }
  });
});

Deno.test("ranged: a store that ignores Range is reported for a fallback", async () => {
  await withFixture({ ignoreRange: true }, async (_fx, url) => {
    await assert.rejects(readAll(new RangedReader(options(url))), RangesIgnoredError);
  });
});

Deno.test("ranged: an object that changes between pieces is an IntegrityError", async () => {
  await withFixture({ changingEtag: true }, async (_fx, url) => {
    await assert.rejects(
      readAll(new RangedReader(options(url, { validator: `"v0"` }))),
      IntegrityError,
    );
  });
});

Deno.test("ranged: cancel stops every request", async () => {
  await withFixture({}, async (fx, url) => {
    const reader = new RangedReader(options(url));
    await reader.read();
    await reader.cancel(new Error("stop"));
    await assert.rejects(reader.read());
    const before = fx.blobRequests.length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(fx.blobRequests.length, before);
  });
});
