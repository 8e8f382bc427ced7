// archiveEntries under the ways consumers really use it: a body read still pending when the next
// entry is asked for (a read raced against a timeout, then abandoned). The decoder is fed by
// whoever waits on it, one piece at a time: two waiting at once must not split the source.
import assert from "node:assert/strict";
import { archiveEntries } from "../mod.ts";
import { noise, tar } from "./_tar_bytes.ts";

/** `bytes` in chunks of the given sizes (the last repeated), each a little later than the last. */
function chunked(bytes: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      await new Promise((r) => setTimeout(r, 2));
      if (at >= bytes.length) return c.close();
      const n = sizes[Math.min(i++, sizes.length - 1)];
      c.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  }, { highWaterMark: 0 });
}

Deno.test("archiveEntries: a body read left pending loses no member and no byte", async () => {
  const bodies = [noise(100, 1), noise(3000, 2), noise(5000, 3)];
  const archive = tar(bodies.map((body, i) => ({ name: `${"abc"[i]}.bin`, body })));
  // a's header | a's padded body, b's header and body | the rest: the chunk a pending read of
  // a's body and the wait for b's header would both ask the source for.
  const source = chunked(archive, [512, 512 + 512 + 3072, 1 << 20]);
  const seen: [string, Uint8Array | undefined][] = [];
  for await (const e of archiveEntries(source)) {
    if (e.path === "a.bin") {
      e.body.getReader().read().catch(() => {}); // started, then abandoned
      seen.push([e.path, undefined]);
      continue;
    }
    seen.push([e.path, new Uint8Array(await new Response(e.body).arrayBuffer())]);
  }
  assert.deepEqual(seen.map(([p]) => p), ["a.bin", "b.bin", "c.bin"]);
  assert.deepEqual(seen[1][1], bodies[1]);
  assert.deepEqual(seen[2][1], bodies[2]);
});
