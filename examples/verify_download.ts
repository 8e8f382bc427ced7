/**
 * Verify a download: the archive size matches the checkpoint's `size_bytes`, every file on disk
 * has the size the archive declared, the completion marker is there, and a SHA-256 per file.
 *
 * Run: `npx -y deno@2 run -A examples/verify_download.ts [TINKER_PATH]`
 * @module
 */
import { configFromEnv, download, getCheckpoint, listUserCheckpoints } from "@tinkex/tinkex";

const config = configFromEnv();
const path = Deno.args[0] ??
  (await listUserCheckpoints(config, { limit: 1 })).checkpoints[0]?.tinker_path;
if (!path) throw new Error("No checkpoints yet");

const checkpoint = await getCheckpoint(config, path);
// expectedBytes makes download() itself fail with IntegrityError on a size mismatch.
const result = await download(config, path, {
  outputDir: "./checkpoints",
  force: true,
  expectedBytes: checkpoint.size_bytes ?? undefined,
});
console.log(`archive: ${result.bytes} bytes, listed as ${checkpoint.size_bytes}`);

let problems = 0;
for (const f of result.files) {
  const file = `${result.destination}/${f.path}`;
  const onDisk = (await Deno.stat(file)).size;
  // crypto.subtle hashes whole buffers only: hash what fits comfortably in memory.
  let hex = "(not hashed: over 256 MiB)";
  if (onDisk <= 256 * 1024 ** 2) {
    const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(file));
    const bytes = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"));
    hex = `sha256:${bytes.join("").slice(0, 16)}…`;
  }
  const ok = onDisk === f.size;
  if (!ok) problems++;
  console.log(`  ${ok ? "ok  " : "BAD "} ${f.path}  ${onDisk} bytes  ${hex}`);
}
if (!result.files.some((f) => f.path === "checkpoint_complete")) {
  problems++;
  console.log("  BAD  checkpoint_complete marker missing");
}
console.log(problems === 0 ? "verified" : `${problems} problems`);
if (problems > 0) Deno.exit(1);
