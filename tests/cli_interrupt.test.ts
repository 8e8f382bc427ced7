/**
 * Ctrl-C: during `tinkex checkpoint download` the download stops at once and nothing is left in
 * the output directory; any other command stops at once too. Both print `Cancelled.` (not an
 * error) and exit 130.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { API_KEY, startFixture, TINKER_PATH } from "./_download_fixture.ts";
import { noise, tar } from "./_tar_bytes.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));

Deno.test("Ctrl-C during a download exits 130 and leaves nothing behind", async () => {
  let stalled!: () => void;
  const stall = new Promise<void>((resolve) => stalled = resolve);
  // The archive stops after 100 kB and the connection stays open: the download hangs there.
  const fx = startFixture({
    archive: tar([{ name: "model.safetensors", body: noise(400_000, 3) }]),
    stallAfter: [100_000],
    onStall: () => stalled(),
  });
  const out = await Deno.makeTempDir({ prefix: "tinkex-cli-interrupt-" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "checkpoint", "download", TINKER_PATH, "-o", out],
      env: { TINKER_BASE_URL: fx.baseUrl, TINKER_API_KEY: API_KEY, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await stall;
    child.kill("SIGINT");
    const { code, stderr } = await child.output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 130, text);
    assert.match(text, /^Cancelled\.$/m);
    assert.doesNotMatch(text, /Error:|aborted/, "cancelling is not a failure");
    const left = [];
    for await (const e of Deno.readDir(out)) left.push(e.name);
    assert.deepEqual(left, [], "no destination and no temp directory");
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("Ctrl-C while a listing waits for a server that never answers: Cancelled., exit 130", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connected!: () => void;
  const waiting = new Promise<void>((resolve) => connected = resolve);
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      held.push(conn); // read nothing, answer nothing
      connected();
    }
  })();
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "checkpoint", "list"],
      env: {
        TINKER_BASE_URL: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
        TINKER_API_KEY: API_KEY,
        NO_COLOR: "1",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await waiting;
    child.kill("SIGINT");
    const { code, stdout, stderr } = await child.output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 130, text);
    assert.equal(text, "Cancelled.\n");
    assert.equal(stdout.length, 0);
  } finally {
    listener.close();
    for (const c of held) c.close();
    await accepting.catch(() => {});
  }
});
