/**
 * Aborting a stalled download still works after a garbage collection. Deno stops cancelling a
 * pending body read once the Response object is collected, so the stream must hold it: without
 * that, Ctrl-C in the CLI (and the stall timeout) hung a stalled download for good.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./_abort_after_gc_child.ts", import.meta.url));
const CONFIG = fileURLToPath(new URL("../deno.json", import.meta.url));

Deno.test("a stalled download's abort survives a garbage collection", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", "--config", CONFIG, CHILD],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A guard against the hang this test is about, not a timing assertion.
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(guard);
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, `${text}\n${new TextDecoder().decode(stderr)}`);
  assert.equal(text.trim(), "rejected AbortError");
});
