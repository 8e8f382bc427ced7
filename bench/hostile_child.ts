/**
 * One `download()` of a (possibly hostile) archive in its own process, so its peak RSS is
 * measured alone. Always exits 0; prints `{ "error": "<class>: <message>" | null, "bytes": n }`.
 *
 * ```sh
 * deno run -A bench/hostile_child.ts BASE_URL TINKER_PATH OUT_DIR [OPTIONS_JSON]
 * ```
 * @module
 */
import { download, type DownloadOptions } from "../mod.ts";

const [baseUrl, path, outputDir, optionsJson] = Deno.args;
const options = JSON.parse(optionsJson ?? "{}") as DownloadOptions;
try {
  const r = await download({ apiKey: "tml-bench-hostile", baseUrl }, path, {
    outputDir,
    ...options,
  });
  console.log(JSON.stringify({ error: null, bytes: r.bytes }));
} catch (e) {
  const error = e instanceof Error ? `${e.name}: ${e.message.slice(0, 160)}` : String(e);
  console.log(JSON.stringify({ error, bytes: null }));
}
