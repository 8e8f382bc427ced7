// Resume only against a validator: when the first response names no ETag or Last-Modified, a
// broken transfer is not spliced with a resumed one (which could be another object): download()
// starts over in a fresh temporary directory, a bounded number of times; openArchiveStream
// refuses with an IntegrityError.
import assert from "node:assert/strict";
import { download, IntegrityError, openArchiveStream, type ResumeInfo } from "../mod.ts";
import { DIR_NAME, startFixture, TINKER_PATH } from "./_download_fixture.ts";
import { noise, tar } from "./_tar_bytes.ts";

const BIG = noise(400_000, 21);
const ARCHIVE = tar([{ name: "model.bin", body: BIG }]);

Deno.test("no validator: a cut transfer starts over from byte 0 in a fresh directory", async () => {
  const fx = startFixture({ archive: ARCHIVE, noValidator: true, cuts: [150_000] });
  const out = await Deno.makeTempDir();
  const resumes: ResumeInfo[] = [];
  try {
    const r = await download(fx.config, TINKER_PATH, {
      outputDir: out,
      onResume: (x) => resumes.push(x),
    });
    assert.deepEqual(await Deno.readFile(`${r.destination}/model.bin`), BIG);
    assert.equal(fx.blobRequests.length, 2);
    assert.equal(fx.blobRequests[1].range, null, "no Range: nothing is spliced");
    assert.equal(resumes.length, 1);
    assert.match(resumes[0].reason, /starting over/);
    assert.equal(r.bytes, ARCHIVE.length, "bytes of the complete transfer, not the sum");
    assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name), [DIR_NAME]);
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("no validator: restarts are bounded by maxResumeAttempts, nothing left", async () => {
  const fx = startFixture({
    archive: ARCHIVE,
    noValidator: true,
    cuts: [100_000, 100_000, 100_000, 100_000, 100_000],
  });
  const out = await Deno.makeTempDir();
  try {
    await assert.rejects(
      download(fx.config, TINKER_PATH, { outputDir: out, maxResumeAttempts: 2 }),
      (e: unknown) => e instanceof IntegrityError && /no ETag or Last-Modified/.test(e.message),
    );
    assert.equal(fx.blobRequests.length, 3, "the first transfer and two fresh starts");
    assert.ok(fx.blobRequests.every((q) => q.range === null));
    assert.deepEqual([...Deno.readDirSync(out)], []);
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("no validator: openArchiveStream refuses to splice (IntegrityError)", async () => {
  const fx = startFixture({ archive: ARCHIVE, noValidator: true, cuts: [150_000] });
  try {
    const error = await new Response(openArchiveStream(fx.config, TINKER_PATH)).arrayBuffer()
      .catch((e) => e);
    assert.ok(error instanceof IntegrityError, String(error));
    assert.match(error.message, /splice in a different object/);
    assert.equal(fx.blobRequests.length, 1, "no resumed request was made");
  } finally {
    await fx.close();
  }
});

Deno.test("no validator, cut before any byte arrived: retried normally", async () => {
  const fx = startFixture({ archive: ARCHIVE, noValidator: true, cuts: [20] });
  const out = await Deno.makeTempDir();
  try {
    const r = await download(fx.config, TINKER_PATH, { outputDir: out });
    assert.deepEqual(await Deno.readFile(`${r.destination}/model.bin`), BIG);
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});
