import assert from "node:assert/strict";
import { main } from "../cli.ts";
import { captureIo } from "./_cli_helpers.ts";
import { startServeProcess } from "./_serve_process.ts";
import { withTempDir } from "./_server_helpers.ts";

Deno.test("tinkex serve: --help is 0, unknown flags and bad ports are usage errors (2)", async () => {
  const help = captureIo();
  assert.equal(await main(["serve", "--help"], help.io), 0);
  assert.match(help.stdout(), /--api-key KEY/);
  assert.doesNotMatch(help.stdout(), /--base-url/, "client-only globals are not offered");
  const sep = captureIo();
  assert.equal(await main(["serve", "--", "--help"], sep.io), 0, "`deno task serve -- …`");
  for (const bad of [["--bogus"], ["--port", "http"], ["--port", "70000"], ["--base-url", "x"]]) {
    const c = captureIo();
    assert.equal(await main(["serve", ...bad], c.io), 2, bad.join(" "));
    assert.match(c.stderr(), /^Error: .*\nRun 'tinkex serve --help' for usage\.\n$/s);
  }
  const badKey = captureIo();
  assert.equal(await main(["serve", "--port", "0", "--api-key", "sk-wrong"], badKey.io), 1);
  assert.match(badKey.stderr(), /^Error: /);
});

Deno.test("tinkex serve: serves, prints the export line, stops on SIGTERM", async () => {
  const key = "tml-cli-test-key";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", "serve", "--port", "0", "--api-key", key, "--seed"],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/TINKER_API_KEY=\S+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const match = /export TINKER_BASE_URL=(\S+) TINKER_API_KEY=(\S+)/.exec(text);
  assert.ok(match, text);
  assert.equal(match[2], key);
  const dataDir = /data: (\S+)/.exec(text)![1];
  const res = await fetch(`${match[1]}/api/v1/checkpoints`, { headers: { "x-api-key": key } });
  assert.equal(res.status, 200);
  assert.ok((await res.json()).checkpoints.length > 0);
  child.kill("SIGTERM");
  const status = await child.status;
  await reader.cancel();
  await child.stderr.cancel();
  assert.equal(status.code, 0);
  assert.throws(() => Deno.statSync(dataDir), Deno.errors.NotFound);
});

Deno.test("tinkex serve: keys from --api-key-file and TINKEX_SERVE_API_KEYS work and stay out of the banner", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/keys.txt`;
    await Deno.writeTextFile(file, "# team keys\ntml-file-key-one\n\n  tml-file-key-two  \n");
    const env = { TINKEX_SERVE_API_KEYS: "tml-env-key-one, tml-env-key-two" };
    const hidden = ["tml-file-key-one", "tml-file-key-two", "tml-env-key-one", "tml-env-key-two"];
    const child = await startServeProcess(["--api-key-file", file], env, { json: false });
    let stderr = "";
    try {
      for (const key of hidden) assert.ok(!child.bannerText.includes(key), child.bannerText);
      assert.match(
        child.bannerText,
        /API keys \(one user each\): 4 from \S+keys\.txt and TINKEX_SERVE_API_KEYS \(not shown\)/,
      );
      assert.match(child.bannerText, /TINKER_API_KEY=<one of your keys>/);
      assert.ok(!child.bannerText.includes("tml-local-dev-key"), "no default key when keys given");
      for (const key of hidden) {
        const res = await fetch(`${child.baseUrl}/api/v1/checkpoints`, {
          headers: { "x-api-key": key },
        });
        assert.equal(res.status, 200, key);
        await res.body?.cancel();
      }
      const dev = await fetch(`${child.baseUrl}/api/v1/checkpoints`, {
        headers: { "x-api-key": "tml-local-dev-key" },
      });
      assert.equal(dev.status, 401, "the default key is off once keys are given");
      await dev.body?.cancel();
    } finally {
      stderr = (await child.stop()).stderr;
    }
    for (const key of hidden) assert.ok(!stderr.includes(key));
    // Keys typed on the command line are already in `ps`: those are shown, the others not.
    const mixed = await startServeProcess(
      ["--api-key", "tml-argv-key", "--api-key-file", file],
      {},
      { json: true },
    );
    try {
      assert.deepEqual(mixed.banner.api_keys, ["tml-argv-key"]);
      assert.ok(!mixed.bannerText.includes("tml-file-key-one"));
    } finally {
      await mixed.stop();
    }
    const plain = await startServeProcess([], {}, { json: true });
    assert.deepEqual(plain.banner.api_keys, ["tml-local-dev-key"], "the default key is shown");
    await plain.stop();
    // A missing or empty key file is a clear start-up error that does not print keys.
    for (
      const [bad, pattern] of [[`${dir}/none.txt`, /cannot read the API key file/], [
        `${dir}/empty.txt`,
        /holds no key/,
      ]] as const
    ) {
      await Deno.writeTextFile(`${dir}/empty.txt`, "# nothing\n");
      const c = captureIo();
      assert.equal(await main(["serve", "--port", "0", "--api-key-file", bad], c.io), 1);
      assert.match(c.stderr(), pattern);
    }
  });
});

Deno.test("tinkex serve: the banner says what start-up reclaimed, warns of a loose data dir, uses --public-url", async () => {
  await withTempDir(async (dir) => {
    const dataDir = `${dir}/data`;
    const first = await startServeProcess(["--data", dataDir, "--seed"], {}, { json: false });
    assert.match(first.bannerText, /reclaimed at start-up: 0 orphaned archives, 0 temp files/);
    assert.equal((await first.stop()).code, 0);
    Deno.writeFileSync(`${dataDir}/objects/${crypto.randomUUID()}.tar`, new Uint8Array(2048));
    Deno.writeFileSync(`${dataDir}/tmp/write.crash`, new Uint8Array(0));
    Deno.chmodSync(dataDir, 0o755);
    const second = await startServeProcess(
      ["--data", dataDir, "--public-url", "https://tinker.example.com"],
      {},
      { json: false },
    );
    let stderr = "";
    try {
      assert.match(
        second.bannerText,
        /reclaimed at start-up: 1 orphaned archive, 1 temp file \(2\.0 KB\)/,
      );
      const list = await fetch(`${second.baseUrl}/api/v1/checkpoints`, {
        headers: { "x-api-key": "tml-local-dev-key" },
      });
      const [ckpt] = (await list.json()).checkpoints;
      const [, run, kind, name] = /^tinker:\/\/([^/]+)\/([^/]+)\/(.+)$/.exec(ckpt.tinker_path)!;
      const res = await fetch(
        `${second.baseUrl}/api/v1/training_runs/${encodeURIComponent(run)}/checkpoints/${kind}/${
          encodeURIComponent(name)
        }/archive`,
        { headers: { "x-api-key": "tml-local-dev-key" }, redirect: "manual" },
      );
      await res.body?.cancel();
      assert.match(res.headers.get("location")!, /^https:\/\/tinker\.example\.com\/archives\//);
    } finally {
      stderr = (await second.stop()).stderr;
    }
    assert.match(stderr, /Warning: The data directory \S+ is open to other local users/);
    assert.match(stderr, /chmod -R go-rwx/);
  });
});
