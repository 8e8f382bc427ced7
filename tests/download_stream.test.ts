// The web-only building blocks over real HTTP: openArchiveStream alone, and a member declared
// at 3 GiB that is streamed through the pipeline and onto disk, never buffered.
import assert from "node:assert/strict";
import {
  AbortError,
  archiveEntries,
  download,
  type DownloadProgress,
  openArchiveStream,
} from "../mod.ts";
import { startFixture, TINKER_PATH } from "./_download_fixture.ts";
import { END, header, noise, tar } from "./_tar_bytes.ts";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

Deno.test("openArchiveStream: lazy, exact bytes, progress resolving → downloading → done", async () => {
  const archive = tar([{ name: "a", body: noise(100_000) }]);
  const fx = startFixture({ archive });
  try {
    const events: DownloadProgress[] = [];
    const stream = openArchiveStream(fx.config, TINKER_PATH, { onProgress: (p) => events.push(p) });
    assert.equal(fx.archiveRequests, 0, "nothing is requested before the first read");
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    assert.deepEqual(bytes, archive);
    assert.equal(events[0].phase, "resolving");
    assert.equal(events.at(-1)?.phase, "done");
    assert.equal(events.at(-1)?.transferredBytes, archive.length);
    assert.ok(events.some((e) => e.phase === "downloading" && e.totalBytes === archive.length));
  } finally {
    await fx.close();
  }
});

Deno.test("openArchiveStream: cancelling the stream drops the request", async () => {
  let stalled!: () => void;
  const stalledNow = new Promise<void>((resolve) => stalled = resolve);
  const fx = startFixture({
    archive: noise(500_000),
    stallAfter: [100_000],
    onStall: () => stalled(),
  });
  try {
    const reader = openArchiveStream(fx.config, TINKER_PATH).getReader();
    await reader.read();
    await stalledNow;
    await reader.cancel();
    assert.equal(fx.blobRequests.length, 1);
  } finally {
    await fx.close(); // would hang (and the sanitizers complain) if the request were still open
  }
});

/** A tar holding one member of `size` zero bytes, generated lazily from any offset. */
function lazyTar(size: number, counter: { produced: number }) {
  const total = 512 + Math.ceil(size / 512) * 512 + END.length;
  const head = header({ name: "huge.bin", size });
  const zeros = new Uint8Array(MIB); // reused: the content is irrelevant, memory stays flat
  return {
    size: total,
    stream(start: number): ReadableStream<Uint8Array> {
      let pos = start;
      return new ReadableStream({
        pull(c) {
          if (pos >= total) return c.close();
          let chunk: Uint8Array;
          if (pos < 512) chunk = head.subarray(pos);
          else if (pos < total - END.length) {
            chunk = zeros.subarray(0, Math.min(zeros.length, total - END.length - pos));
          } else chunk = END.subarray(pos - (total - END.length));
          pos += chunk.length;
          counter.produced += chunk.length;
          c.enqueue(chunk);
        },
      }, { highWaterMark: 0 });
    },
  };
}

Deno.test("a 3 GiB member streams over HTTP with flat memory", async () => {
  const counter = { produced: 0 };
  const fx = startFixture({ archive: lazyTar(3 * GIB, counter) });
  try {
    const rssBefore = Deno.memoryUsage().rss;
    let rssPeak = rssBefore;
    let producedAtFirstChunk = -1;
    let received = 0;
    let chunks = 0;
    for await (const entry of archiveEntries(openArchiveStream(fx.config, TINKER_PATH))) {
      assert.equal(entry.path, "huge.bin");
      assert.equal(entry.size, 3 * GIB);
      for await (const chunk of entry.body) {
        if (producedAtFirstChunk < 0) producedAtFirstChunk = counter.produced;
        received += chunk.length;
        if (++chunks % 256 === 0) rssPeak = Math.max(rssPeak, Deno.memoryUsage().rss);
      }
    }
    assert.equal(received, 3 * GIB);
    assert.ok(
      producedAtFirstChunk < 64 * MIB,
      `the first bytes arrived after only ${producedAtFirstChunk} bytes were generated`,
    );
    assert.ok(
      rssPeak - rssBefore < 512 * MIB,
      `memory grew by ${((rssPeak - rssBefore) / MIB).toFixed(0)} MiB for 3 GiB`,
    );
  } finally {
    await fx.close();
  }
});

Deno.test("download writes a 3 GiB member to disk as it arrives; abort cleans it up", async () => {
  const fx = startFixture({
    archive: lazyTar(3 * GIB, { produced: 0 }),
    stallAfter: [48 * MIB], // the store stops sending here; the file must already be on disk
  });
  const out = await Deno.makeTempDir({ prefix: "tinkex-big-" });
  const controller = new AbortController();
  try {
    const running = download(fx.config, TINKER_PATH, { outputDir: out, signal: controller.signal });
    running.catch(() => {});
    let onDisk = 0;
    for (let i = 0; i < 3000 && onDisk < 32 * MIB; i++) {
      await new Promise((r) => setTimeout(r, 10));
      const temp = [...Deno.readDirSync(out)].find((e) => e.name.startsWith(".tinkex-"));
      if (temp) {
        onDisk = (await Deno.stat(`${out}/${temp.name}/huge.bin`).catch(() => ({ size: 0 }))).size;
      }
    }
    assert.ok(onDisk >= 32 * MIB, `only ${onDisk} bytes reached the disk`);
    controller.abort();
    await assert.rejects(running, AbortError);
    assert.deepEqual([...Deno.readDirSync(out)], [], "the partial file and temp dir are gone");
  } finally {
    controller.abort();
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});
