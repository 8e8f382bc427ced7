/**
 * The demo: start the embedded local Tinker server on a free port with seeded data, run the
 * complete workflow against it with visible progress, print what happened and where the files
 * are, and stop the server. Nothing is left running, and disk use stays bounded: each run
 * replaces the checkpoint the previous run downloaded into the same directory.
 *
 * Run: `npx -y deno@2 task demo [OUTPUT_DIR]` (default `./tinkex-demo`).
 * @module
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { serve } from "@tinkex/tinkex/server";
import type { DownloadProgress } from "@tinkex/tinkex";
import { completeWorkflow } from "./complete_workflow.ts";

const outputDir = Deno.args[0] ?? "./tinkex-demo";
// Names the previous run's download, so this run can remove it: one checkpoint on disk, ever.
const lastRunFile = join(outputDir, ".tinkex-demo-last");
// Checkpoints of 24 MiB, so the download shows some progress.
const server = await serve({ seed: { checkpointBytes: 24 * 1024 * 1024 } });
const apiKey = server.apiKeys[0];
console.log(`Local Tinker server on ${server.baseUrl} (data in ${server.dataDir})`);

const isTty = Deno.stderr.isTerminal();
const encoder = new TextEncoder();
function showProgress(p: DownloadProgress): void {
  const pct = p.percent === undefined ? "" : ` ${p.percent.toFixed(0).padStart(3)}%`;
  const line = `   [${p.phase}]${pct} ${p.transferredBytes} bytes ${p.entry ?? ""}`;
  if (isTty) Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${line}`));
  else console.error(line);
  if (isTty && p.phase === "done") Deno.stderr.writeSync(encoder.encode("\n"));
}

try {
  const summary = await completeWorkflow(
    { apiKey, baseUrl: server.baseUrl },
    outputDir,
    (line) => console.log(line),
    showProgress,
  );
  await removePreviousDownload(summary.destination);
  console.log(`\nDone. ${summary.path} (${summary.bytes} bytes) is in ${summary.destination}`);
  console.log(`Try the CLI against your own server: npx -y deno@2 task serve --seed, then`);
  console.log(
    `  TINKER_BASE_URL=<url> TINKER_API_KEY=<key> npx -y deno@2 task cli checkpoint list`,
  );
} finally {
  await server.close();
}

/** Remove what the previous demo run downloaded here (a bare directory name, never a path). */
async function removePreviousDownload(current: string): Promise<void> {
  const previous = (await readFile(lastRunFile, "utf8").catch(() => "")).trim();
  if (/^[\w.:-]+$/.test(previous) && !previous.startsWith(".") && previous !== basename(current)) {
    await rm(join(outputDir, previous), { recursive: true, force: true });
  }
  await writeFile(lastRunFile, basename(current) + "\n");
}
