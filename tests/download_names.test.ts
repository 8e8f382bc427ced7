// Names the file system cannot hold: destination names over 255 bytes are shortened
// deterministically (readable prefix + hash); member names too long for the file system give an
// UnsafeArchiveError naming the entry, with nothing left behind.
import assert from "node:assert/strict";
import { download, downloadDirName, UnsafeArchiveError } from "../mod.ts";
import { startFixture } from "./_download_fixture.ts";
import { paxMember, tar } from "./_tar_bytes.ts";

const ARCHIVE = tar([{ name: "adapter_config.json", body: "{}" }]);
const bytes = (s: string) => new TextEncoder().encode(s).length;

async function downloadIn(
  out: string,
  path: string,
  archive = ARCHIVE,
  force = false,
): Promise<string> {
  const fx = startFixture({ archive });
  try {
    return (await download(fx.config, path, { outputDir: out, force })).destination;
  } finally {
    await fx.close();
  }
}

async function withDir(fn: (out: string) => Promise<void>): Promise<void> {
  const out = await Deno.makeTempDir({ prefix: "tinkex-names-" });
  try {
    await fn(out);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

Deno.test("a 200-character checkpoint name downloads under its own name", async () => {
  await withDir(async (out) => {
    const path = `tinker://sess-1:train:0/weights/${"a".repeat(200)}`;
    const dest = await downloadIn(out, path);
    assert.equal(dest, `${out}/${downloadDirName(path)}`);
    assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name), [downloadDirName(path)]);
  });
});

Deno.test("a name over 255 bytes (120 × é) is shortened: prefix + hash, deterministic", async () => {
  await withDir(async (out) => {
    const path = `tinker://sess-1:train:0/weights/${"é".repeat(120)}`;
    const full = downloadDirName(path);
    assert.ok(bytes(full) > 255);
    const dest = await downloadIn(out, path);
    const name = dest.slice(out.length + 1);
    assert.ok(bytes(name) <= 255, `${bytes(name)} bytes`);
    assert.match(name, /^sess-1:train:0_weights_é+-[0-9a-f]{12}$/);
    assert.equal(await Deno.readTextFile(`${dest}/adapter_config.json`), "{}");
    // The same name gives the same directory (so force replaces it); another gives another.
    assert.equal(await downloadIn(out, path, ARCHIVE, true), dest);
    const other = await downloadIn(out, `tinker://sess-1:train:0/weights/${"é".repeat(121)}`);
    assert.notEqual(other, dest);
    assert.equal([...Deno.readDirSync(out)].length, 2, "no temporary directory left");
  });
});

Deno.test("a member whose name part exceeds 255 bytes is refused, naming it", async () => {
  await withDir(async (out) => {
    const long = `dir/${"n".repeat(300)}.bin`;
    const fx = startFixture({
      archive: tar([paxMember({ path: long }), { name: "x", body: "1" }]),
    });
    try {
      await assert.rejects(
        download(fx.config, "tinker://sess-1:train:0/weights/c", { outputDir: out }),
        (e: unknown) =>
          e instanceof UnsafeArchiveError && e.entry === long && /255/.test(e.message),
      );
    } finally {
      await fx.close();
    }
    assert.deepEqual([...Deno.readDirSync(out)], []);
  });
});

Deno.test("a member path longer than the file system allows → UnsafeArchiveError", async () => {
  await withDir(async (out) => {
    const deep = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(250, "d")).join("/") + "/f";
    const fx = startFixture({
      archive: tar([paxMember({ path: deep }), { name: "x", body: "1" }]),
    });
    try {
      await assert.rejects(
        download(fx.config, "tinker://sess-1:train:0/weights/c", { outputDir: out }),
        (e: unknown) =>
          e instanceof UnsafeArchiveError && e.entry === deep && /too long|longer/.test(e.message),
      );
    } finally {
      await fx.close();
    }
    assert.deepEqual([...Deno.readDirSync(out)], []);
  });
});
