// The signed object route sends the archive's RFC 9530 Repr-Digest (SHA-256 of the whole
// archive), on full and partial answers alike.
import assert from "node:assert/strict";
import { archiveUrl, createModel, save, withServer } from "./_server_helpers.ts";

Deno.test("server: the archive carries Repr-Digest: sha-256 of the whole archive, also on 206", async () => {
  await withServer({}, async (s) => {
    const { modelId } = await createModel(s, { baseModel: "Qwen/Qwen3-8B", rank: 4 });
    const path = (await save(s, modelId, "0001")).body.path;
    const url = await archiveUrl(s, path);
    const full = await fetch(url);
    const bytes = new Uint8Array(await full.arrayBuffer());
    const sha = btoa(
      String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))),
    );
    assert.equal(full.headers.get("repr-digest"), `sha-256=:${sha}:`);
    const part = await fetch(url, { headers: { range: "bytes=10-99" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("repr-digest"), `sha-256=:${sha}:`);
    await part.body?.cancel();
  });
});
