/**
 * One stage of the download pipeline alone, in its own process, to see which stage limits
 * `download()`. Prints `{ "ms": n, "bytes": n }`.
 *
 * Stages: `fetch` (fetch the signed URL, discard the body), `stream` (openArchiveStream,
 * discard), `entries` (openArchiveStream → archiveEntries, discard: tar decode without disk),
 * `write` (fetch → one file on disk through one reused buffer, no tar decode).
 * @module
 */
import { archiveEntries, configFromEnv, getArchiveUrl, openArchiveStream } from "../mod.ts";
import { open } from "node:fs/promises";

const [stage, path, outDir] = Deno.args;
const config = configFromEnv();
const t0 = performance.now();
let bytes = 0;
switch (stage) {
  case "fetch": {
    const { url } = await getArchiveUrl(config, path);
    const res = await fetch(url);
    for await (const chunk of res.body!) bytes += chunk.length;
    break;
  }
  case "stream": {
    for await (const chunk of openArchiveStream(config, path)) bytes += chunk.length;
    break;
  }
  case "entries": {
    for await (const entry of archiveEntries(openArchiveStream(config, path))) {
      for await (const chunk of entry.body) bytes += chunk.length;
    }
    break;
  }
  case "write": {
    // One reused buffer (BYOB reads), as download() recycles its buffers.
    const { url } = await getArchiveUrl(config, path);
    const res = await fetch(url);
    const reader = res.body!.getReader({ mode: "byob" });
    const file = await open(`${outDir}/archive.tar`, "w");
    let buffer = new Uint8Array(256 * 1024);
    for (;;) {
      const { done, value } = await reader.read(buffer);
      if (done) break;
      bytes += value.length;
      await file.write(value, 0, value.length);
      buffer = new Uint8Array(value.buffer);
    }
    await file.close();
    break;
  }
  default:
    throw new Error(`unknown stage ${stage}`);
}
console.log(JSON.stringify({ ms: performance.now() - t0, bytes }));
