// Downloads across runs, against real servers on 127.0.0.1: a completed destination is skipped
// by its manifest; a killed run (kill -9 of a child process) is continued by the next one from
// its journal and ends byte-identical; a changed archive starts over; selections; clean-up.
import assert from "node:assert/strict";
import {
  cleanPartialDownloads,
  ConnectionError,
  DestinationExistsError,
  download,
  type DownloadManifest,
  IntegrityError,
  UnsafeArchiveError,
  verifyDownload,
} from "../mod.ts";
import { serve } from "../server.ts";
import {
  API_KEY,
  DIR_NAME,
  type Fixture,
  type FixtureOptions,
  startFixture,
  TINKER_PATH,
} from "./_download_fixture.ts";
import { noise, tar } from "./_tar_bytes.ts";
import { shortHash, tempPrefix } from "../src/client/download/names.ts";
import { hostname } from "node:os";

const MiB = 2 ** 20;
const FILES: Record<string, Uint8Array> = {
  "adapter_config.json": new TextEncoder().encode('{"r": 8}'),
  "adapter_model.safetensors": noise(3 * MiB + 123, 41),
  "optim/optimizer_state.safetensors": noise(40 * MiB + 7, 42),
  "checkpoint_complete": new Uint8Array(0),
};
const ARCHIVE = tar([
  { name: "./", type: "5" },
  ...Object.entries(FILES).map(([name, body]) => ({ name, body })),
]);
const PARTIAL = `${await tempPrefix(DIR_NAME)}partial`;

async function withFixture<T>(
  opts: Omit<FixtureOptions, "archive">,
  fn: (fx: Fixture, out: string) => Promise<T>,
  out?: string,
): Promise<T> {
  const fx = startFixture({ archive: ARCHIVE, ...opts });
  const dir = out ?? await Deno.makeTempDir({ prefix: "tinkex-runs-" });
  try {
    return await fn(fx, dir);
  } finally {
    await fx.close();
    if (out === undefined) await Deno.remove(dir, { recursive: true });
  }
}

async function assertFiles(dest: string, names = Object.keys(FILES)): Promise<void> {
  for (const name of names) {
    assert.deepEqual(await Deno.readFile(`${dest}/${name}`), FILES[name], name);
  }
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

async function manifestOf(dest: string): Promise<DownloadManifest> {
  return JSON.parse(await Deno.readTextFile(`${dest}/.tinkex-manifest.json`));
}

Deno.test("a completed destination carries a manifest; the same download again is skipped", async () => {
  await withFixture({}, async (fx, out) => {
    const first = await download(fx.config, TINKER_PATH, { outputDir: out });
    assert.equal(first.skipped, false);
    const m = await manifestOf(first.destination);
    assert.equal(m.tinker_path, TINKER_PATH);
    assert.equal(m.validator, `"v0"`);
    assert.equal(m.archive_bytes, ARCHIVE.length);
    assert.deepEqual(m.files, first.files);
    assert.deepEqual(names(out), [DIR_NAME], "no journal or partial directory is left");
    assert.ok(!names(first.destination).includes("owner"));

    const requests = [fx.archiveRequests, fx.blobRequests.length];
    const again = await download(fx.config, TINKER_PATH, { outputDir: out });
    assert.equal(again.skipped, true);
    assert.equal(again.bytes, 0);
    assert.deepEqual(again.files, first.files);
    assert.deepEqual([fx.archiveRequests, fx.blobRequests.length], requests, "no request at all");
    assert.equal((await verifyDownload(first.destination)).ok, true);
  });
});

Deno.test("a destination that does not match is DestinationExistsError; force replaces it", async () => {
  await withFixture({}, async (fx, out) => {
    const { destination } = await download(fx.config, TINKER_PATH, { outputDir: out });
    // A file of the manifest changed size: not the same download any more.
    await Deno.writeFile(`${destination}/adapter_model.safetensors`, new Uint8Array(5));
    await assert.rejects(
      download(fx.config, TINKER_PATH, { outputDir: out }),
      DestinationExistsError,
    );
    // Another selection than the one recorded.
    const replaced = await download(fx.config, TINKER_PATH, { outputDir: out, force: true });
    assert.equal(replaced.skipped, false);
    await assertFiles(destination);
    await assert.rejects(
      download(fx.config, TINKER_PATH, { outputDir: out, include: ["*.json"] }),
      DestinationExistsError,
    );
    // No manifest at all (not ours).
    await Deno.remove(`${destination}/.tinkex-manifest.json`);
    await assert.rejects(
      download(fx.config, TINKER_PATH, { outputDir: out }),
      DestinationExistsError,
    );
  });
});

Deno.test("verifyDownload reports missing, changed and extra files; no manifest is an error", async () => {
  await withFixture({}, async (fx, out) => {
    const { destination } = await download(fx.config, TINKER_PATH, { outputDir: out });
    await Deno.remove(`${destination}/adapter_config.json`);
    await Deno.truncate(`${destination}/adapter_model.safetensors`, 10);
    await Deno.writeTextFile(`${destination}/optim/stray.txt`, "x");
    const r = await verifyDownload(destination);
    assert.equal(r.ok, false);
    assert.deepEqual(r.missing, ["adapter_config.json"]);
    assert.deepEqual(r.wrongSize, [
      {
        path: "adapter_model.safetensors",
        expected: FILES["adapter_model.safetensors"].length,
        actual: 10,
      },
    ]);
    assert.deepEqual(r.extra, ["optim/stray.txt"]);
    await assert.rejects(verifyDownload(out), IntegrityError);
  });
});

Deno.test("a symlink in a file's place is not that file: verify says missing, a download is not skipped", async () => {
  await withFixture({}, async (fx, out) => {
    const { destination } = await download(fx.config, TINKER_PATH, { outputDir: out });
    // Same size, elsewhere: following the link would see a match.
    const elsewhere = `${out}/elsewhere.json`;
    await Deno.writeFile(elsewhere, FILES["adapter_config.json"]);
    await Deno.remove(`${destination}/adapter_config.json`);
    await Deno.symlink(elsewhere, `${destination}/adapter_config.json`);
    const r = await verifyDownload(destination);
    assert.equal(r.ok, false);
    assert.deepEqual(r.missing, ["adapter_config.json"]);
    await assert.rejects(
      download(fx.config, TINKER_PATH, { outputDir: out }),
      DestinationExistsError,
    );
  });
});

Deno.test("a manifest edited to list files outside the destination is not a manifest", async () => {
  await withFixture({}, async (fx, out) => {
    const { destination } = await download(fx.config, TINKER_PATH, { outputDir: out });
    const file = `${destination}/.tinkex-manifest.json`;
    const m = JSON.parse(await Deno.readTextFile(file)) as DownloadManifest;
    await Deno.writeTextFile(`${out}/outside`, "x");
    m.files.push({ path: "../outside", size: 1 });
    await Deno.writeTextFile(file, JSON.stringify(m));
    await assert.rejects(verifyDownload(destination), IntegrityError);
    await assert.rejects(
      download(fx.config, TINKER_PATH, { outputDir: out }),
      DestinationExistsError,
    );
  });
});

Deno.test("include/exclude: skipped members are not written; the manifest records the selection", async () => {
  await withFixture({}, async (fx, out) => {
    const r = await download(fx.config, TINKER_PATH, {
      outputDir: out,
      include: ["adapter_*", "checkpoint_complete"],
      exclude: ["*.json"],
    });
    assert.deepEqual(r.files.map((f) => f.path), [
      "adapter_model.safetensors",
      "checkpoint_complete",
    ]);
    assert.deepEqual(names(r.destination), [
      ".tinkex-manifest.json",
      "adapter_model.safetensors",
      "checkpoint_complete",
    ]);
    await assertFiles(r.destination, ["adapter_model.safetensors"]);
    const m = await manifestOf(r.destination);
    assert.deepEqual(m.include, ["adapter_*", "checkpoint_complete"]);
    assert.deepEqual(m.exclude, ["*.json"]);
    assert.equal((await verifyDownload(r.destination)).ok, true);
    const again = await download(fx.config, TINKER_PATH, {
      outputDir: out,
      include: ["adapter_*", "checkpoint_complete"],
      exclude: ["*.json"],
    });
    assert.equal(again.skipped, true);
  });
});

Deno.test("exclude with ** skips a whole directory", async () => {
  await withFixture({}, async (fx, out) => {
    const r = await download(fx.config, TINKER_PATH, { outputDir: out, exclude: ["optim/**"] });
    assert.ok(!names(r.destination).includes("optim"));
    assert.deepEqual(r.files.map((f) => f.path), [
      "adapter_config.json",
      "adapter_model.safetensors",
      "checkpoint_complete",
    ]);
  });
});

/** Wait until the partial directory's journal says `check`. */
async function journalReaches(out: string, check: (j: Record<string, unknown>) => boolean) {
  for (let i = 0; i < 3000; i++) {
    for (const file of ["journal-a.json", "journal-b.json"]) {
      try {
        const j = JSON.parse(await Deno.readTextFile(`${out}/${PARTIAL}/${file}`));
        if (check(j)) return j;
      } catch {
        // not written yet, or being written
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("the journal never got there");
}

Deno.test("include patterns with many * against names an archive chose: matched in linear time", async () => {
  // A backtracking regex takes ~40 s for this pattern on 40 "a"s and ages on 60.
  const name = "a".repeat(60);
  const fx = startFixture({
    archive: tar([{ name, body: noise(10, 1) }, { name: "b.json", body: noise(10, 2) }]),
  });
  const out = await Deno.makeTempDir({ prefix: "tinkex-runs-" });
  try {
    const r = await download(fx.config, TINKER_PATH, {
      outputDir: out,
      include: ["*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "*.json"],
    });
    assert.deepEqual(r.files.map((f) => f.path), ["b.json"]);
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("an invalid class in a pattern is a RangeError before any request", async () => {
  await withFixture({}, async (fx, out) => {
    await assert.rejects(
      download(fx.config, TINKER_PATH, { outputDir: out, exclude: ["[z-a]*"] }),
      (e) => e instanceof RangeError && /Cannot select members with "\[z-a\]\*"/.test(e.message),
    );
    assert.equal(fx.archiveRequests, 0);
    assert.deepEqual(names(out), []);
  });
});

/** A download() in a child process, killed (-9) once its journal has `atLeast` of a member. */
function killedMidMember(
  fx: Fixture,
  out: string,
  atLeast = 16 * MiB,
): Promise<Record<string, unknown>> {
  return killedOnceJournal(fx, out, (j) => {
    const current = j.current as { written: number } | undefined;
    return (current?.written ?? 0) >= atLeast;
  });
}

/** A download() in a child process, killed (-9) once its journal passes `check`. */
async function killedOnceJournal(
  fx: Fixture,
  out: string,
  check: (j: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_download_child.ts", import.meta.url).pathname,
      fx.baseUrl,
      API_KEY,
      TINKER_PATH,
      out,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const j = await journalReaches(out, check);
  child.kill("SIGKILL");
  await child.status;
  assert.deepEqual(names(out), [PARTIAL], "the killed run left its partial state only");
  return j;
}

/** Where the 40 MiB member's data starts in ARCHIVE. */
const BIG_DATA_START = 512 + Object.values(FILES).slice(0, 2).reduce(
  (n, b) => n + 512 + Math.ceil(b.length / 512) * 512,
  512,
);

Deno.test("kill -9 mid-download, then download() again: continues from the journal, byte-identical", async () => {
  // The first connection stops sending after 30 MiB (inside the 40 MiB member) and stays open.
  await withFixture({ stallAfter: [30 * MiB] }, async (fx, out) => {
    const j = await killedMidMember(fx, out);
    const current = j.current as { dataStart: number; written: number };

    const r = await download(fx.config, TINKER_PATH, { outputDir: out });
    assert.ok(r.resumedFrom !== undefined && r.resumedFrom >= current.dataStart + current.written);
    const resumed = fx.blobRequests.at(-1)!;
    assert.equal(resumed.range, `bytes=${r.resumedFrom}-`);
    assert.equal(resumed.ifRange, `"v0"`);
    assert.equal(resumed.status, 206);
    assert.equal(r.bytes, ARCHIVE.length - r.resumedFrom!, "only the rest was transferred");
    await assertFiles(r.destination);
    assert.deepEqual(r.files.map((f) => f.path), Object.keys(FILES));
    assert.deepEqual(names(out), [DIR_NAME]);
    assert.equal((await verifyDownload(r.destination)).ok, true);
  });
});

Deno.test("kill -9 right after a journal save inside a member, twice: the journal never claims bytes not on disk", async () => {
  // The store stops a little past 16 MiB of the big member: the journal has just been saved, and
  // the bytes after it are the last ones the run got (a writer that gathers writes holds them).
  // The second run continues the member (a resumed file) and is killed the same way past 32 MiB.
  const stallAfter = [BIG_DATA_START + 16 * MiB + 256 * 1024, 16 * MiB + 200 * 1024];
  await withFixture({ stallAfter }, async (fx, out) => {
    let current: { path: string; dataStart: number; written: number } | undefined;
    const runStarts: { requests: number; from?: number }[] = [];
    for (const atLeast of [16 * MiB, 32 * MiB]) {
      runStarts.push({
        requests: fx.blobRequests.length,
        from: current && current.dataStart + current.written,
      });
      const j = await killedMidMember(fx, out, atLeast);
      current = j.current as { path: string; dataStart: number; written: number };
      assert.equal(current.dataStart, BIG_DATA_START);
      const onDisk = (await Deno.stat(`${out}/${PARTIAL}/${current.path}`)).size;
      assert.ok(onDisk >= current.written, `journal says ${current.written}, disk has ${onDisk}`);
    }
    // The second run continued the first exactly where its journal said, not from the start.
    const second = runStarts[1];
    assert.ok(second.from! >= BIG_DATA_START + 16 * MiB);
    assert.equal(fx.blobRequests[second.requests].range, `bytes=${second.from}-`);

    const r = await download(fx.config, TINKER_PATH, { outputDir: out });
    assert.equal(r.resumedFrom, current!.dataStart + current!.written, "continued, not restarted");
    await assertFiles(r.destination);
    assert.equal((await verifyDownload(r.destination)).ok, true);
  });
});

Deno.test("many small files: the journal is saved after a share of them, not after each; kill -9, then a resume ends byte-identical", async () => {
  const many = Array.from({ length: 2000 }, (_, i) => ({ name: `s/f${i}`, body: noise(100, i) }));
  const archive = tar(many);
  // The first connection stops near the end and stays open: the run is killed before that.
  const fx = startFixture({ archive, stallAfter: [Math.floor(archive.length * 0.95)] });
  const out = await Deno.makeTempDir({ prefix: "tinkex-runs-" });
  try {
    const j = await killedOnceJournal(fx, out, (j) => (j.files as unknown[]).length >= 1500);
    // Each save rewrites the whole list of files: after every one of 1,500 it was quadratic.
    const saves = j.seq as number;
    const journaled = (j.files as unknown[]).length;
    assert.ok(saves < journaled / 3, `${saves} journal saves for ${journaled} files`);

    const r = await download(fx.config, TINKER_PATH, { outputDir: out });
    assert.ok(r.resumedFrom !== undefined && r.resumedFrom >= journaled * 1024);
    for (const m of many) {
      assert.deepEqual(await Deno.readFile(`${r.destination}/${m.name}`), m.body, m.name);
    }
    assert.deepEqual(names(out), [DIR_NAME]);
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a symlink in the partial directory's place is not followed: nothing is written where it points", async () => {
  await withFixture({}, async (fx, out) => {
    const elsewhere = await Deno.makeTempDir({ prefix: "tinkex-elsewhere-" });
    try {
      await Deno.symlink(elsewhere, `${out}/${PARTIAL}`);
      const r = await download(fx.config, TINKER_PATH, { outputDir: out });
      assert.deepEqual(names(elsewhere), [], "no owner, journal or member written through it");
      assert.ok((await Deno.lstat(r.destination)).isDirectory, "the destination is a directory");
      await assertFiles(r.destination);
      assert.deepEqual(names(out), [DIR_NAME]);
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
  });
});

/**
 * Leave partial state as an interrupted run does: a store that stops sending after `bytes`, one
 * attempt only, `keepPartial`.
 */
async function interrupted(out: string, bytes: number): Promise<void> {
  await withFixture({ stallAfter: [bytes] }, async (fx) => {
    await assert.rejects(
      download(fx.config, TINKER_PATH, {
        outputDir: out,
        keepPartial: true,
        connections: 1,
        stallTimeoutMs: 100,
        maxResumeAttempts: 0,
      }),
      ConnectionError,
    );
  }, out);
  assert.deepEqual(names(out), [PARTIAL]);
}

Deno.test("keepPartial keeps nothing after a failure a later run cannot get past (an archive over maxBytes)", async () => {
  await withFixture({}, async (fx, out) => {
    await assert.rejects(
      download(fx.config, TINKER_PATH, { outputDir: out, keepPartial: true, maxBytes: 8 * MiB }),
      UnsafeArchiveError,
    );
    assert.deepEqual(names(out), [], "the journaled first members are not kept");
  });
});

Deno.test("a run that stopped early in a member continues at that member's header", async () => {
  await withFixture({}, async (fx, out) => {
    await interrupted(out, 4 * MiB); // inside the big member, before 16 MiB of it are on disk
    const r = await download(fx.config, TINKER_PATH, { outputDir: out });
    // The first two files were complete: the resume starts at the big member's header.
    const small = BIG_DATA_START - 512; // its header
    assert.equal(r.resumedFrom, small);
    assert.equal(fx.blobRequests[0].range, `bytes=${small}-`);
    await assertFiles(r.destination);
  });
});

Deno.test("an archive that changed since the interrupted run is downloaded from the start", async () => {
  await withFixture({ changingEtag: true }, async (fx, out) => {
    await interrupted(out, 20 * MiB);
    // This store's ETag is "v<request number>": burn "v0", the one the interrupted run saw.
    await (await fetch(`${fx.baseUrl}/blob/0?sig=x`)).body?.cancel();
    const r = await download(fx.config, TINKER_PATH, { outputDir: out });
    assert.equal(r.resumedFrom, undefined);
    assert.equal(r.bytes, ARCHIVE.length);
    // The store answered the resume's If-Range with the whole (new) archive; then from 0.
    assert.equal(fx.blobRequests[1].ifRange, `"v0"`);
    assert.equal(fx.blobRequests[1].status, 200);
    assert.equal(fx.blobRequests[2].range, null);
    await assertFiles(r.destination);
    assert.deepEqual(names(out), [DIR_NAME]);
  });
});

Deno.test("resume: false starts over and keeps no journal", async () => {
  await withFixture({}, async (fx, out) => {
    await interrupted(out, 20 * MiB);
    let sawJournal = false;
    const r = await download(fx.config, TINKER_PATH, {
      outputDir: out,
      resume: false,
      onProgress: () => {
        for (const name of names(out)) {
          if (name !== PARTIAL && name.startsWith(PARTIAL.slice(0, -"partial".length))) {
            sawJournal ||= names(`${out}/${name}`).some((n) => n.startsWith("journal"));
          }
        }
      },
    });
    assert.equal(r.resumedFrom, undefined);
    assert.equal(r.bytes, ARCHIVE.length);
    assert.equal(sawJournal, false);
    await assertFiles(r.destination);
    // The interrupted run's partial state is left for cleanPartialDownloads.
    assert.deepEqual(names(out), [PARTIAL, DIR_NAME].sort());
  });
});

Deno.test("cleanPartialDownloads lists and removes stale partial state, never live or finished downloads", async () => {
  await withFixture({ stallAfter: [2 * MiB] }, async (fx, out) => {
    await interrupted(out, 20 * MiB);
    // The working directory of a dead process of this machine, for another checkpoint.
    const other = `${out}/.tinkex-0123456789-4194000-${await shortHash(hostname(), 6)}-abc123`;
    await Deno.mkdir(other);
    await Deno.writeTextFile(`${out}/keep.txt`, "mine");
    const listed = await cleanPartialDownloads(out, { dryRun: true });
    assert.deepEqual(listed.map((p) => [p.path, p.tinker_path, p.in_use, p.removed]), [
      [other, undefined, false, false],
      [`${out}/${PARTIAL}`, TINKER_PATH, false, false],
    ]);
    assert.ok(listed[1].offset! > 0 && listed[1].total === ARCHIVE.length);

    // A download in progress (its second request stalls) owns its partial directory.
    const controller = new AbortController();
    const { promise: receiving, resolve } = Promise.withResolvers<void>();
    const running = download(fx.config, TINKER_PATH, {
      outputDir: out,
      signal: controller.signal,
      stallTimeoutMs: 60_000,
      onProgress: (p) => p.transferredBytes > 0 && resolve(),
    });
    running.catch(() => {});
    await receiving; // it took over the partial directory before receiving a byte
    const cleaned = await cleanPartialDownloads(out);
    assert.deepEqual(cleaned.map((p) => [p.path, p.in_use, p.removed]), [
      [other, false, true],
      [`${out}/${PARTIAL}`, true, false],
    ]);
    controller.abort();
    await assert.rejects(running);
    assert.deepEqual(names(out), ["keep.txt"]);
  });
});

Deno.test("tinkex serve's Repr-Digest is recorded in the manifest", async () => {
  const server = await serve({ seed: { runs: 1, checkpointsPerRun: 1 } });
  const out = await Deno.makeTempDir({ prefix: "tinkex-runs-" });
  try {
    const config = { apiKey: server.apiKeys[0], baseUrl: server.baseUrl };
    const { listUserCheckpoints, getArchiveUrl } = await import("../mod.ts");
    const path = (await listUserCheckpoints(config)).checkpoints[0].tinker_path;
    const r = await download(config, path, { outputDir: out });
    const bytes = new Uint8Array(
      await (await fetch((await getArchiveUrl(config, path)).url)).arrayBuffer(),
    );
    const sha = btoa(
      String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))),
    );
    assert.equal((await manifestOf(r.destination)).archive_digest, `sha-256=${sha}`);
  } finally {
    await server.close();
    await Deno.remove(out, { recursive: true });
  }
});
