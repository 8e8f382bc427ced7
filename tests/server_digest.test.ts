// The signed object route sends the archive's RFC 9530 Repr-Digest (SHA-256 of the whole
// archive), on full and partial answers alike. It is computed while the archive is written and
// stored beside it (`digests/<object id>.json`, valid only for the file version it names), so
// it is sent at once, after restarts too; an archive without one (an older data directory) gets
// it computed once and stored; start-up removes digest files whose archive is not kept.
import assert from "node:assert/strict";
import {
  api,
  archiveUrl,
  ckptPath,
  createModel,
  save,
  withServer,
  withTempDir,
} from "./_server_helpers.ts";
import type { RunningServer } from "../server.ts";

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return btoa(String.fromCharCode(...digest));
}

/** The object id in a signed archive URL (`…/archives/<id>.tar?…`). */
function objectIdOf(url: string): string {
  return /\/archives\/([0-9a-f-]{36})\.tar\?/.exec(url)![1];
}

/** A saved checkpoint: its tinker path, signed URL and object id. */
async function saved(s: RunningServer, name = "0001") {
  const { modelId } = await createModel(s, { baseModel: "Qwen/Qwen3-8B", rank: 4 });
  const path = (await save(s, modelId, name)).body.path;
  const url = await archiveUrl(s, path);
  return { path, url, objectId: objectIdOf(url) };
}

function digestFile(dataDir: string, objectId: string): string {
  return `${dataDir}/digests/${objectId}.json`;
}

function readDigestFile(dataDir: string, objectId: string) {
  return JSON.parse(Deno.readTextFileSync(digestFile(dataDir, objectId)));
}

/** GET `url` in full: the Repr-Digest header and the SHA-256 of the bytes received. */
async function download(url: string): Promise<{ header: string | null; sha: string }> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { header: res.headers.get("repr-digest"), sha: await sha256(bytes) };
}

Deno.test("server: the archive carries Repr-Digest: sha-256 of the whole archive, also on 206", async () => {
  await withServer({}, async (s) => {
    const { url } = await saved(s);
    const full = await download(url);
    assert.equal(full.header, `sha-256=:${full.sha}:`);
    const part = await fetch(url, { headers: { range: "bytes=10-99" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("repr-digest"), `sha-256=:${full.sha}:`);
    await part.body?.cancel();
    const head = await fetch(url, { method: "HEAD" });
    assert.equal(head.headers.get("repr-digest"), `sha-256=:${full.sha}:`);
  });
});

Deno.test("server: the digest is stored when the archive is built, before any download", async () => {
  await withTempDir((dataDir) =>
    withServer({ dataDir }, async (s) => {
      const { url, objectId } = await saved(s);
      // Right after the save, before any GET: the digest file names the archive as on disk.
      const archive = Deno.readFileSync(`${dataDir}/objects/${objectId}.tar`);
      const info = Deno.statSync(`${dataDir}/objects/${objectId}.tar`);
      const stored = readDigestFile(dataDir, objectId);
      assert.deepEqual(stored, {
        sha256: await sha256(archive),
        size: archive.length,
        mtime_ms: Math.trunc(info.mtime!.getTime()),
      });
      assert.equal(Deno.statSync(digestFile(dataDir, objectId)).mode! & 0o777, 0o600);
      // The very first GET sends it, and it is the SHA-256 of the bytes received.
      const first = await download(url);
      assert.equal(first.header, `sha-256=:${first.sha}:`);
      assert.equal(first.sha, stored.sha256);
    })
  );
});

Deno.test("server: after a restart the stored digest is sent as stored (no rehash), for its version only", async () => {
  await withTempDir(async (dataDir) => {
    const { path, objectId, sha } = await withServer({ dataDir }, async (s) => {
      const at = await saved(s);
      return { ...at, sha: (await download(at.url)).sha };
    });
    const file = digestFile(dataDir, objectId);
    const stored = readDigestFile(dataDir, objectId);
    // A different digest for the same file version: served as is, so nothing hashed the file.
    const planted = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
    Deno.writeTextFileSync(file, JSON.stringify({ ...stored, sha256: planted }));
    await withServer({ dataDir }, async (s) => {
      const url = await archiveUrl(s, path);
      assert.equal((await download(url)).header, `sha-256=:${planted}:`);
    });
    // The same planted digest for another version (size or mtime): never served; the real one
    // is computed and stored in its place.
    for (const other of [{ size: stored.size + 1 }, { mtime_ms: stored.mtime_ms - 1000 }]) {
      Deno.writeTextFileSync(file, JSON.stringify({ ...stored, sha256: planted, ...other }));
      await withServer({ dataDir }, async (s) => {
        const res = await download(await archiveUrl(s, path));
        assert.equal(res.header, `sha-256=:${sha}:`);
        assert.equal(res.sha, sha);
      });
      assert.deepEqual(readDigestFile(dataDir, objectId), stored);
    }
    // Not JSON at all: the same.
    Deno.writeTextFileSync(file, "{half");
    await withServer({ dataDir }, async (s) => {
      assert.equal((await download(await archiveUrl(s, path))).header, `sha-256=:${sha}:`);
    });
    assert.deepEqual(readDigestFile(dataDir, objectId), stored);
  });
});

Deno.test("server: an older data directory (no stored digests) gets a correct digest, computed once and stored", async () => {
  await withTempDir(async (dataDir) => {
    const { path, objectId } = await withServer({ dataDir }, (s) => saved(s));
    const stored = readDigestFile(dataDir, objectId);
    // As an older server left it: no digests directory at all.
    Deno.removeSync(`${dataDir}/digests`, { recursive: true });
    await withServer({ dataDir }, async (s) => {
      assert.deepEqual(s.startup.reclaimed, { objects: 0, tempFiles: 0, bytes: 0 });
      const url = await archiveUrl(s, path);
      const [a, b] = await Promise.all([download(url), download(url)]);
      assert.equal(a.header, `sha-256=:${a.sha}:`);
      assert.equal(b.header, a.header);
      assert.deepEqual(readDigestFile(dataDir, objectId), stored, "stored for the next process");
    });
    // The next process sends what was stored (planted again to tell it from a rehash).
    const planted = btoa(String.fromCharCode(...new Uint8Array(32).fill(9)));
    Deno.writeTextFileSync(
      digestFile(dataDir, objectId),
      JSON.stringify({ ...stored, sha256: planted }),
    );
    await withServer({ dataDir }, async (s) => {
      assert.equal((await download(await archiveUrl(s, path))).header, `sha-256=:${planted}:`);
    });
  });
});

Deno.test("server: a copy_weights copy carries its source's digest; a delete removes the digest", async () => {
  await withTempDir((dataDir) =>
    withServer({ dataDir }, async (s) => {
      const { sessionId, modelId } = await createModel(s);
      const source = (await save(s, modelId, "src")).body.path;
      const sourceId = objectIdOf(await archiveUrl(s, source));
      const copied = await api(s, "POST", "/api/v1/copy_weights", {
        body: { session_id: sessionId, model_seq_id: 1, source_path: source },
      });
      assert.equal(copied.status, 200, copied.text);
      const copyUrl = await archiveUrl(s, copied.body.tinker_path);
      const copyId = objectIdOf(copyUrl);
      assert.deepEqual(readDigestFile(dataDir, copyId), readDigestFile(dataDir, sourceId));
      const res = await download(copyUrl);
      assert.equal(res.header, `sha-256=:${res.sha}:`);
      assert.equal((await api(s, "DELETE", ckptPath(source))).status, 200);
      assert.deepEqual([...Deno.readDirSync(`${dataDir}/digests`)].map((e) => e.name), [
        `${copyId}.json`,
      ]);
      assert.equal((await download(copyUrl)).header, res.header, "the copy keeps its digest");
    })
  );
});

Deno.test("start-up: a digest file without its archive goes; an archive without its digest stays and gets one", async () => {
  await withTempDir(async (dataDir) => {
    const { path, objectId, sha } = await withServer({ dataDir }, async (s) => {
      const at = await saved(s);
      return { ...at, sha: (await download(at.url)).sha };
    });
    const archive = Deno.readFileSync(`${dataDir}/objects/${objectId}.tar`);
    const digest = Deno.readFileSync(digestFile(dataDir, objectId));
    // What a crash can leave: a build that stored its digest but never renamed its archive in;
    // an orphaned archive with its digest (a save that never wrote its record); an archive
    // whose digest file is missing (renamed in by an older server, or lost).
    const unfinished = crypto.randomUUID();
    Deno.writeFileSync(digestFile(dataDir, unfinished), digest);
    const orphan = crypto.randomUUID();
    Deno.writeFileSync(`${dataDir}/objects/${orphan}.tar`, archive);
    Deno.writeFileSync(digestFile(dataDir, orphan), digest);
    Deno.removeSync(digestFile(dataDir, objectId));
    await withServer({ dataDir }, async (s) => {
      assert.deepEqual(s.startup.reclaimed, {
        objects: 1,
        tempFiles: 1,
        bytes: archive.length + 2 * digest.length,
      });
      assert.deepEqual([...Deno.readDirSync(`${dataDir}/objects`)].map((e) => e.name), [
        `${objectId}.tar`,
      ]);
      assert.deepEqual([...Deno.readDirSync(`${dataDir}/digests`)], []);
      const res = await download(await archiveUrl(s, path));
      assert.equal(res.header, `sha-256=:${sha}:`);
      assert.equal(res.sha, sha);
      assert.equal(readDigestFile(dataDir, objectId).sha256, sha);
    });
    // A digest file of a referenced checkpoint whose archive is missing goes too (a rebuild
    // writes its own).
    Deno.removeSync(`${dataDir}/objects/${objectId}.tar`);
    await withServer({ dataDir }, (s) => {
      assert.deepEqual(s.startup.reclaimed, { objects: 0, tempFiles: 1, bytes: digest.length });
      assert.deepEqual([...Deno.readDirSync(`${dataDir}/digests`)], []);
      return Promise.resolve();
    });
  });
});

Deno.test("server: an archive built again (its file gone, its record kept) has another ETag: a resume against the old one gets the whole new archive", async () => {
  await withTempDir((dataDir) =>
    withServer({ dataDir }, async (s) => {
      const { url, objectId } = await saved(s);
      const first = await fetch(url, { method: "HEAD" });
      const etag = first.headers.get("etag")!;
      // As a delete on a full disk that freed the archive before failing leaves it.
      Deno.removeSync(`${dataDir}/objects/${objectId}.tar`);
      Deno.removeSync(digestFile(dataDir, objectId));
      await new Promise((r) => setTimeout(r, 5)); // another millisecond: another file version
      const resumed = await fetch(url, { headers: { range: "bytes=1000-", "if-range": etag } });
      assert.equal(resumed.status, 200, "not a 206 of other bytes");
      assert.notEqual(resumed.headers.get("etag"), etag);
      const bytes = new Uint8Array(await resumed.arrayBuffer());
      assert.equal(resumed.headers.get("repr-digest"), `sha-256=:${await sha256(bytes)}:`);
    })
  );
});
