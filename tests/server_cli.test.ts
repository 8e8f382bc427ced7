import assert from "node:assert/strict";
import { main } from "../cli.ts";
import { captureIo } from "./_cli_helpers.ts";

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
