// Memory and time stay bounded whatever the archive: gzip bombs, giant PAX headers, endless
// zero padding, trickling bodies, and an overall deadline — each ends in a typed error with
// nothing left behind. (Peak memory is measured by bench/hostile_memory.ts, not asserted here.)
import assert from "node:assert/strict";
import {
  archiveEntries,
  ConnectionError,
  download,
  type DownloadOptions,
  type ResumeInfo,
  TimeoutError,
  UnsafeArchiveError,
} from "../mod.ts";
import {
  endless,
  gzipWithZeros,
  HOSTILE_DIR,
  HOSTILE_PATH,
  type HostileOptions,
  startHostile,
} from "./_hostile_server.ts";
import { concat, END, memberBytes, noise, paxMember, streamOf, tar } from "./_tar_bytes.ts";

const OK = { name: "ok.txt", body: "fine" };
const MIB = 1024 ** 2;

interface Outcome {
  error?: unknown;
  left: string[];
  resumes: ResumeInfo[];
  blobRequests: number;
  cancelled: number;
}

async function attempt(server: HostileOptions, opts: DownloadOptions = {}): Promise<Outcome> {
  const host = startHostile(server);
  const out = await Deno.makeTempDir({ prefix: "tinkex-limits-" });
  const resumes: ResumeInfo[] = [];
  try {
    let error: unknown;
    try {
      await download(host.config, HOSTILE_PATH, {
        outputDir: out,
        onResume: (r) => resumes.push(r),
        ...opts,
      });
    } catch (e) {
      error = e;
    }
    const left = [...Deno.readDirSync(out)].map((e) => e.name);
    await host.close(); // waits for the responses in flight: a hung-up body is cancelled by then
    return { error, left, resumes, blobRequests: host.blobRequests, cancelled: host.cancelled };
  } finally {
    await host.close().catch(() => {});
    await Deno.remove(out, { recursive: true });
  }
}

const once = (bytes: Uint8Array) => () => new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();

Deno.test("a gzip bomb (64 MiB of zeros behind a valid tar) is refused, nothing left", async () => {
  const bomb = await gzipWithZeros(tar([OK]) as Uint8Array<ArrayBuffer>, 64 * MIB);
  assert.ok(bomb.length < 200_000, `the bomb is small: ${bomb.length} bytes`);
  const r = await attempt({ body: once(bomb) });
  assert.ok(r.error instanceof UnsafeArchiveError, String(r.error));
  assert.equal(r.error.entry, "ok.txt");
  assert.match(r.error.message, /more than 1048576 bytes of headers or padding/);
  assert.deepEqual(r.left, []);
});

Deno.test("endless zero padding with no Content-Length ends in a typed error", async () => {
  const zeros = new Uint8Array(64 * 1024);
  const r = await attempt({ body: () => endless(tar([OK]), () => zeros) });
  assert.ok(r.error instanceof UnsafeArchiveError, String(r.error));
  assert.match(r.error.message, /after the end-of-archive marker/);
  assert.equal(r.cancelled, 1, "the client hung up");
  assert.deepEqual(r.left, []);
});

Deno.test("a PAX header of 8 MiB is refused before it is buffered; 512 KiB is fine", async () => {
  const huge = tar([paxMember({ comment: "x".repeat(8 * MIB - 4096) }), OK]);
  const r = await attempt({ body: once(huge) });
  assert.ok(r.error instanceof UnsafeArchiveError, String(r.error));
  assert.equal(r.error.entry, "(start of the archive)");
  assert.deepEqual(r.left, []);

  const fine = tar([paxMember({ comment: "x".repeat(512 * 1024) }), OK]);
  const ok = await attempt({ body: once(fine) });
  assert.equal(ok.error, undefined, String(ok.error));
  assert.deepEqual(ok.left, [HOSTILE_DIR]);
});

Deno.test("64 PAX headers of 8 MiB between members: refused at the first", async () => {
  const parts = [memberBytes(OK)];
  for (let i = 0; i < 4; i++) {
    parts.push(paxMember({ comment: "y".repeat(8 * MIB - 4096) }), memberBytes({ name: `f${i}` }));
  }
  const archive = concat([...parts, END]);
  const r = await attempt({ body: once(archive) });
  assert.ok(r.error instanceof UnsafeArchiveError, String(r.error));
  assert.equal(r.error.entry, "ok.txt", "named after the member it follows");
  assert.deepEqual(r.left, []);
});

Deno.test("maxHeaderBytes can be raised for a trusted archive", async () => {
  const big = tar([paxMember({ comment: "x".repeat(2 * MIB) }), OK]);
  const r = await attempt({ body: once(big) }, { maxHeaderBytes: 4 * MIB });
  assert.equal(r.error, undefined, String(r.error));
});

Deno.test("a body trickling a few bytes a window is dropped, and attempts run out", async () => {
  const head = tar([{ name: "big.bin", body: noise(200_000) }]).subarray(0, 10_000);
  const r = await attempt(
    { body: () => endless(head, () => new Uint8Array(1), 20) },
    { stallTimeoutMs: 200, maxResumeAttempts: 2 },
  );
  assert.ok(r.error instanceof ConnectionError, String(r.error));
  assert.match(
    r.error.message,
    /only \d+ bytes in 200 ms \(the minimum is 205\)|no data for 200 ms/,
  );
  // Two throughput failures end it; on a starved machine a window with no byte at all counts
  // as a stall (a separate budget), so allow one or two of those, but never unbounded.
  assert.ok(r.resumes.length >= 2 && r.resumes.length <= 4, `${r.resumes.length} resumes`);
  assert.match(
    r.resumes[0].reason,
    /only \d+ bytes in 200 ms|no data for 200 ms/,
    "data came, too slowly",
  );
  assert.equal(r.blobRequests, r.resumes.length + 1, "bounded: the first request and each resume");
  assert.deepEqual(r.left, []);
});

Deno.test("a store that sends one new byte per connection, then nothing: attempts run out", async () => {
  const archive = tar([{ name: "big.bin", body: noise(200_000) }]);
  // Request i sends the archive's first i + 1 bytes (the client skips those it has), then hangs.
  const r = await attempt(
    {
      body: (i) =>
        new ReadableStream<Uint8Array>({
          start: (c) => c.enqueue(archive.slice(0, i + 1)),
          pull: () => new Promise(() => {}),
        }, { highWaterMark: 0 }),
    },
    { stallTimeoutMs: 200, maxResumeAttempts: 2 },
  );
  assert.ok(r.error instanceof ConnectionError, String(r.error));
  assert.equal(r.blobRequests, 3, "bounded: the first request and two resumes");
  assert.deepEqual(r.left, []);
});

Deno.test("deadlineMs bounds the whole download: TimeoutError, nothing left", async () => {
  // A steady body, fast enough for the throughput rule, that never ends.
  const chunk = noise(4096, 3);
  const head = tar([{ name: "big.bin", body: noise(600_000) }]).subarray(0, 4096);
  const r = await attempt({ body: () => endless(head, () => chunk, 20) }, { deadlineMs: 400 });
  assert.ok(r.error instanceof TimeoutError, String(r.error));
  assert.match(r.error.message, /deadline of 400 ms passed/);
  assert.deepEqual(r.left, []);
});

Deno.test("the header budget counts headers only: many small members and skipped bodies pass", async () => {
  // 3000 empty files (1.5 MB of headers in all) under a 16 KiB budget per member: read-ahead
  // of the decoder must not be taken for one member's headers.
  const many = tar(Array.from({ length: 3000 }, (_, i) => ({ name: `e${i}` })));
  const r = await attempt({ body: once(many) }, { maxHeaderBytes: 16 * 1024 });
  assert.equal(r.error, undefined, String(r.error));
  // A 2 MB body the consumer does not read is skipped, not counted as header bytes.
  const archive = tar([{ name: "big", body: noise(2 * MIB) }, OK]);
  const seen: string[] = [];
  for await (const e of archiveEntries(streamOf(archive, 256 * 1024), { maxHeaderBytes: 8192 })) {
    seen.push(e.path); // bodies left unread
  }
  assert.deepEqual(seen, ["big", "ok.txt"]);
});

Deno.test("header bytes that share a chunk with the end of a body are counted", async () => {
  // One chunk holds a body's end, a 12 KiB PAX header and the next member: the PAX bytes are
  // headers, whichever chunk brings them, and exceed an 8 KiB budget.
  const pax = paxMember({ comment: "x".repeat(12 * 1024) });
  const archive = concat([memberBytes({ name: "a.bin", body: noise(100_000) }), pax, tar([OK])]);
  const read = async () => {
    for await (
      const e of archiveEntries(streamOf(archive, archive.length), { maxHeaderBytes: 8192 })
    ) {
      await new Response(e.body).arrayBuffer();
    }
  };
  await assert.rejects(read, (e: unknown) => {
    assert.ok(e instanceof UnsafeArchiveError, String(e));
    assert.match(e.message, /a\.bin/);
    return true;
  });
});

Deno.test("header bytes after many small members are still counted: the decoder is never fed ahead", async () => {
  // 2000 empty files read to their end, a 2 MiB file, then a 900 KiB PAX header: each body read
  // once let one more block through, so the budget fell ~1 MiB behind and took the PAX for data.
  const archive = concat([
    tar([
      ...Array.from({ length: 2000 }, (_, i) => ({ name: `e${i}` })),
      { name: "F.bin", body: noise(2 * MIB) },
    ], { end: false }),
    paxMember({ comment: "x".repeat(900 * 1024) }),
    tar([OK]),
  ]);
  const read = async () => {
    for await (const e of archiveEntries(streamOf(archive, 65536), { maxHeaderBytes: 8192 })) {
      await new Response(e.body).arrayBuffer();
    }
  };
  await assert.rejects(read, (e: unknown) => {
    assert.ok(e instanceof UnsafeArchiveError, String(e));
    assert.match(e.message, /"F\.bin": more than 8192 bytes of headers/);
    return true;
  });
  const r = await attempt({ body: once(archive) }, { maxHeaderBytes: 8192 });
  assert.ok(r.error instanceof UnsafeArchiveError, String(r.error));
  assert.match(r.error.message, /"F\.bin"/);
  assert.deepEqual(r.left, [], "nothing left behind");
});

Deno.test("the header count follows the tar's blocks, whatever the chunks", async () => {
  // 1536 bytes of headers before T.bin (a PAX block, its data block, T.bin's own header): at a
  // limit of 1536 it passes and at 1535 it does not, in 512-byte chunks and in misaligned ones.
  const archive = tar([paxMember({ comment: "x".repeat(400) }), { name: "T.bin", body: "t" }]);
  const outcome = async (limit: number, chunk: number) => {
    try {
      for await (const e of archiveEntries(streamOf(archive, chunk), { maxHeaderBytes: limit })) {
        await new Response(e.body).arrayBuffer();
      }
      return "ok";
    } catch (e) {
      return (e as Error).name;
    }
  };
  for (const chunk of [512, 513, 1000, 480]) {
    assert.equal(await outcome(1536, chunk), "ok", `limit 1536, chunks of ${chunk}`);
    assert.equal(
      await outcome(1535, chunk),
      "UnsafeArchiveError",
      `limit 1535, chunks of ${chunk}`,
    );
  }
});
