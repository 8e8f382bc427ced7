/**
 * Child of tests/download_abort_gc.test.ts, run with `--v8-flags=--expose-gc`: a download stalls,
 * the garbage collector runs, then the caller aborts. Prints `rejected AbortError` when the abort
 * still reached the pending read (else it hangs, and the parent fails it).
 */
import { AbortError, download } from "../mod.ts";
import { API_KEY, startFixture, TINKER_PATH } from "./_download_fixture.ts";
import { noise, tar } from "./_tar_bytes.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");
const controller = new AbortController();
const fx = startFixture({
  archive: tar([{ name: "model.safetensors", body: noise(400_000, 3) }]),
  stallAfter: [150_000],
  onStall: () => {
    // Let the client take in what was sent and wait on the stalled body, then collect garbage.
    setTimeout(() => {
      gc();
      gc();
      controller.abort(new Error("stop"));
    }, 300);
  },
});
const out = await Deno.makeTempDir({ prefix: "tinkex-abort-gc-" });
try {
  await download({ apiKey: API_KEY, baseUrl: fx.baseUrl }, TINKER_PATH, {
    outputDir: out,
    signal: controller.signal,
  });
  console.log("finished");
} catch (e) {
  console.log(e instanceof AbortError ? "rejected AbortError" : `rejected ${e}`);
} finally {
  await fx.close();
  await Deno.remove(out, { recursive: true });
}
