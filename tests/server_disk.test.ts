// The data directory on disk: private modes (0700 / 0600) with a warning for looser ones,
// start-up reclaiming what crashes leave, and a full disk (a real tmpfs, as root): a 507 that
// says so and is not retried, a delete that still frees space, and no partial record.
import assert from "node:assert/strict";
import process from "node:process";
import { createHandler } from "../server.ts";
import {
  ALICE,
  api,
  archiveUrl,
  assertError,
  ckptPath,
  createModel,
  runFuture,
  save,
  withServer,
  withTempDir,
} from "./_server_helpers.ts";
import { seedCheckpoints } from "../server.ts";

function modeOf(path: string): number {
  return Deno.statSync(path).mode! & 0o777;
}

function allEntries(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}/${e.name}`;
    out.push(path);
    if (e.isDirectory) out.push(...allEntries(path));
  }
  return out;
}

Deno.test("data dir: created 0700 with 0600 files even under umask 022; no warning", async () => {
  await withTempDir(async (parent) => {
    const before = process.umask(0o022);
    try {
      const dataDir = `${parent}/fresh/data`;
      await withServer({ dataDir, seed: true }, async (s) => {
        assert.deepEqual(s.startup.warnings, []);
        const { modelId } = await createModel(s);
        await save(s, modelId, "mine");
        const url = await archiveUrl(s, (await save(s, modelId, "two", { seq: 2 })).body.path);
        await (await fetch(url)).body?.cancel();
      });
      assert.equal(modeOf(dataDir), 0o700);
      const entries = allEntries(dataDir);
      assert.ok(entries.some((p) => p.endsWith("secret.key")));
      assert.ok(entries.some((p) => p.endsWith(".tar")));
      assert.ok(entries.some((p) => p.includes("/runs/")));
      for (const path of entries) {
        const want = Deno.statSync(path).isDirectory ? 0o700 : 0o600;
        assert.equal(modeOf(path).toString(8), want.toString(8), path);
      }
    } finally {
      process.umask(before);
    }
  });
});

Deno.test("data dir: an existing directory open to others is warned about at start-up", async () => {
  await withTempDir(async (dataDir) => {
    await withServer({ dataDir }, () => Promise.resolve());
    Deno.chmodSync(dataDir, 0o755);
    Deno.chmodSync(`${dataDir}/secret.key`, 0o644);
    const handler = await createHandler({ dataDir });
    try {
      assert.equal(handler.startup.warnings.length, 1);
      const [warning] = handler.startup.warnings;
      assert.match(warning, /open to other local users/);
      assert.ok(warning.includes(`755 on ${dataDir}`), warning);
      assert.ok(warning.includes(`644 on ${dataDir}/secret.key`), warning);
      assert.ok(warning.includes(`chmod -R go-rwx ${dataDir}`), warning);
    } finally {
      await handler.close();
    }
    Deno.chmodSync(dataDir, 0o700);
    Deno.chmodSync(`${dataDir}/secret.key`, 0o600);
    const fixed = await createHandler({ dataDir });
    assert.deepEqual(fixed.startup.warnings, []);
    await fixed.close();
  });
});

Deno.test("start-up reclaims orphaned archives and temp files, and says how much", async () => {
  await withTempDir(async (dataDir) => {
    const kept = await withServer({ dataDir }, async (s) => {
      const { modelId } = await createModel(s);
      const path = (await save(s, modelId, "kept")).body.path;
      return { path, objects: [...Deno.readDirSync(`${dataDir}/objects`)].map((e) => e.name) };
    });
    assert.equal(kept.objects.length, 1);
    const archive = Deno.readFileSync(`${dataDir}/objects/${kept.objects[0]}`);
    // What a crash leaves: an archive written before its record, temp files of writes.
    Deno.writeFileSync(`${dataDir}/objects/${crypto.randomUUID()}.tar`, archive);
    Deno.writeFileSync(`${dataDir}/objects/${crypto.randomUUID()}.tar`, archive.subarray(0, 999));
    Deno.writeTextFileSync(`${dataDir}/tmp/write.x.1.${crypto.randomUUID()}`, "");
    Deno.writeTextFileSync(`${dataDir}/tmp/archive.x.2.${crypto.randomUUID()}`, "half");
    // An external checkpoint's files written before its record; a copy's directory in the making.
    const external = `${dataDir}/objects/${crypto.randomUUID()}`;
    Deno.mkdirSync(`${external}/tokenizer`, { recursive: true });
    Deno.writeTextFileSync(`${external}/config.json`, "{}");
    Deno.writeFileSync(`${external}/tokenizer/tokenizer_config.json`, archive.subarray(0, 500));
    Deno.mkdirSync(`${dataDir}/tmp/copy.3.${crypto.randomUUID()}`);
    await withServer({ dataDir }, async (s) => {
      assert.deepEqual(s.startup.reclaimed, {
        objects: 3,
        tempFiles: 3,
        bytes: archive.length + 999 + 4 + 2 + 500,
      });
      assert.deepEqual(
        [...Deno.readDirSync(`${dataDir}/objects`)].map((e) => e.name),
        kept.objects,
      );
      assert.deepEqual([...Deno.readDirSync(`${dataDir}/tmp`)], []);
      const res = await fetch(await archiveUrl(s, kept.path));
      assert.deepEqual(
        new Uint8Array(await res.arrayBuffer()),
        archive,
        "the referenced one stays",
      );
    });
    const again = await createHandler({ dataDir });
    assert.deepEqual(again.startup.reclaimed, { objects: 0, tempFiles: 0, bytes: 0 });
    await again.close();
  });
});

/** Mount a small tmpfs for `fn`, or say why not (not root, no mount permission). */
async function withTmpfs(sizeKiB: number, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tinkex-tmpfs-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${sizeKiB}k,mode=0700`, "tmpfs", dir],
    stdout: "null",
    stderr: "piped",
  }).output().catch((e) => ({ success: false, stderr: new TextEncoder().encode(String(e)) }));
  if (!mount.success) {
    await Deno.remove(dir);
    console.log(
      `skipped: cannot mount a tmpfs here (${
        new TextDecoder().decode(mount.stderr).trim()
      }); the disk-full test needs root`,
    );
    return;
  }
  try {
    await fn(dir);
  } finally {
    await new Deno.Command("umount", { args: [dir] }).output();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Fill the file system of `dir` with one file until the disk says it is full. */
function fillDisk(dir: string): string {
  const filler = `${dir}/filler`;
  const file = Deno.openSync(filler, { write: true, create: true });
  const chunk = new Uint8Array(4096);
  try {
    for (;;) file.writeSync(chunk);
  } catch (e) {
    assert.match(String(e), /No space left|ENOSPC|os error 28/, String(e));
  } finally {
    file.close();
  }
  return filler;
}

Deno.test({
  name: "disk full: 507 with x-should-retry: false; a delete still frees space; no partial record",
  ignore: Deno.build.os !== "linux",
  fn: () =>
    withTmpfs(2048, async (mountDir) => {
      const dataDir = `${mountDir}/data`;
      await withServer({ dataDir }, async (s) => {
        const { modelId, sessionId } = await createModel(s);
        const keep = (await save(s, modelId, "keep")).body.path;
        const drop = (await save(s, modelId, "drop", { seq: 2 })).body.path;
        const { tinkerPaths: [lazy] } = await seedCheckpoints(s.handler, {
          userKey: ALICE,
          count: 1,
          runId: modelId,
        });
        const before = (await api(s, "GET", "/api/v1/checkpoints")).body;
        // An archive without a stored digest (as an older server built it): computed on a full
        // disk too, though it cannot be stored.
        const keepUrl = await archiveUrl(s, keep);
        const keepId = /\/archives\/([0-9a-f-]{36})\.tar/.exec(keepUrl)![1];
        Deno.removeSync(`${dataDir}/digests/${keepId}.json`);
        const objectsAtFull = [...Deno.readDirSync(`${dataDir}/objects`)].map((e) => e.name).sort();
        const digestsAtFull = [...Deno.readDirSync(`${dataDir}/digests`)].map((e) => e.name).sort();
        fillDisk(mountDir);
        const served = await fetch(keepUrl);
        const bytes = new Uint8Array(await served.arrayBuffer());
        const sha = btoa(
          String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))),
        );
        assert.equal(served.status, 200);
        assert.equal(served.headers.get("repr-digest"), `sha-256=:${sha}:`);

        const full = (res: Awaited<ReturnType<typeof api>>) => {
          assertError(res, 507, /disk is full \(no space left on device\)/);
          assert.equal(res.headers.get("x-should-retry"), "false");
          assert.ok(!res.text.includes(dataDir));
        };
        full(await api(s, "PUT", ckptPath(keep, "/ttl"), { body: { ttl_seconds: 7200 } }));
        full(await api(s, "POST", ckptPath(keep, "/publish")));
        full(await api(s, "POST", "/api/v1/create_session", { body: {} }));
        full(await api(s, "GET", ckptPath(lazy, "/archive"))); // its archive is built on demand
        const failedSave = await save(s, modelId, "more", { seq: 3 });
        assert.match(failedSave.body.error, /disk is full/);
        const failedExport = await runFuture(s, "/api/v1/save_weights_external", {
          model_id: modelId,
          path: "hf",
          seq_id: 4,
          type: "save_weights_external",
        });
        assert.match(failedExport.body.error, /disk is full/);
        full(
          await api(s, "POST", "/api/v1/copy_weights", {
            body: { session_id: sessionId, model_seq_id: 7, source_path: keep },
          }),
        );
        // Nothing half-done: records as before, no temp file or stray object left behind.
        assert.deepEqual((await api(s, "GET", "/api/v1/checkpoints")).body, before);
        assert.deepEqual([...Deno.readDirSync(`${dataDir}/tmp`)], []);
        assert.deepEqual(
          [...Deno.readDirSync(`${dataDir}/objects`)].map((e) => e.name).sort(),
          objectsAtFull,
        );
        assert.deepEqual(
          [...Deno.readDirSync(`${dataDir}/digests`)].map((e) => e.name).sort(),
          digestsAtFull,
        );

        // A delete needs no room: it frees its archive, and the space is usable again.
        const objectsBefore = [...Deno.readDirSync(`${dataDir}/objects`)].length;
        const deleted = await api(s, "DELETE", ckptPath(drop));
        assert.equal(deleted.status, 200, deleted.text);
        assert.equal([...Deno.readDirSync(`${dataDir}/objects`)].length, objectsBefore - 1);
        assert.equal([...Deno.readDirSync(`${dataDir}/digests`)].length, digestsAtFull.length - 1);
        assertError(await api(s, "GET", ckptPath(drop)), 404);
        const ttl = await api(s, "PUT", ckptPath(keep, "/ttl"), { body: { ttl_seconds: 7200 } });
        assert.equal(ttl.status, 200, "the freed space serves the next write");
        const download = await fetch(await archiveUrl(s, keep));
        assert.equal(download.status, 200);
        await download.body?.cancel();
      });
      // Persisted as answered: the deleted one is gone, the kept one has its TTL.
      await withServer({ dataDir }, async (s) => {
        const list = (await api(s, "GET", "/api/v1/checkpoints")).body.checkpoints;
        const names = list.map((c: { checkpoint_id: string }) => c.checkpoint_id).sort();
        assert.ok(names.includes("weights/keep") && !names.includes("weights/drop"), names);
        assert.notEqual(
          list.find((c: { checkpoint_id: string }) => c.checkpoint_id === "weights/keep")
            .expires_at,
          null,
        );
      });
    }),
});
