// The local machine's two backends (the Deno namespace, and Node's built-ins as Node, Bun and
// Deno on Windows reach them) behave alike where downloads rely on it: the same results and the
// same error codes for the same operations on a real directory, and the same path arithmetic as
// node:path.
import assert from "node:assert/strict";
import posix from "node:path/posix";
import { type LocalSystem, systemFor, UNKNOWN_HOST } from "../src/client/local/system.ts";
import { dirnamePath, joinPath, resolvePath } from "../src/client/local/posix_path.ts";

const BACKENDS: [string, () => LocalSystem][] = [
  ["Deno namespace", () => systemFor({ Deno })],
  ["Node built-ins", () => systemFor({ process: globalThis.process })],
];

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return "ok";
  } catch (e) {
    return String((e as { code?: unknown }).code);
  }
};

/** One scenario, its observations listed in order (compared between the backends). */
async function scenario(system: LocalSystem, root: string): Promise<unknown[]> {
  const { fs, path } = system;
  const seen: unknown[] = [];
  const at = (...p: string[]) => path.join(root, ...p);
  // mkdir: recursive names the topmost directory made; nothing made: undefined.
  seen.push((await fs.mkdir(at("a", "b", "c"), { recursive: true }))?.slice(root.length));
  seen.push(await fs.mkdir(at("a", "b"), { recursive: true }));
  seen.push(await codeOf(fs.mkdir(at("a"))));
  await fs.writeFile(at("file"), "x");
  seen.push(await codeOf(fs.mkdir(at("file", "sub"), { recursive: true })));
  seen.push(await codeOf(fs.mkdir(at("missing", "sub"))));
  // open "wx" never opens what is there; writes land where they are told.
  const h = await fs.open(at("a", "data"), "wx", 0o666);
  await h.write(new TextEncoder().encode("hello world"), 0, 11);
  await h.write(new TextEncoder().encode("__HELLO"), 2, 5);
  await h.close();
  seen.push(await fs.readFile(at("a", "data"), "utf8"));
  seen.push(await codeOf(fs.open(at("a", "data"), "wx", 0o666)));
  const r = await fs.open(at("a", "data"), "r+");
  await r.truncate(5);
  await r.write(new TextEncoder().encode("!?"), 0, 2, 5);
  await r.write(new TextEncoder().encode("J"), 0, 1, 0);
  await r.close();
  seen.push(await fs.readFile(at("a", "data"), "utf8"));
  seen.push(await codeOf(fs.open(at("nothing"), "r+")));
  // A file written in odd-sized pieces across the gathering buffers' sizes, flushed midway:
  // whole and in order, and the flushed part already in the file.
  const big = new Uint8Array(3 * 2 ** 20 + 12_345).map((_, i) => (i * 7 + (i >> 11)) & 0xff);
  const g = await fs.open(at("big"), "wx", 0o666);
  for (let from = 0; from < big.length; from += 100_003) {
    const n = Math.min(100_003, big.length - from);
    await g.write(big, from, n);
    if (from === 1_500_045) {
      await g.flush?.();
      seen.push((await fs.stat(at("big"))).size === from + n);
    }
  }
  await g.close();
  const back = await Deno.readFile(at("big"));
  seen.push(back.length === big.length && back.every((b, i) => b === big[i]));
  await fs.rm(at("big"));
  // stat, lstat, modes under the umask.
  await fs.writeFile(at("a", "m.json"), "{}\n", { mode: 0o644 });
  const info = await fs.stat(at("a", "m.json"));
  seen.push([info.size, info.isFile(), info.isDirectory(), info.mode & 0o777]);
  await Deno.symlink(at("a", "m.json"), at("link"));
  const link = await fs.lstat(at("link"));
  seen.push([link.isSymbolicLink(), link.isFile(), (await fs.stat(at("link"))).isFile()]);
  seen.push(await codeOf(fs.lstat(at("file", "x"))));
  // readdir, both forms.
  seen.push((await fs.readdir(at("a"))).sort());
  seen.push(
    (await fs.readdir(at("a"), { withFileTypes: true }))
      .map((e) => [e.name, e.isDirectory()]).sort(),
  );
  seen.push(await codeOf(fs.readdir(at("nothing"))));
  // rename onto a non-empty directory, rmdir of a file or a full directory, rm.
  await fs.mkdir(at("full", "x"), { recursive: true });
  await fs.mkdir(at("other"));
  await fs.writeFile(at("other", "y"), "y");
  seen.push(await codeOf(fs.rename(at("other"), at("full"))));
  seen.push(await codeOf(fs.rmdir(at("file"))));
  seen.push(await codeOf(fs.rmdir(at("full"))));
  seen.push(await codeOf(fs.rmdir(at("full", "x"))));
  seen.push(await codeOf(fs.rm(at("nothing"), { recursive: true, force: true })));
  seen.push(await codeOf(fs.rm(at("nothing"))));
  await fs.rm(at("a"), { recursive: true, force: true });
  seen.push((await fs.readdir(root)).sort());
  // The process.
  seen.push([system.pid === Deno.pid, system.hostname() === Deno.hostname()]);
  seen.push([system.isAlive(Deno.pid), system.isAlive(2 ** 22 + 12345)]);
  return seen;
}

Deno.test("local system: both backends answer the same operations alike, on a real directory", async () => {
  const results: unknown[][] = [];
  for (const [, make] of BACKENDS) {
    const root = await Deno.makeTempDir({ prefix: "tinkex-local-" });
    try {
      results.push(await scenario(make(), root));
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  }
  const umask = Deno.umask();
  assert.deepEqual(results[0], results[1]);
  // And what they agree on is what downloads rely on.
  assert.deepEqual(results[0].slice(0, 7), [
    "/a",
    undefined,
    "EEXIST",
    "ENOTDIR",
    "ENOENT",
    "hello worldHELLO",
    "EEXIST",
  ]);
  assert.equal(results[0][7], "Jello!?");
  assert.equal(results[0][8], "ENOENT");
  assert.deepEqual(results[0].slice(9, 11), [true, true]);
  assert.deepEqual(results[0][11], [3, true, false, 0o644 & ~umask]);
  assert.deepEqual(results[0][12], [true, false, true]);
  assert.deepEqual(results[0].slice(17, 23), [
    "ENOTEMPTY",
    "ENOTDIR",
    "ENOTEMPTY",
    "ok",
    "ok",
    "ENOENT",
  ]);
  assert.deepEqual(results[0].at(-1), [true, false]);
});

Deno.test("local system: POSIX path arithmetic is node:path's", () => {
  const parts = ["", ".", "..", "/", "a", "b/", "/c", "//d//", "e/../f", "./g", "../..", "h/."];
  const cwd = "/work/dir";
  let compared = 0;
  for (const a of parts) {
    for (const b of parts) {
      for (const c of parts) {
        assert.equal(
          resolvePath(cwd, a, b, c),
          posix.resolve(cwd, a, b, c),
          `resolve ${a} ${b} ${c}`,
        );
        assert.equal(joinPath(a, b, c), posix.join(a, b, c), `join ${a} ${b} ${c}`);
        assert.equal(dirnamePath(a + b + c), posix.dirname(a + b + c), `dirname ${a}${b}${c}`);
        compared++;
      }
    }
  }
  assert.equal(compared, parts.length ** 3);
});

Deno.test("local system: where there is none, a TinkerError that names the way out", () => {
  assert.throws(
    () => systemFor({}),
    (e: Error) =>
      e.name === "TinkerError" && /^Cannot download to disk: .*openArchiveStream/.test(e.message),
  );
  assert.throws(
    () => systemFor({ process: {} }, "Cannot verify ./x"),
    (e: Error) => /^Cannot verify \.\/x: this runtime has no node:fs\/promises/.test(e.message),
  );
});

Deno.test("local system: a host name Deno may not tell is UNKNOWN_HOST, asked without a prompt", () => {
  const asked: unknown[] = [];
  const denoWith = (state: string) =>
    Object.create(Deno, {
      permissions: {
        value: { querySync: (d: unknown) => (asked.push(d), { state }) },
      },
    });
  assert.equal(systemFor({ Deno: denoWith("prompt") }).hostname(), UNKNOWN_HOST);
  assert.equal(systemFor({ Deno: denoWith("denied") }).hostname(), UNKNOWN_HOST);
  assert.equal(systemFor({ Deno: denoWith("granted") }).hostname(), Deno.hostname());
  assert.deepEqual(asked, Array(3).fill({ name: "sys", kind: "hostname" }));
});

Deno.test("local system: without --allow-run every owner is alive (asked without a prompt); with it, a dead pid is dead", () => {
  const asked: unknown[] = [];
  const denoWith = (state: string) =>
    Object.create(Deno, {
      permissions: { value: { querySync: (d: unknown) => (asked.push(d), { state }) } },
    });
  const dead = 2 ** 22 + 12345; // above Linux's pid_max default: no such process
  assert.equal(systemFor({ Deno: denoWith("prompt") }).isAlive(dead), true);
  assert.equal(systemFor({ Deno: denoWith("granted") }).isAlive(dead), false);
  assert.equal(systemFor({ Deno: denoWith("granted") }).isAlive(Deno.pid), true);
  assert.deepEqual(asked, Array(3).fill({ name: "run" }));
});
