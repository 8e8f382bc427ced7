// download() recycles its read buffers (src/download/buffer_pool.ts): many members of odd sizes,
// so recycled buffers straddle member boundaries, must still land byte for byte — also across
// resumes and for gzip (where the pool steps aside). Plus the pool's own rules.
import assert from "node:assert/strict";
import { createTarDecoder } from "modern-tar";
import { archiveEntries, download } from "../mod.ts";
import { BufferPool } from "../src/client/download/buffer_pool.ts";
import { downloadWith } from "../src/client/download/download.ts";
import { DIR_NAME, startFixture, TINKER_PATH } from "./_download_fixture.ts";
import { gzip, noise, tar } from "./_tar_bytes.ts";

// ~12 MB in 40 members from 0 bytes to ~1.2 MB, none a multiple of 512.
const FILES: [string, Uint8Array][] = Array.from({ length: 40 }, (_, i) => {
  const size = i % 7 === 0 ? 0 : ((i * 7919 * 131) % 1_200_000) + 1 + (i % 3) * 511;
  return [`part-${String(i).padStart(2, "0")}.bin`, noise(size, i + 1)];
});
const ARCHIVE = tar(FILES.map(([name, body]) => ({ name, body })));

async function downloadAndCompare(archive: Uint8Array, cuts?: number[]): Promise<void> {
  const fx = startFixture({ archive, cuts });
  const out = await Deno.makeTempDir({ prefix: "tinkex-pool-" });
  try {
    const result = await download(fx.config, TINKER_PATH, { outputDir: out });
    assert.equal(result.files.length, FILES.length);
    for (const [name, body] of FILES) {
      const got = await Deno.readFile(`${out}/${DIR_NAME}/${name}`);
      assert.equal(got.length, body.length, name);
      assert.ok(got.every((b, i) => b === body[i]), `${name} differs`);
    }
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
}

Deno.test("recycled buffers: 40 members of odd sizes arrive byte for byte", async () => {
  await downloadAndCompare(ARCHIVE);
});

Deno.test("recycled buffers: byte for byte across connection cuts", async () => {
  await downloadAndCompare(ARCHIVE, [1_000_003, 5_555_555, ARCHIVE.length - 700]);
});

Deno.test("recycled buffers: a gzip archive (the pool steps aside) arrives byte for byte", async () => {
  await downloadAndCompare(await gzip(ARCHIVE));
});

Deno.test("download() really recycles its read buffers (plain tar)", async () => {
  const fx = startFixture({ archive: ARCHIVE });
  const out = await Deno.makeTempDir({ prefix: "tinkex-pool-" });
  try {
    const pool = new BufferPool();
    await downloadWith(fx.config, TINKER_PATH, { outputDir: out }, { pool });
    assert.equal(pool.enabled, true, "the pool must not have given up on a plain tar");
    // ~12 MB through 256 KiB buffers: almost every read reuses a buffer.
    assert.ok(pool.recycled > 20, `only ${pool.recycled} buffers were recycled`);
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("modern-tar (pinned) hands member bodies out as views of the chunks written in", async () => {
  // The property the pool relies on (see buffer_pool.ts): no copies of body bytes.
  const input = [ARCHIVE.slice(0, 300_001), ARCHIVE.slice(300_001)];
  const buffers = new Set<ArrayBufferLike>(input.map((c) => c.buffer));
  const decoder = createTarDecoder({ strict: true });
  const writing = (async () => {
    const writer = decoder.writable.getWriter();
    for (const chunk of input) await writer.write(chunk);
    await writer.close();
  })();
  let checked = 0;
  for await (const entry of decoder.readable) {
    for await (const chunk of entry.body) {
      assert.ok(buffers.has(chunk.buffer), `a body chunk of ${entry.header.name} was copied`);
      checked += chunk.length;
    }
  }
  await writing;
  assert.equal(checked, FILES.reduce((n, [, b]) => n + b.length, 0));
});

Deno.test("archiveEntries hands a body out in the chunks it came in: views, not cut smaller", async () => {
  // Each piece costs a trip through the streams and a write: a 3 MiB body read in 1 MiB chunks
  // comes out in at most 5 pieces (its span of the input), each a view of an input chunk.
  const archive = tar([{ name: "big.bin", body: noise(3 * 2 ** 20, 9) }, { name: "b", body: "x" }]);
  const input = Array.from(
    { length: Math.ceil(archive.length / 2 ** 20) },
    (_, i) => archive.slice(i * 2 ** 20, (i + 1) * 2 ** 20),
  );
  const buffers = new Set<ArrayBufferLike>(input.map((c) => c.buffer));
  const pieces: Record<string, number> = {};
  for await (const entry of archiveEntries(ReadableStream.from(input))) {
    for await (const chunk of entry.body) {
      assert.ok(buffers.has(chunk.buffer), `a body chunk of ${entry.path} was copied`);
      pieces[entry.path] = (pieces[entry.path] ?? 0) + 1;
    }
  }
  assert.ok(pieces["big.bin"] <= 5, `big.bin came out in ${pieces["big.bin"]} pieces`);
  assert.equal(pieces["b"], 1);
});

Deno.test("BufferPool: buffers come back only once everything after them was released", () => {
  const pool = new BufferPool(1024);
  const a = pool.take();
  const b = pool.take();
  const c = pool.take();
  for (const v of [a, b, c]) pool.delivered(v);
  pool.releaseBefore(a.buffer); // nothing precedes a
  const fresh = pool.take();
  assert.ok(fresh.buffer !== a.buffer && fresh.buffer !== b.buffer, "nothing recycled yet");
  pool.releaseBefore(c.buffer); // a and b are free, c is still in use
  const reused = [pool.take().buffer, pool.take().buffer];
  assert.ok(reused.includes(a.buffer) && reused.includes(b.buffer));
  assert.ok(pool.take().buffer !== c.buffer, "the buffer still in use is never handed out");
});

Deno.test("BufferPool: releases of foreign buffers turn the pool off", () => {
  const pool = new BufferPool(1024);
  const a = pool.take();
  pool.delivered(a);
  for (let i = 0; i < 8; i++) pool.releaseBefore(new ArrayBuffer(8));
  pool.delivered(pool.take());
  pool.releaseBefore(a.buffer);
  assert.ok(pool.take().buffer !== a.buffer, "an off pool hands out new buffers");
});
