/**
 * Ctrl-C: during `tinkex checkpoint download` the download stops at once; no destination, only
 * the partial state the same command then continues (`--no-resume`: nothing at all). Any other
 * command stops at once too. Both print `Cancelled.` (not an
 * error) and exit 130.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { API_KEY, DIR_NAME, type Fixture, startFixture, TINKER_PATH } from "./_download_fixture.ts";
import { noise, tar } from "./_tar_bytes.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));

const MEMBERS = [
  { name: "adapter_config.json", body: noise(50_000, 2) },
  { name: "model.safetensors", body: noise(400_000, 3) },
];

/** `tinkex checkpoint download` of the fixture into `out`; Ctrl-C once the store stalls. */
async function interruptedRun(
  fx: Fixture,
  stall: Promise<void>,
  out: string,
  extra: string[] = [],
  ready: () => Promise<boolean> = () => Promise.resolve(true),
): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "checkpoint", "download", TINKER_PATH, "-o", out, ...extra],
    env: { TINKER_BASE_URL: fx.baseUrl, TINKER_API_KEY: API_KEY, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await stall;
  while (!await ready()) await new Promise((r) => setTimeout(r, 10));
  child.kill("SIGINT");
  const { code, stderr } = await child.output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

async function namesIn(dir: string): Promise<string[]> {
  const left = [];
  for await (const e of Deno.readDir(dir)) left.push(e.name);
  return left.sort();
}

Deno.test("Ctrl-C during a download exits 130, keeps only the partial state, and the same command continues it", async () => {
  let stalled!: () => void;
  const stall = new Promise<void>((resolve) => stalled = resolve);
  // The archive stops inside the second member (the first is complete) and the connection
  // stays open: the download hangs there. The second request is answered in full.
  const archive = tar(MEMBERS);
  const fx = startFixture({ archive, stallAfter: [100_000], onStall: () => stalled() });
  const out = await Deno.makeTempDir({ prefix: "tinkex-cli-interrupt-" });
  try {
    // Ctrl-C once the client has journaled the first member (it may lag the store's bytes).
    const journaled = async () => {
      for (const name of await namesIn(out)) {
        if ((await namesIn(`${out}/${name}`)).some((f) => f.startsWith("journal-"))) return true;
      }
      return false;
    };
    const { code, stderr } = await interruptedRun(fx, stall, out, [], journaled);
    assert.equal(code, 130, stderr);
    assert.match(
      stderr,
      /^Cancelled\. Partial download kept in .*\/\.tinkex-[0-9a-f]{10}-partial; run the same command again to resume, or --clean-partials$/m,
    );
    assert.doesNotMatch(stderr, /Error:|aborted/, "cancelling is not a failure");
    const left = await namesIn(out);
    assert.equal(left.length, 1, `only the partial state: ${left}`);
    assert.match(left[0], /^\.tinkex-[0-9a-f]{10}-partial$/, "no destination");

    const again = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "checkpoint", "download", TINKER_PATH, "-o", out],
      env: { TINKER_BASE_URL: fx.baseUrl, TINKER_API_KEY: API_KEY, NO_COLOR: "1" },
      stdin: "null",
    }).output();
    const said = new TextDecoder().decode(again.stdout);
    assert.equal(again.code, 0, new TextDecoder().decode(again.stderr));
    assert.match(said, /continued from/);
    assert.notEqual(fx.blobRequests[1].range, null, "the second run asked only for the rest");
    assert.deepEqual(await namesIn(out), [DIR_NAME]);
    for (const m of MEMBERS) {
      assert.deepEqual(await Deno.readFile(`${out}/${DIR_NAME}/${m.name}`), m.body);
    }
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("Ctrl-C during a download with --no-resume leaves nothing at all", async () => {
  let stalled!: () => void;
  const stall = new Promise<void>((resolve) => stalled = resolve);
  const fx = startFixture({
    archive: tar(MEMBERS),
    stallAfter: [100_000],
    onStall: () => stalled(),
  });
  const out = await Deno.makeTempDir({ prefix: "tinkex-cli-interrupt-" });
  try {
    const { code, stderr } = await interruptedRun(fx, stall, out, ["--no-resume"]);
    assert.equal(code, 130, stderr);
    assert.match(stderr, /^Cancelled\.$/m);
    assert.deepEqual(await namesIn(out), [], "no destination and no temp directory");
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
