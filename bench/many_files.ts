/**
 * `download()` of an archive of many small files (a tokenizer's shards, a sharded optimizer
 * state), with the journal (the default) and without (`resume: false`): per-file costs that a
 * few large files hide. The archive is served from memory by a tiny store in this process.
 *
 * ```sh
 * deno run -A bench/many_files.ts [FILES] [RUNS]    # default 5000 files of 1 KB, 3 runs
 * ```
 * @module
 */
import { download } from "../mod.ts";
import { summarize } from "./stats.ts";

const files = Number(Deno.args[0] ?? 5000);
const runs = Number(Deno.args[1] ?? 3);
const enc = new TextEncoder();

/** A ustar archive of `n` files of 1000 bytes in 50 directories. */
function archive(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n * 1536 + 1024);
  for (let i = 0; i < n; i++) {
    const h = out.subarray(i * 1536, i * 1536 + 512);
    const put = (at: number, text: string) => h.set(enc.encode(text), at);
    put(0, `d${i % 50}/f${i}.bin`);
    put(100, "0000644\0");
    put(108, "0000000\0");
    put(116, "0000000\0");
    put(124, (1000).toString(8).padStart(11, "0") + "\0");
    put(136, "14000000000\0");
    h.fill(0x20, 148, 156);
    put(156, "0");
    put(257, "ustar\0");
    put(263, "00");
    put(148, h.reduce((s, x) => s + x, 0).toString(8).padStart(6, "0") + "\0 ");
    out.fill(i & 0xff, i * 1536 + 512, i * 1536 + 1512);
  }
  return out;
}

const tar = archive(files);
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
  const url = new URL(req.url);
  if (url.pathname === "/blob") {
    return new Response(tar, { headers: { etag: '"v1"', "content-length": String(tar.length) } });
  }
  return new Response(null, { status: 302, headers: { location: `${url.origin}/blob` } });
});
const config = { apiKey: "tml-bench-many-files", baseUrl: `http://127.0.0.1:${server.addr.port}` };
try {
  for (const resume of [true, false]) {
    const ms: number[] = [];
    for (let run = 0; run < runs; run++) {
      const out = await Deno.makeTempDir({ prefix: "tinkex-bench-many-" });
      const t0 = performance.now();
      const r = await download(config, "tinker://run-1:train:0/weights/many", {
        outputDir: out,
        resume,
      });
      ms.push(performance.now() - t0);
      if (r.files.length !== files) {
        throw new Error(`expected ${files} files, got ${r.files.length}`);
      }
      await Deno.remove(out, { recursive: true });
    }
    const s = summarize(ms);
    console.log(
      `${files} files of 1 KB, resume ${resume ? "on " : "off"}: median ${
        s.median.toFixed(0)
      } ms ` +
        `(${(s.median * 1000 / files).toFixed(0)} µs per file; runs: ${
          ms.map((m) => m.toFixed(0)).join(", ")
        })`,
    );
  }
} finally {
  await server.shutdown();
}
