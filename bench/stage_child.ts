/**
 * One stage of the download pipeline alone, in its own process, to see which stage limits
 * `download()`. Prints `{ "ms": n, "bytes": n }`.
 *
 * Stages: `fetch` (fetch the signed URL, discard the body), `stream` (openArchiveStream,
 * discard), `entries` (openArchiveStream → archiveEntries, discard: tar decode without disk),
 * `write` (fetch → one file on disk, no tar decode).
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
    const { url } = await getArchiveUrl(config, path);
    const res = await fetch(url);
    const file = await open(`${outDir}/archive.tar`, "w");
    for await (const chunk of res.body!) {
      bytes += chunk.length;
      await file.write(chunk, 0, chunk.length);
    }
    await file.close();
    break;
  }
  default:
    throw new Error(`unknown stage ${stage}`);
}
console.log(JSON.stringify({ ms: performance.now() - t0, bytes }));
