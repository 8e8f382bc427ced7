// The disk side of download(): concurrent downloads to one destination, leftovers of killed
// processes, modes under the umask, and file-system failures (read-only, full, not a directory,
// permission denied) as typed errors — on real file systems (small tmpfs mounts when root).
import assert from "node:assert/strict";
import {
  DestinationExistsError,
  download,
  type DownloadResult,
  FileSystemError,
  UnsafeArchiveError,
  verifyDownload,
} from "../mod.ts";
import { runCliInProcess } from "./_cli_helpers.ts";
import { API_KEY, DIR_NAME, startFixture, TINKER_PATH } from "./_download_fixture.ts";
import { noise, tar, TYPE } from "./_tar_bytes.ts";

const BIG = noise(400_000, 31);
const ARCHIVE = tar([
  { name: "sub/", type: TYPE.directory },
  { name: "sub/model.bin", body: BIG },
  { name: "config.json", body: "{}" },
]);
const DENO_JSON = new URL("../deno.json", import.meta.url).pathname;
const MOD = new URL("../mod.ts", import.meta.url).href;
const IS_ROOT = Deno.uid() === 0;

async function withOut(fn: (out: string) => Promise<void>): Promise<void> {
  const out = await Deno.makeTempDir({ prefix: "tinkex-disk-" });
  try {
    await fn(out);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("4 concurrent downloads to one destination: all succeed with one copy, nothing left over", async () => {
  const fx = startFixture({ archive: ARCHIVE });
  try {
    await withOut(async (out) => {
      const results = await Promise.all(
        Array.from({ length: 4 }, () => download(fx.config, TINKER_PATH, { outputDir: out })),
      );
      for (const r of results) {
        assert.equal(r.destination, `${out}/${DIR_NAME}`);
        assert.deepEqual(r.files.map((f) => f.path), ["sub/model.bin", "config.json"]);
      }
      assert.deepEqual(names(out), [DIR_NAME], "no temporary or old directory left");
      assert.deepEqual(await Deno.readFile(`${out}/${DIR_NAME}/sub/model.bin`), BIG);
      assert.equal((await verifyDownload(`${out}/${DIR_NAME}`)).ok, true);
    });
  } finally {
    await fx.close();
  }
});

Deno.test("concurrent downloads of different selections to one destination: the first placed wins, the other is DestinationExistsError", async () => {
  const fx = startFixture({ archive: ARCHIVE });
  try {
    await withOut(async (out) => {
      const runs = await Promise.allSettled([
        download(fx.config, TINKER_PATH, { outputDir: out }),
        download(fx.config, TINKER_PATH, { outputDir: out, include: ["config.json"] }),
      ]);
      const ok = runs.filter((r) => r.status === "fulfilled");
      const failed = runs.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
      assert.equal(ok.length, 1);
      assert.equal(failed.length, 1);
      assert.ok(failed[0].reason instanceof DestinationExistsError, String(failed[0].reason));
      assert.deepEqual(names(out), [DIR_NAME], "no temporary or old directory left");
    });
  } finally {
    await fx.close();
  }
});

Deno.test("4 concurrent forced downloads: each completes, one copy stays, no …-old left", async () => {
  const fx = startFixture({ archive: ARCHIVE });
  try {
    await withOut(async (out) => {
      await Deno.mkdir(`${out}/${DIR_NAME}`);
      await Deno.writeTextFile(`${out}/${DIR_NAME}/old.txt`, "old");
      const results: DownloadResult[] = await Promise.all(
        Array.from(
          { length: 4 },
          () => download(fx.config, TINKER_PATH, { outputDir: out, force: true }),
        ),
      );
      assert.equal(results.length, 4);
      assert.deepEqual(names(out), [DIR_NAME]);
      assert.deepEqual(names(`${out}/${DIR_NAME}`), [
        ".tinkex-manifest.json",
        "config.json",
        "sub",
      ]);
      assert.deepEqual(await Deno.readFile(`${out}/${DIR_NAME}/sub/model.bin`), BIG);
    });
  } finally {
    await fx.close();
  }
});

Deno.test("the temp directory of a killed process is reclaimed by the next download", async () => {
  const fx = startFixture({ archive: ARCHIVE, stallAfter: [100_000] });
  try {
    await withOut(async (out) => {
      const script = `import { download } from ${JSON.stringify(MOD)};
        await download(${JSON.stringify(fx.config)}, ${JSON.stringify(TINKER_PATH)}, {
          outputDir: ${JSON.stringify(out)}, stallTimeoutMs: 600000 });`;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["eval", "--config", DENO_JSON, script],
        stdout: "null",
        stderr: "null",
      }).spawn();
      let temp: string | undefined;
      for (let i = 0; i < 2000 && temp === undefined; i++) {
        await new Promise((r) => setTimeout(r, 10));
        const found = names(out).find((n) => n.startsWith(".tinkex-"));
        if (found && fx.blobRequests.length > 0) temp = found;
      }
      assert.ok(temp, "the child started downloading");
      child.kill("SIGKILL");
      await child.status;
      assert.deepEqual(names(out), [temp], "the killed process left its temp directory");
      await download(fx.config, TINKER_PATH, { outputDir: out });
      assert.deepEqual(names(out), [DIR_NAME], "the leftover was reclaimed");
    });
  } finally {
    await fx.close();
  }
});

Deno.test("the temp directory of a live download is left alone", async () => {
  const fx = startFixture({ archive: ARCHIVE, stallAfter: [100_000] });
  const other = startFixture({ archive: ARCHIVE });
  const controller = new AbortController();
  try {
    await withOut(async (out) => {
      const running = download(fx.config, TINKER_PATH, {
        outputDir: out,
        signal: controller.signal,
        stallTimeoutMs: 600_000,
      });
      running.catch(() => {});
      let temp: string | undefined;
      for (let i = 0; i < 3000 && temp === undefined; i++) {
        await new Promise((r) => setTimeout(r, 10));
        const found = names(out).find((n) => n.startsWith(".tinkex-"));
        if (found && fx.blobRequests.length > 0) temp = found;
      }
      assert.ok(temp, "the first download is under way");
      // Another download of the same checkpoint into the same directory keeps it (its owner,
      // this process, is alive); the first is stalled, so the second places its copy.
      await download(other.config, TINKER_PATH, { outputDir: out });
      assert.ok(names(out).includes(temp), "the live download's temp directory is still there");
      controller.abort();
      await running.catch(() => {});
      assert.deepEqual(names(out), [DIR_NAME], "the aborted one cleaned up after itself");
    });
  } finally {
    controller.abort();
    await fx.close();
    await other.close();
  }
});

/** Run a download in a child whose umask is `umask`; return the modes of what it made. */
async function modesUnder(umask: string): Promise<Record<string, number>> {
  const fx = startFixture({ archive: ARCHIVE });
  try {
    let modes: Record<string, number> = {};
    await withOut(async (out) => {
      const script = `import { download } from ${JSON.stringify(MOD)};
        await download(${JSON.stringify(fx.config)}, ${JSON.stringify(TINKER_PATH)}, {
          outputDir: ${JSON.stringify(out)} });`;
      const child = await new Deno.Command("sh", {
        args: [
          "-c",
          `umask ${umask} && exec "$0" eval --config "$1" "$2"`,
          Deno.execPath(),
          DENO_JSON,
          script,
        ],
        stderr: "piped",
      }).output();
      assert.equal(child.code, 0, new TextDecoder().decode(child.stderr));
      const dest = `${out}/${DIR_NAME}`;
      const mode = async (p: string) => ((await Deno.stat(p)).mode ?? 0) & 0o777;
      modes = {
        destination: await mode(dest),
        dir: await mode(`${dest}/sub`),
        file: await mode(`${dest}/sub/model.bin`),
      };
    });
    return modes;
  } finally {
    await fx.close();
  }
}

Deno.test("modes follow the umask: 022 → 755/644, 027 → 750/640, 077 → 700/600", async () => {
  assert.deepEqual(await modesUnder("022"), { destination: 0o755, dir: 0o755, file: 0o644 });
  assert.deepEqual(await modesUnder("027"), { destination: 0o750, dir: 0o750, file: 0o640 });
  assert.deepEqual(await modesUnder("077"), { destination: 0o700, dir: 0o700, file: 0o600 });
});

Deno.test("an output directory created for a failed download is removed again", async () => {
  const fx = startFixture({ archive: tar([{ name: "../evil", body: "x" }]) });
  try {
    await withOut(async (out) => {
      await assert.rejects(
        download(fx.config, TINKER_PATH, { outputDir: `${out}/a/b/c` }),
        UnsafeArchiveError,
      );
      assert.deepEqual(names(out), [], "a/b/c, made by tinkex, is gone");
    });
  } finally {
    await fx.close();
  }
});

Deno.test("an output directory path through a file → FileSystemError ENOTDIR", async () => {
  const fx = startFixture({ archive: ARCHIVE });
  try {
    await withOut(async (out) => {
      await Deno.writeTextFile(`${out}/file`, "x");
      await assert.rejects(
        download(fx.config, TINKER_PATH, { outputDir: `${out}/file/sub` }),
        (e: unknown) =>
          e instanceof FileSystemError && e.code === "ENOTDIR" &&
          e.path === `${out}/file/sub` && /not a directory/.test(e.message),
      );
      assert.equal(fx.archiveRequests, 0, "nothing was requested");
    });
  } finally {
    await fx.close();
  }
});

Deno.test({
  name: "permission denied → FileSystemError EACCES",
  ignore: IS_ROOT, // root is not refused by permission bits; the read-only mount test covers it
  fn: async () => {
    const fx = startFixture({ archive: ARCHIVE });
    try {
      await withOut(async (out) => {
        await Deno.mkdir(`${out}/locked`, { mode: 0o500 });
        await assert.rejects(
          download(fx.config, TINKER_PATH, { outputDir: `${out}/locked` }),
          (e: unknown) => e instanceof FileSystemError && e.code === "EACCES",
        );
        await Deno.chmod(`${out}/locked`, 0o700);
      });
    } finally {
      await fx.close();
    }
  },
});

/** Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN), and why not. */
async function mountCheck(): Promise<string | undefined> {
  if (!IS_ROOT) return "not root";
  const dir = await Deno.makeTempDir();
  try {
    const r = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir],
      stderr: "piped",
    }).output().catch((e) => ({ success: false, stderr: new TextEncoder().encode(String(e)) }));
    if (!r.success) return `mount failed: ${new TextDecoder().decode(r.stderr).trim()}`;
    await new Deno.Command("umount", { args: [dir] }).output();
    return undefined;
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
}

const noMount = await mountCheck();
if (noMount) console.warn(`tmpfs tests skipped: ${noMount}`);

async function withTmpfs(options: string, fn: (mnt: string) => Promise<void>): Promise<void> {
  const mnt = await Deno.makeTempDir({ prefix: "tinkex-tmpfs-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", options, "tmpfs", mnt],
  }).output();
  assert.ok(mount.success, "mount");
  try {
    await fn(mnt);
  } finally {
    await new Deno.Command("umount", { args: [mnt] }).output();
    await Deno.remove(mnt);
  }
}

Deno.test({
  name: "read-only file system → FileSystemError EROFS (output dir or temp dir)",
  ignore: noMount !== undefined,
  fn: async () => {
    const fx = startFixture({ archive: ARCHIVE });
    try {
      await withTmpfs("size=1m,ro", async (mnt) => {
        await assert.rejects(
          download(fx.config, TINKER_PATH, { outputDir: `${mnt}/new` }),
          (e: unknown) =>
            e instanceof FileSystemError && e.code === "EROFS" &&
            e.operation === "create the output directory" && e.path === `${mnt}/new`,
        );
        await assert.rejects(
          download(fx.config, TINKER_PATH, { outputDir: mnt }),
          (e: unknown) =>
            e instanceof FileSystemError && e.code === "EROFS" &&
            e.operation === "create a temporary directory in" && e.path === mnt,
        );
        assert.equal(fx.archiveRequests, 0);
      });
    } finally {
      await fx.close();
    }
  },
});

Deno.test({
  name: "disk full → FileSystemError ENOSPC naming the destination; nothing left",
  ignore: noMount !== undefined,
  fn: async () => {
    const fx = startFixture({ archive: ARCHIVE });
    try {
      await withTmpfs("size=128k", async (mnt) => {
        await assert.rejects(
          download(fx.config, TINKER_PATH, { outputDir: `${mnt}/dl` }),
          (e: unknown) =>
            e instanceof FileSystemError && e.code === "ENOSPC" &&
            e.path === `${mnt}/dl/${DIR_NAME}` && /no space left/.test(e.message) &&
            e.message.includes(`${mnt}/dl/${DIR_NAME}`),
        );
        assert.deepEqual(names(mnt), [], "no temp dir, and the dl/ made by tinkex is gone");
      });
    } finally {
      await fx.close();
    }
  },
});

Deno.test({
  name:
    "no inode left, at each step in turn (partial dir, members, journal, manifest) → FileSystemError ENOSPC; nothing left",
  ignore: noMount !== undefined,
  fn: async () => {
    const fx = startFixture({
      archive: tar([{ name: "a.bin", body: noise(1000, 3) }, {
        name: "b.bin",
        body: noise(1000, 4),
      }]),
    });
    try {
      // The mount's root, dl/ and the working directory take 3 inodes; each file made after that
      // (owner, members, journals, manifest) one more, so each count fails a later step.
      for (let inodes = 2; inodes <= 9; inodes++) {
        for (const resume of [true, false]) {
          await withTmpfs(`size=1m,nr_inodes=${inodes}`, async (mnt) => {
            const run = `nr_inodes=${inodes} resume=${resume}`;
            const outcome = await download(fx.config, TINKER_PATH, {
              outputDir: `${mnt}/dl`,
              resume,
            })
              .then(() => undefined, (e: unknown) => e);
            if (outcome === undefined) {
              assert.deepEqual(names(`${mnt}/dl`), [DIR_NAME], run);
              return;
            }
            assert.ok(
              outcome instanceof FileSystemError && outcome.code === "ENOSPC" &&
                outcome.message.includes(`${mnt}/dl`),
              `${run}: ${outcome}`,
            );
            assert.deepEqual(names(mnt), [], `${run}: nothing is left, not even dl/`);
          });
        }
      }
    } finally {
      await fx.close();
    }
  },
});

Deno.test({
  name: "the CLI says what to do about a read-only -o DIR, not 'a bug in tinkex'",
  ignore: noMount !== undefined,
  fn: async () => {
    const fx = startFixture({ archive: ARCHIVE });
    try {
      await withTmpfs("size=1m,ro", async (mnt) => {
        const run = await runCliInProcess(
          ["checkpoint", "download", TINKER_PATH, "-o", `${mnt}/x`],
          { TINKER_API_KEY: API_KEY, TINKER_BASE_URL: fx.baseUrl },
        );
        assert.equal(run.code, 1);
        assert.match(
          run.stderr,
          /Error: Cannot create the output directory .*\/x: the file system is read-only \(EROFS\)/,
        );
        assert.match(run.stderr, /choose another -o DIR/i);
        assert.doesNotMatch(run.stderr, /bug in tinkex/);
      });
    } finally {
      await fx.close();
    }
  },
});
