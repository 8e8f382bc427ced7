import assert from "node:assert/strict";
import { main } from "../server.ts";

Deno.test("server main: --help is 0, unknown flags and bad ports are usage errors (2)", async () => {
  const log = console.log;
  const error = console.error;
  const out: string[] = [];
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => out.push(a.join(" "));
  try {
    assert.equal(await main(["--help"]), 0);
    assert.equal(await main(["--", "--help"]), 0, "`deno task serve -- …` passes the `--` on");
    assert.match(out.join("\n"), /--api-key KEY/);
    assert.equal(await main(["--bogus"]), 2);
    assert.equal(await main(["--port", "http"]), 2);
    assert.equal(await main(["--port", "70000"]), 2);
    assert.equal(await main(["--port", "0", "--api-key", "sk-wrong"]), 1);
  } finally {
    console.log = log;
    console.error = error;
  }
});

Deno.test("server main: `deno run server.ts` serves, prints the export line, stops on SIGTERM", async () => {
  const key = "tml-cli-test-key";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "server.ts", "--port", "0", "--api-key", key, "--seed"],
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
