// Hostile and broken archives, built byte by byte and served over real HTTP: every one is
// refused with a typed error naming the member, and nothing is left on disk.
import assert from "node:assert/strict";
import {
  archiveEntries,
  download,
  IntegrityError,
  TinkerError,
  UnsafeArchiveError,
} from "../mod.ts";
import { EntryGuard } from "../src/client/download/entry_guard.ts";
import { DIR_NAME, startFixture, TINKER_PATH } from "./_download_fixture.ts";
import {
  concat,
  gzip,
  header,
  type Member,
  memberBytes,
  noise,
  paxMember,
  streamOf,
  tar,
  TYPE,
} from "./_tar_bytes.ts";

const OK = { name: "ok.txt", body: "fine" };

/** Download `archive` into a fresh directory; return the error and what is left there. */
async function failingDownload(
  archive: Uint8Array,
  opts: { maxBytes?: number; maxEntries?: number; existing?: boolean } = {},
): Promise<{ error: unknown; left: string[]; existingIntact?: boolean }> {
  const fx = startFixture({ archive });
  const out = await Deno.makeTempDir({ prefix: "tinkex-hostile-" });
  try {
    if (opts.existing) {
      await Deno.mkdir(`${out}/${DIR_NAME}`);
      await Deno.writeTextFile(`${out}/${DIR_NAME}/keep.txt`, "keep");
    }
    let error: unknown;
    try {
      await download(fx.config, TINKER_PATH, { outputDir: out, force: opts.existing, ...opts });
    } catch (e) {
      error = e;
    }
    const left = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    const existingIntact = opts.existing
      ? (await Deno.readTextFile(`${out}/${DIR_NAME}/keep.txt`)) === "keep" &&
        [...Deno.readDirSync(`${out}/${DIR_NAME}`)].length === 1
      : undefined;
    return { error, left, existingIntact };
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
}

async function assertUnsafe(
  archive: Uint8Array,
  entry: string,
  reason: RegExp,
  opts: { maxBytes?: number; maxEntries?: number } = {},
): Promise<void> {
  const { error, left } = await failingDownload(archive, opts);
  assert.ok(error instanceof UnsafeArchiveError, `expected UnsafeArchiveError, got ${error}`);
  assert.equal(error.entry, entry);
  assert.match(error.message, reason);
  assert.ok(error.message.includes(JSON.stringify(entry)), error.message);
  assert.deepEqual(left, [], "no destination and no temporary directory");
}

const cases: [string, Member[], string, RegExp][] = [
  ["a `..` path", [OK, { name: "../evil.txt", body: "x" }], "../evil.txt", /'\.\.'/],
  ["a `..` in the middle", [OK, { name: "a/../../evil", body: "x" }], "a/../../evil", /'\.\.'/],
  ["an absolute path", [{ name: "/etc/passwd", body: "x" }], "/etc/passwd", /absolute/],
  ["a drive letter", [{ name: "C:/win.ini", body: "x" }], "C:/win.ini", /drive letter/],
  ["a backslash path", [{ name: "..\\evil", body: "x" }], "..\\evil", /backslash/],
  [
    "a symlink",
    [{ name: "link", type: TYPE.symlink, linkname: "/etc/passwd" }],
    "link",
    /symbolic links/,
  ],
  [
    "a symlink then a file through it",
    [{ name: "d", type: TYPE.symlink, linkname: "/tmp" }, { name: "d/x", body: "x" }],
    "d",
    /symbolic links/,
  ],
  [
    "a hard link",
    [OK, { name: "hard", type: TYPE.link, linkname: "ok.txt" }],
    "hard",
    /hard links/,
  ],
  ["a character device", [{ name: "tty", type: TYPE.char }], "tty", /character devices/],
  ["a block device", [{ name: "sda", type: TYPE.block }], "sda", /block devices/],
  ["a FIFO", [{ name: "pipe", type: TYPE.fifo }], "pipe", /FIFOs/],
  ["a duplicate file", [OK, { name: "./ok.txt", body: "again" }], "./ok.txt", /twice/],
  ["a case-only duplicate", [OK, { name: "OK.txt", body: "x" }], "OK.txt", /clashes/],
  [
    "a file under a file",
    [OK, { name: "ok.txt/inner", body: "x" }],
    "ok.txt/inner",
    /clashes with the file "ok.txt"/,
  ],
  [
    "a directory over a file",
    [OK, { name: "ok.txt/", type: TYPE.directory }],
    "ok.txt/",
    /clashes/,
  ],
  [
    "a ustar prefix that escapes",
    [{ name: "evil.txt", prefix: "..", body: "x" }],
    "../evil.txt",
    /'\.\.'/,
  ],
];

for (const [what, members, entry, reason] of cases) {
  Deno.test(`hostile archive: ${what} is refused`, async () => {
    await assertUnsafe(tar(members), entry, reason);
  });
}

Deno.test("hostile archive: a PAX path that escapes is refused (PAX overrides the name)", async () => {
  const archive = tar([OK, paxMember({ path: "../../pax-evil" }), { name: "innocent", body: "x" }]);
  await assertUnsafe(archive, "../../pax-evil", /'\.\.'/);
});

Deno.test("hostile archive: a GNU long name that escapes is refused", async () => {
  const long = "../" + "a".repeat(150);
  const archive = tar([
    { name: "././@LongLink", type: TYPE.gnuLongName, body: long + "\0" },
    { name: "short", body: "x" },
  ]);
  await assertUnsafe(archive, long, /'\.\.'/);
});

Deno.test("hostile archive: too many entries (maxEntries)", async () => {
  const members = Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, body: "x" }));
  await assertUnsafe(tar(members), "f5", /more than 5 entries/, { maxEntries: 5 });
});

Deno.test("hostile archive: the directories paths imply count as entries, and so do roots", async () => {
  // a/b/c/f creates a, a/b and a/b/c too: 4 entries.
  await assertUnsafe(tar([{ name: "a/b/c/f", body: "x" }]), "a/b/c/f", /more than 3 entries/, {
    maxEntries: 3,
  });
  const within = new EntryGuard({ maxEntries: 4 });
  assert.equal(within.check({ name: "a/b/c/f", size: 1, type: "file" })?.path, "a/b/c/f");
  // An endless run of root entries (`./`, nothing to create) is an endless archive.
  const roots = Array.from({ length: 20 }, () => ({ name: "./", type: TYPE.directory }));
  await assertUnsafe(tar(roots), "./", /more than 10 entries/, { maxEntries: 10 });
});

Deno.test("hostile archive: a path of 64,000 parts is refused at once, its message kept short", async () => {
  // 130 KB of PAX: within the header budget, but each part's prefixes once cost memory squared.
  const deep = "a/".repeat(64_000) + "f";
  const { error, left } = await failingDownload(tar([paxMember({ path: deep }), OK]));
  assert.ok(error instanceof UnsafeArchiveError, String(error));
  assert.equal(error.entry, deep);
  assert.match(error.message, /its path is 128001 bytes long, longer than file systems allow/);
  assert.ok(error.message.length < 500, `a ${error.message.length}-character message`);
  assert.deepEqual(left, []);
});

Deno.test("hostile archive: too many bytes (maxBytes)", async () => {
  const archive = tar([OK, { name: "big.bin", body: noise(2_000_000) }]);
  await assertUnsafe(archive, "big.bin", /more than 1000000 bytes/, { maxBytes: 1_000_000 });
});

/** A source that sends `head` and then nothing more, counting how much was read. */
function openEnded(head: Uint8Array): { stream: ReadableStream<Uint8Array>; cancelled(): boolean } {
  let sent = false;
  let cancelled = false;
  return {
    stream: new ReadableStream({
      pull(c) {
        if (!sent) c.enqueue(head);
        sent = true;
        return new Promise(() => {}); // the rest "is still downloading"
      },
      cancel() {
        cancelled = true;
      },
    }),
    cancelled: () => cancelled,
  };
}

Deno.test("limits are checked on the header, before a member's data arrives", async () => {
  // 1 GiB declared, nothing sent: refused at once, and the source is cancelled.
  const src = openEnded(concat([memberBytes(OK), header({ name: "bomb.bin", size: 1024 ** 3 })]));
  await assert.rejects(
    (async () => {
      for await (const e of archiveEntries(src.stream, { maxBytes: 1_000_000 })) {
        await e.body.cancel();
      }
    })(),
    (e: unknown) => e instanceof UnsafeArchiveError && e.entry === "bomb.bin",
  );
  assert.equal(src.cancelled(), true);
});

Deno.test("the default limits are 64 GiB and 100 000 entries", async () => {
  const huge = openEnded(concat([
    paxMember({ size: String(64 * 1024 ** 3 + 1) }), // sizes over 8 GiB travel in PAX
    header({ name: "huge", size: 0 }),
  ]));
  await assert.rejects(
    (async () => {
      for await (const _ of archiveEntries(huge.stream)) { /* refused before */ }
    })(),
    (e: unknown) =>
      e instanceof UnsafeArchiveError && e.entry === "huge" && /68719476736 bytes/.test(e.message),
  );
  // The entry limit, checked on the guard itself (an archive of 100 001 members is slow to build).
  const guard = new EntryGuard();
  let count = 0;
  assert.throws(
    () => {
      for (let i = 0; i <= 100_000; i++) {
        guard.check({ name: `d${i}/`, size: 0, type: "directory" });
        count++;
      }
    },
    (e: unknown) => e instanceof UnsafeArchiveError && e.entry === "d100000/",
  );
  assert.equal(count, 100_000);
});

Deno.test("a refused archive leaves an existing destination untouched (force)", async () => {
  const { error, left, existingIntact } = await failingDownload(
    tar([OK, { name: "../evil", body: "x" }]),
    { existing: true },
  );
  assert.ok(error instanceof UnsafeArchiveError);
  assert.deepEqual(left, [DIR_NAME]);
  assert.equal(existingIntact, true);
});

const full = tar([OK, { name: "data.bin", body: noise(5000) }]);
const broken: [string, Uint8Array][] = [
  ["truncated in a member body", full.subarray(0, 512 + 512 + 512 + 1000)],
  ["truncated between members", full.subarray(0, 1024)],
  ["missing the end-of-archive marker", full.subarray(0, full.length - 1024)],
  ["with only half of the end marker", full.subarray(0, full.length - 512)],
  [
    "a member declaring more than the archive holds",
    concat([header({ name: "x", size: 4096 }), new Uint8Array(512)]),
  ],
  [
    "a corrupted header checksum",
    (() => {
      const b = full.slice();
      b[10] ^= 0x20; // flip a name byte of the first header
      return b;
    })(),
  ],
  ["garbage after the end marker", concat([full, noise(512, 3)])],
  ["not a tar at all", noise(4096, 5)],
];

for (const [what, archive] of broken) {
  Deno.test(`broken archive: ${what} → IntegrityError, nothing left`, async () => {
    const { error, left } = await failingDownload(archive);
    assert.ok(error instanceof IntegrityError, `expected IntegrityError, got ${error}`);
    assert.match(error.message, /download it again/);
    assert.deepEqual(left, []);
  });
}

Deno.test("broken archive: a truncated gzip stream → IntegrityError", async () => {
  const gz = await gzip(full);
  const { error, left } = await failingDownload(gz.subarray(0, gz.length - 20));
  assert.ok(error instanceof IntegrityError, `expected IntegrityError, got ${error}`);
  assert.deepEqual(left, []);
});

Deno.test("archiveEntries: directories and ./ are fine; paths come out normalized", async () => {
  const archive = tar([
    { name: "./", type: TYPE.directory },
    { name: "a/", type: TYPE.directory },
    { name: "a//b/./c.txt", body: "c" },
    { name: "a/b/", type: TYPE.directory }, // implied earlier, listed later: fine
    { name: "empty" },
  ]);
  const seen: [string, string, number, string][] = [];
  for await (const e of archiveEntries(streamOf(archive))) {
    seen.push([e.path, e.type, e.size, await new Response(e.body).text()]);
  }
  assert.deepEqual(seen, [
    ["a", "directory", 0, ""],
    ["a/b/c.txt", "file", 1, "c"],
    ["a/b", "directory", 0, ""],
    ["empty", "file", 0, ""],
  ]);
});

Deno.test("archiveEntries: an unread body is skipped; leaving early cancels the source", async () => {
  const archive = tar([
    { name: "one", body: noise(3000) },
    { name: "two", body: "second" },
    { name: "three", body: "third" },
  ]);
  let cancelled = false;
  let sent = false;
  const source = new ReadableStream<Uint8Array>({
    pull(c) {
      if (!sent) c.enqueue(archive);
      sent = true;
    },
    cancel() {
      cancelled = true;
    },
  });
  const names: string[] = [];
  for await (const e of archiveEntries(source)) {
    names.push(e.path);
    if (e.path === "two") {
      assert.equal(await new Response(e.body).text(), "second");
      break;
    }
  }
  assert.deepEqual(names, ["one", "two"]);
  assert.equal(cancelled, true);
});

Deno.test("archiveEntries: a body read after the next entry was requested fails, not hangs", async () => {
  const archive = tar([{ name: "one", body: noise(3000) }, { name: "two", body: "x" }]);
  const bodies: ReadableStream<Uint8Array>[] = [];
  for await (const e of archiveEntries(streamOf(archive))) bodies.push(e.body);
  await assert.rejects(new Response(bodies[0]).arrayBuffer(), TinkerError);
});

Deno.test("archiveEntries: zero padding after the end marker (GNU tar records) is fine", async () => {
  const archive = tar([{ name: "a.txt", body: "a" }]);
  const record = concat([archive, new Uint8Array(10_240 - archive.length)]);
  const names: string[] = [];
  for await (const e of archiveEntries(streamOf(record, 700))) {
    names.push(e.path);
    await e.body.cancel();
  }
  assert.deepEqual(names, ["a.txt"]);
});
