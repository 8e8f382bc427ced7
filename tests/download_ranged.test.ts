// The parallel ranged fetcher on its own, against a real HTTP store on 127.0.0.1: pieces over
// several connections delivered in order, a bounded window, resumes after real cuts (a TCP proxy),
// stores that ignore Range or change the object.
import assert from "node:assert/strict";
import { download, type DownloadOptions, IntegrityError, type ResumeInfo } from "../mod.ts";
import {
  pieceBytesFor,
  type PieceResume,
  RangedReader,
  type RangedReaderOptions,
  RangesIgnoredError,
} from "../src/client/download/ranged_source.ts";
import { Resumable } from "../src/client/download/resumable.ts";
import {
  API_KEY,
  DIR_NAME,
  type Fixture,
  type FixtureOptions,
  startFixture,
  TINKER_PATH,
} from "./_download_fixture.ts";
import { concat, noise, tar } from "./_tar_bytes.ts";

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
    const first = (await fetch(url, { headers: { range: `bytes=${start}-` } })).body!.getReader();
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

// download() on top: the same files whichever way the bytes came. One connection is timed over
// its first 8 MiB; a slow one (a store capping connections, here 48 MiB/s) gets company.
const CAPPED = { rateBytesPerSec: 48 * MiB } as const;
const FILES = [
  { name: "adapter_model.safetensors", body: noise(9 * MiB + 777, 31) },
  { name: "optimizer_state.safetensors", body: noise(4 * MiB + 5, 32) },
  { name: "adapter_config.json", body: noise(300, 33) },
];
const ARCHIVE = tar(FILES);
const PARALLEL = { connections: 4, windowBytes: 2 * MiB } as const; // 1 MiB pieces

async function downloadVia(
  fixture: Omit<FixtureOptions, "archive">,
  opts: DownloadOptions,
): Promise<{ fx: Fixture; resumes: ResumeInfo[] }> {
  const fx = startFixture({ archive: ARCHIVE, ...fixture });
  const out = await Deno.makeTempDir({ prefix: "tinkex-ranged-" });
  const resumes: ResumeInfo[] = [];
  try {
    const result = await download(fx.config, TINKER_PATH, {
      outputDir: out,
      onResume: (r) => resumes.push(r),
      ...opts,
    });
    assert.equal(result.destination, `${out}/${DIR_NAME}`);
    assert.equal(result.bytes, ARCHIVE.length);
    for (const f of FILES) {
      assert.deepEqual(await Deno.readFile(`${result.destination}/${f.name}`), f.body, f.name);
    }
    assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name), [DIR_NAME]);
    return { fx, resumes };
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
}

Deno.test("download(): a capped store's large archive comes over parallel ranges, intact", async () => {
  const { fx } = await downloadVia(CAPPED, PARALLEL);
  assert.ok(fx.maxInFlight > 1, `expected parallel requests, saw ${fx.maxInFlight}`);
  assert.equal(fx.blobRequests[0].range, null); // the first request is an ordinary GET
  assert.ok(fx.blobRequests.slice(1).every((r) => r.status === 206 && r.ifRange === `"v0"`));
  // The first response carries the first 8 MiB and one more piece; contiguous ranges follow.
  const ranges = fx.blobRequests.slice(1).map((r) => r.range!.slice(6).split("-").map(Number))
    .sort((a, b) => a[0] - b[0]);
  assert.ok(ranges.length >= 3 && ranges[0][0] >= 9 * MiB, JSON.stringify(ranges));
  for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i][0], ranges[i - 1][1] + 1);
  assert.equal(ranges.at(-1)![1], ARCHIVE.length - 1);
});

Deno.test("download(): parallel ranges racing cut connections end byte-identical", async () => {
  const cuts = [9 * MiB + 400_000, 90_000, undefined, 300_000, 700_000];
  const { resumes } = await downloadVia({ ...CAPPED, cuts }, PARALLEL);
  assert.ok(resumes.length >= 2, `expected resumes, saw ${resumes.length}`);
});

Deno.test("download(): a store that ignores Range falls back to one stream", async () => {
  const { fx } = await downloadVia({ ...CAPPED, ignoreRange: true }, PARALLEL);
  assert.ok(fx.blobRequests.every((r) => r.status === 200));
});

Deno.test("download(): connections 1 and small archives use one request", async () => {
  const { fx } = await downloadVia(CAPPED, { connections: 1, windowBytes: 2 * MiB });
  assert.equal(fx.blobRequests.length, 1);
  // The default window over 2 connections makes 8 MiB pieces: 14 MiB is too little to split.
  const big = await downloadVia(CAPPED, { connections: 2 });
  assert.equal(big.fx.blobRequests.length, 1);
});

Deno.test("download(): the archive changing between ranges is an IntegrityError, nothing left", async () => {
  const fx = startFixture({ archive: ARCHIVE, changingEtag: true, ...CAPPED });
  const out = await Deno.makeTempDir({ prefix: "tinkex-ranged-" });
  try {
    await assert.rejects(
      download(fx.config, TINKER_PATH, { outputDir: out, ...PARALLEL }),
      IntegrityError,
    );
    assert.deepEqual([...Deno.readDirSync(out)], []);
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});
