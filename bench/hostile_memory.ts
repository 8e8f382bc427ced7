/**
 * Peak memory of `download()` for hostile archives (gzip bombs, giant PAX headers, endless zero
 * padding) and normal ones, each download in its own process (peak RSS from GNU time). Prints a
 * table with the targets: under 150 MB for any hostile archive, under 100 MB for normal ones.
 * Not a test: tests assert only the behaviour (a typed error, nothing left behind).
 *
 * ```sh
 * deno run -A bench/hostile_memory.ts            # all cases
 * deno run -A bench/hostile_memory.ts --quick    # smaller normal archives and bomb
 * ```
 * @module
 */
import { runMeasured } from "./proc.ts";
// The tests' ustar writer (headers with checksums, PAX records), not a second one here.
import { END, header, memberBytes, paxMember } from "../tests/_tar_bytes.ts";

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const QUICK = Deno.args.includes("--quick");
const CHILD = new URL("./hostile_child.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

const enc = new TextEncoder();
/** A PAX header of about `bytes` bytes (one long comment record). */
function paxBlock(bytes: number): Uint8Array {
  return paxMember({ comment: "x".repeat(bytes - 40) });
}
const SMALL = memberBytes({ name: "ok.txt", body: "fine" });

/** A stream of `parts()` produced one at a time (never the whole archive in memory). */
function lazy(parts: () => Generator<Uint8Array>): () => ReadableStream<Uint8Array> {
  return () => {
    const it = parts();
    return new ReadableStream<Uint8Array>({
      pull(c) {
        const next = it.next();
        if (next.done) c.close();
        else c.enqueue(next.value);
      },
    }, { highWaterMark: 0 });
  };
}

async function gzipOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const gz = (stream as ReadableStream<Uint8Array<ArrayBuffer>>).pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(gz).arrayBuffer());
}

function* zeros(total: number): Generator<Uint8Array> {
  const chunk = new Uint8Array(MiB);
  for (let left = total; left > 0; left -= chunk.length) {
    yield chunk.subarray(0, Math.min(left, chunk.length));
  }
}

function* member(name: string, size: number, fill: Uint8Array): Generator<Uint8Array> {
  yield header({ name, size });
  for (let left = size; left > 0; left -= fill.length) {
    yield fill.subarray(0, Math.min(left, fill.length));
  }
  if (size % 512) yield new Uint8Array(512 - (size % 512));
}

interface Case {
  name: string;
  hostile: boolean;
  /** A note instead of a target (e.g. a raised limit). */
  informative?: boolean;
  body: () => ReadableStream<Uint8Array>;
  options?: Record<string, unknown>;
}

async function cases(): Promise<Case[]> {
  const bombZeros = QUICK ? 256 * MiB : GiB;
  const bomb = await gzipOf(
    lazy(function* () {
      yield SMALL;
      yield END;
      yield* zeros(bombZeros);
    })(),
  );
  const pax = paxBlock(8 * MiB - 4096);
  // 64 PAX headers of 8 MiB, each before an empty member (the same archive for two cases).
  const paxBetweenMembers = lazy(function* () {
    yield SMALL;
    for (let i = 0; i < 64; i++) {
      yield pax;
      yield header({ name: `f${i}`, size: 0 });
    }
    yield END;
  });
  const fill = crypto.getRandomValues(new Uint8Array(64 * 1024));
  const normalSize = QUICK ? 64 * MiB : 512 * MiB;
  const textish = enc.encode("tensor 0.125 -0.5 1e-3 ".repeat(4096));
  const gzNormal = await gzipOf(
    lazy(function* () {
      yield* member("adapter_model.safetensors", QUICK ? 32 * MiB : 128 * MiB, textish);
      yield END;
    })(),
  );
  const endlessZeros = new Uint8Array(MiB);
  return [
    {
      name: `gzip bomb: ${(bomb.length / MiB).toFixed(1)} MiB of gzip → ${
        bombZeros / MiB
      } MiB of zeros behind a valid tar`,
      hostile: true,
      body: () => new Blob([bomb as Uint8Array<ArrayBuffer>]).stream(),
    },
    {
      name: "64 PAX headers of 8 MiB between members (plain tar, ~512 MiB)",
      hostile: true,
      body: paxBetweenMembers,
    },
    {
      name: "the same, with maxHeaderBytes raised to 16 MiB (trusted: no target)",
      hostile: true,
      informative: true,
      body: paxBetweenMembers,
      options: { maxHeaderBytes: 16 * MiB },
    },
    {
      name: "endless zero padding after the end marker, no Content-Length",
      hostile: true,
      body: lazy(function* () {
        yield SMALL;
        yield END;
        for (;;) yield endlessZeros;
      }),
    },
    {
      name: `normal: plain tar, one ${normalSize / MiB} MiB member`,
      hostile: false,
      body: lazy(function* () {
        yield* member("adapter_model.safetensors", normalSize, fill);
        yield END;
      }),
    },
    {
      name: `normal: gzip tar, ${(gzNormal.length / MiB).toFixed(1)} MiB → ${QUICK ? 32 : 128} MiB`,
      hostile: false,
      body: () => new Blob([gzNormal as Uint8Array<ArrayBuffer>]).stream(),
    },
  ];
}

const all = await cases();
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
  const url = new URL(req.url);
  if (url.pathname.endsWith("/archive")) {
    const i = url.pathname.match(/\/c(\d+)\/archive$/)?.[1];
    return new Response(null, { status: 302, headers: { location: `/blob/${i}?sig=bench` } });
  }
  const i = Number(url.pathname.split("/")[2]);
  return new Response(all[i].body(), { headers: { etag: `"bench-${i}"` } });
});
const baseUrl = `http://127.0.0.1:${server.addr.port}`;

const rows: string[][] = [];
let allMet = true;
for (const [i, c] of all.entries()) {
  const out = await Deno.makeTempDir({ prefix: "tinkex-bench-hostile-" });
  try {
    const run = await runMeasured(Deno.execPath(), [
      "run",
      "-A",
      "--config",
      CONFIG,
      CHILD,
      baseUrl,
      `tinker://bench:train:0/weights/c${i}`,
      out,
      JSON.stringify(c.options ?? {}),
    ]);
    const outcome = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}");
    const peakMB = (run.maxRssKiB * 1024) / 1e6;
    const target = c.hostile ? 150 : 100;
    const met = c.informative ? "—" : peakMB < target ? "met" : "NOT MET";
    if (met === "NOT MET") allMet = false;
    const left = [...Deno.readDirSync(out)].length;
    rows.push([
      c.name,
      outcome.error === null ? `ok, ${outcome.bytes} bytes` : outcome.error.split(":")[0],
      `${peakMB.toFixed(0)} MB`,
      c.informative ? "—" : `< ${target} MB`,
      met,
      outcome.error === null ? "" : left === 0 ? "nothing left" : `${left} left!`,
    ]);
    console.error(`${c.name}: ${peakMB.toFixed(0)} MB (${outcome.error ?? "ok"})`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}
await server.shutdown();

const head = ["case", "outcome", "peak RSS", "target", "", "disk"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log(
  `\nTargets (peak RSS of the whole download process, Deno ${Deno.version.deno}): ` +
    `hostile < 150 MB, normal < 100 MB — ${allMet ? "all met" : "NOT all met"}.`,
);
