/**
 * Download with a progress line, cancellable with Ctrl-C (nothing half-done is left behind).
 *
 * Run: `npx -y deno@2 run -A examples/download_with_progress.ts [TINKER_PATH] [OUTPUT_DIR]`
 * @module
 */
import { AbortError, configFromEnv, download, listUserCheckpoints } from "@tinkex/tinkex";

const config = configFromEnv();
const path = Deno.args[0] ??
  (await listUserCheckpoints(config, { limit: 1 })).checkpoints[0]?.tinker_path;
if (!path) throw new Error("No checkpoints yet");

const abort = new AbortController();
Deno.addSignalListener("SIGINT", () => abort.abort());

try {
  const result = await download(config, path, {
    outputDir: Deno.args[1] ?? "./checkpoints",
    force: true,
    signal: abort.signal,
    onProgress: (p) => {
      const pct = p.percent === undefined ? "" : `${p.percent.toFixed(1)}% `;
      const total = p.totalBytes === undefined ? "" : `/${p.totalBytes}`;
      console.error(`[${p.phase}] ${pct}${p.transferredBytes}${total} bytes ${p.entry ?? ""}`);
    },
    onResume: ({ offset, reason }) => console.error(`resuming at byte ${offset}: ${reason}`),
  });
  console.log(`done: ${result.destination}`);
} catch (e) {
  if (e instanceof AbortError) {
    console.error("cancelled; nothing was left behind");
    Deno.exit(130);
  }
  throw e;
}
Deno.exit(0); // the SIGINT listener would keep the process alive
