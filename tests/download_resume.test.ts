// Resuming and faults, for real: a TCP proxy that cuts connections mid-body, a store that
// ignores Range, signed URLs that expire, stalls, 503s, an archive that changes, aborts.
import assert from "node:assert/strict";
import {
  AbortError,
  ConnectionError,
  download,
  type DownloadOptions,
  type DownloadResult,
  IntegrityError,
  InternalServerError,
  PermissionDeniedError,
  type ResumeInfo,
} from "../mod.ts";
import {
  DIR_NAME,
  type Fixture,
  type FixtureOptions,
  startFixture,
  TINKER_PATH,
} from "./_download_fixture.ts";
import { gzip, noise, tar } from "./_tar_bytes.ts";

const BIG = noise(400_000, 11);
const SMALL = noise(1_234, 12);
const ARCHIVE = tar([
  { name: "model.safetensors", body: BIG },
  { name: "config.json", body: SMALL },
]);

interface Run {
  result?: DownloadResult;
  error?: unknown;
  resumes: ResumeInfo[];
  left: string[];
  fx: Fixture;
}

/** Start a fixture, download into a fresh directory, collect what happened, clean up. */
async function run(
  fixture: Omit<FixtureOptions, "archive"> & { archive?: Uint8Array },
  opts: DownloadOptions = {},
  before?: (out: string) => Promise<void>,
  after?: (out: string) => Promise<void>,
): Promise<Run> {
  const fx = startFixture({ archive: ARCHIVE, ...fixture });
  const out = await Deno.makeTempDir({ prefix: "tinkex-resume-" });
  const resumes: ResumeInfo[] = [];
  try {
    await before?.(out);
    let result: DownloadResult | undefined;
    let error: unknown;
    try {
      result = await download(fx.config, TINKER_PATH, {
        outputDir: out,
        onResume: (r) => resumes.push(r),
        ...opts,
      });
      assert.deepEqual(await Deno.readFile(`${result.destination}/model.safetensors`), BIG);
      assert.deepEqual(await Deno.readFile(`${result.destination}/config.json`), SMALL);
    } catch (e) {
      error = e;
    }
    await after?.(out);
    const left = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    return { result, error, resumes, left, fx };
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
}

function assertOk(r: Run): void {
  if (r.error) throw r.error;
  assert.deepEqual(r.left, [DIR_NAME]);
  assert.equal(r.result?.bytes, ARCHIVE.length);
}

for (
  const cuts of [[300], [3_000], [150_000], [ARCHIVE.length - 100], [
    1_000,
    40_000,
    90_000,
    250_000,
  ]]
) {
  Deno.test(`a connection cut after ${cuts.join(", ")} bytes resumes byte-identical`, async () => {
    const r = await run({ cuts });
    assertOk(r);
    assert.equal(r.resumes.length, cuts.length);
    assert.equal(r.fx.blobRequests.length, cuts.length + 1);
    for (const [i, req] of r.fx.blobRequests.entries()) {
      assert.equal(req.hadApiKey, false);
      if (i === 0) continue;
      const offset = r.resumes[i - 1].offset;
      if (offset > 0) {
        assert.equal(req.range, `bytes=${offset}-`, "resumes where it stopped");
        assert.equal(req.ifRange, `"v0"`, "with the ETag as If-Range");
        assert.equal(req.status, 206);
      }
    }
    assert.ok(r.resumes.some((x) => x.offset > 0), "at least one resume was mid-body");
    assert.equal(r.fx.archiveRequests, 1, "the signed URL was reused");
  });
}

Deno.test("a cut gzip archive resumes too (compressed bytes are resumed)", async () => {
  const gz = await gzip(ARCHIVE);
  const r = await run({ archive: gz, cuts: [20_000] });
  if (r.error) throw r.error;
  assert.equal(r.result?.bytes, gz.length);
  assert.equal(r.fx.blobRequests[1].status, 206);
});

Deno.test("a store that answers 200 instead of 206: the received prefix is skipped", async () => {
  const r = await run({ ignoreRange: true, cuts: [60_000, 200_000] });
  assertOk(r);
  assert.equal(r.fx.blobRequests.length, 3);
  assert.match(r.fx.blobRequests[1].range ?? "", /^bytes=\d+-$/);
  assert.deepEqual(r.fx.blobRequests.map((q) => q.status), [200, 200, 200]);
});

Deno.test("a signed URL that expires mid-download is replaced by a fresh one", async () => {
  const r = await run({ urlsWorkOnce: true, cuts: [80_000] });
  assertOk(r);
  assert.equal(r.fx.archiveRequests, 2, "a fresh URL was asked for");
  const [first, expired, fresh] = r.fx.blobRequests;
  assert.equal(first.status, 200);
  assert.equal(expired.status, 403);
  assert.equal(fresh.status, 206);
  assert.notEqual(new URL(fresh.url).pathname, new URL(first.url).pathname);
  assert.equal(fresh.range, expired.range);
});

Deno.test("a stalled response is dropped after stallTimeoutMs and resumed", async () => {
  const r = await run({ stallAfter: [100_000, 50_000] }, { stallTimeoutMs: 150 });
  assertOk(r);
  assert.equal(r.resumes.length, 2);
  assert.match(r.resumes[0].reason, /no data for 150 ms/);
  assert.ok(r.resumes[1].offset > r.resumes[0].offset);
});

Deno.test("a 503 from the store is retried", async () => {
  const r = await run({ failStatus: [503, 500] });
  assertOk(r);
  assert.deepEqual(r.fx.blobRequests.map((q) => q.status), [503, 500, 200]);
});

Deno.test("attempts are bounded: repeated 503s surface as InternalServerError", async () => {
  const r = await run({ failStatus: [503, 503, 503, 503] }, { maxResumeAttempts: 2 });
  assert.ok(r.error instanceof InternalServerError, String(r.error));
  assert.equal(r.fx.blobRequests.length, 3);
  assert.deepEqual(r.left, []);
});

Deno.test("attempts are bounded: a connection that keeps breaking gives a ConnectionError", async () => {
  // Every connection is cut inside the response headers: no progress, ever.
  const r = await run({ cuts: [20, 20, 20, 20, 20] }, { maxResumeAttempts: 3 });
  assert.ok(r.error instanceof ConnectionError, String(r.error));
  assert.match(r.error.message, /check the network/);
  assert.doesNotMatch(r.error.message, /SECRET-SIGNATURE/);
  assert.doesNotMatch(r.error.message, /tml-/);
  assert.equal(r.fx.blobRequests.length, 4);
  assert.deepEqual(r.left, []);
});

Deno.test("progress resets the attempt count: many cuts with progress still succeed", async () => {
  const cuts = Array.from({ length: 8 }, () => 45_000);
  const r = await run({ cuts }, { maxResumeAttempts: 1 });
  assertOk(r);
  assert.equal(r.resumes.length, 8);
  assert.ok(r.resumes.every((x) => x.attempt === 1));
});

Deno.test("an archive that changes on the server mid-download → IntegrityError", async () => {
  const r = await run({ changingEtag: true, cuts: [100_000] });
  assert.ok(r.error instanceof IntegrityError, String(r.error));
  assert.match(r.error.message, /changed on the server/);
  assert.deepEqual(r.left, []);
});

Deno.test("a signed URL refused right after it was issued → PermissionDeniedError", async () => {
  const r = await run({ failStatus: [403] });
  assert.ok(r.error instanceof PermissionDeniedError, String(r.error));
  assert.equal(r.fx.archiveRequests, 1);
  assert.doesNotMatch(r.error.message, /SECRET-SIGNATURE/);
  assert.doesNotMatch(r.error.url, /SECRET-SIGNATURE/);
  assert.deepEqual(r.left, []);
});

Deno.test("expectedBytes (a checkpoint's size_bytes) is checked against the archive", async () => {
  const wrong = await run({}, { expectedBytes: ARCHIVE.length + 1 });
  assert.ok(wrong.error instanceof IntegrityError, String(wrong.error));
  assert.deepEqual(wrong.left, []);
  assertOk(await run({}, { expectedBytes: ARCHIVE.length }));
});

Deno.test("abort mid-download: AbortError, no temp left, the old destination untouched", async () => {
  const controller = new AbortController();
  const r = await run(
    { stallAfter: [200_000], onStall: () => controller.abort(new Error("user pressed ^C")) },
    { signal: controller.signal, force: true },
    async (out) => {
      await Deno.mkdir(`${out}/${DIR_NAME}`);
      await Deno.writeTextFile(`${out}/${DIR_NAME}/old.txt`, "old");
    },
    async (out) => {
      assert.equal(await Deno.readTextFile(`${out}/${DIR_NAME}/old.txt`), "old");
    },
  );
  assert.ok(r.error instanceof AbortError, String(r.error));
  assert.deepEqual(r.left, [DIR_NAME], "only the old destination");
  assert.equal(r.resumes.length, 0, "an abort is not resumed");
});

Deno.test("abort during a resume backoff is prompt too", async () => {
  const controller = new AbortController();
  const r = await run(
    { failStatus: [503] },
    {
      signal: controller.signal,
      onResume: () => controller.abort(),
    },
  );
  assert.ok(r.error instanceof AbortError, String(r.error));
  assert.deepEqual(r.left, []);
});
