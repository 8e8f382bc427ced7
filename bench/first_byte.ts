/**
 * Time to first byte of the first download of a fresh archive (the server in its own process,
 * one checkpoint of `--mib` MiB, default 256): the server sends `Repr-Digest` before the body,
 * so this is where a digest computed on demand would show. Measured for the archive just built
 * (by the seeding, whose wall time is printed too: it includes hashing the bytes as they are
 * written), after a restart on the same data directory, and with the stored digest removed (an
 * archive an older server built: the digest is computed once, then stored).
 *
 * ```sh
 * deno run -A bench/first_byte.ts [--mib 256] [--runs 3] [--dir /var/tmp]
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { getArchiveUrl, listUserCheckpoints } from "../mod.ts";
import { type Fixture, startFixture } from "./fixture.ts";
import { formatSummary, summarize, type Summary } from "./stats.ts";

/** Milliseconds of each step, over the runs. */
export interface FirstByteFigure {
  /** Archive size in bytes. */
  bytes: number;
  /** Start-up of a server that seeds (builds) the archive, until it listens. */
  buildMs: Summary;
  /** First byte of the first GET of the fresh archive. */
  freshMs: Summary;
  /** First byte of the first GET after a restart on the same data directory. */
  restartMs: Summary;
  /** First byte of the first GET of an archive without a stored digest. */
  noStoredDigestMs: Summary;
  /** First byte of a second GET of that archive, in the same process. */
  afterComputedMs: Summary;
}

/** Options of {@link benchFirstByte}. */
export interface FirstByteOptions {
  /** Archive size in bytes. */
  bytes: number;
  /** Measured runs. */
  runs: number;
  /** Parent of the data directories (default the system temp directory). */
  dir?: string;
  /** Called with a line of progress. */
  log: (line: string) => void;
}

/** Time from the request to the first body byte of a full GET of the checkpoint's archive. */
async function firstByteMs(fixture: Fixture): Promise<number> {
  const config = { apiKey: fixture.apiKey, baseUrl: fixture.baseUrl };
  const ckpt = (await listUserCheckpoints(config)).checkpoints[0];
  const { url } = await getArchiveUrl(config, ckpt.tinker_path);
  const t0 = performance.now();
  const res = await fetch(url);
  const reader = res.body!.getReader();
  const first = await reader.read();
  const ms = performance.now() - t0;
  await reader.cancel();
  if (res.status !== 200 || first.done || !res.headers.get("repr-digest")) {
    throw new Error(`Cannot measure: the archive answered ${res.status} without a body or digest`);
  }
  return ms;
}

/** Run the benchmark. */
export async function benchFirstByte(opts: FirstByteOptions): Promise<FirstByteFigure> {
  const samples = { build: [], fresh: [], restart: [], none: [], again: [] } as Record<
    string,
    number[]
  >;
  let bytes = 0;
  for (let i = 0; i < opts.runs; i++) {
    const dataDir = await Deno.makeTempDir({ dir: opts.dir, prefix: "tinkex-first-byte-" });
    try {
      const start = (): Promise<Fixture> => startFixture({ archiveBytes: opts.bytes, dataDir });
      const t0 = performance.now();
      let fixture = await start();
      samples.build.push(performance.now() - t0);
      samples.fresh.push(await firstByteMs(fixture));
      await fixture.close();
      fixture = await start();
      samples.restart.push(await firstByteMs(fixture));
      await fixture.close();
      await Deno.remove(`${dataDir}/digests`, { recursive: true }).catch(() => {});
      fixture = await start();
      samples.none.push(await firstByteMs(fixture));
      samples.again.push(await firstByteMs(fixture));
      await fixture.close();
      for (const e of Deno.readDirSync(`${dataDir}/objects`)) {
        bytes = Deno.statSync(`${dataDir}/objects/${e.name}`).size;
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
    opts.log(
      `  run ${i + 1}: build ${samples.build.at(-1)!.toFixed(0)} ms; first byte: fresh ${
        samples.fresh.at(-1)!.toFixed(1)
      } ms, after restart ${samples.restart.at(-1)!.toFixed(1)} ms, no stored digest ${
        samples.none.at(-1)!.toFixed(1)
      } ms (then ${samples.again.at(-1)!.toFixed(1)} ms)`,
    );
  }
  return {
    bytes,
    buildMs: summarize(samples.build),
    freshMs: summarize(samples.fresh),
    restartMs: summarize(samples.restart),
    noStoredDigestMs: summarize(samples.none),
    afterComputedMs: summarize(samples.again),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      mib: { type: "string", default: "256" },
      runs: { type: "string", default: "3" },
      dir: { type: "string" },
    },
  });
  const f = await benchFirstByte({
    bytes: Number(values.mib) * 2 ** 20,
    runs: Number(values.runs),
    dir: values.dir,
    log: console.error,
  });
  console.error(
    `${(f.bytes / 2 ** 20).toFixed(0)} MiB archive, median (min–max) of ${f.freshMs.n}, ms:\n` +
      `  server start-up with the build  ${formatSummary(f.buildMs)}\n` +
      `  first byte, fresh archive       ${formatSummary(f.freshMs, 1)}\n` +
      `  first byte, after a restart     ${formatSummary(f.restartMs, 1)}\n` +
      `  first byte, no stored digest    ${formatSummary(f.noStoredDigestMs, 1)}\n` +
      `  … the next GET                  ${formatSummary(f.afterComputedMs, 1)}`,
  );
  console.log(JSON.stringify(f, null, 1));
}
