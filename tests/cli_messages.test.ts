/**
 * What a careful user meets on the command line: `--version`/`-v`/`help`, "did you mean",
 * trimmed paths, accepted values in help, hints worded for flags (not for the library), the
 * same message for the same failure every time, prompts worded for the count, and `serve`
 * on a busy port.
 */
import assert from "node:assert/strict";
import { stripAnsi } from "../src/cli/color.ts";
import { main } from "../cli.ts";
import { captureIo, KEYS, runCliInProcess, startCliServer } from "./_cli_helpers.ts";

async function run(argv: string[], env: Record<string, string> = {}) {
  const c = captureIo({ env });
  const code = await main(argv, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

Deno.test("--version, -v and help [COMMAND…] succeed (exit 0, stdout)", async () => {
  for (const argv of [["--version"], ["-v"], ["version"]]) {
    const r = await run(argv);
    assert.equal(r.code, 0, argv.join(" "));
    assert.match(r.stdout, /^tinkex \d+\.\d+\.\d+ /, argv.join(" "));
  }
  assert.equal(JSON.parse((await run(["--version", "--json"])).stdout).version.length > 0, true);
  const cases: [string[], RegExp][] = [
    [["help"], /^Usage: tinkex \[global options\] <command>/m],
    [["help", "checkpoint"], /^Usage: tinkex checkpoint <command>/m],
    [["help", "checkpoint", "delete"], /^Usage: tinkex checkpoint delete/m],
  ];
  for (const [argv, usage] of cases) {
    const r = await run(argv);
    assert.equal(r.code, 0, argv.join(" "));
    assert.match(r.stdout, usage);
    assert.equal(r.stderr, "");
  }
});

Deno.test("typos get a suggestion on the hint line; far-off words get none", async () => {
  const cases: [string[], string][] = [
    [["chekpoint", "list"], "Did you mean 'tinkex checkpoint'? Run 'tinkex --help' for usage."],
    [["checkpoint", "lsit"], "Did you mean 'tinkex checkpoint list'?"],
    [["checkpoint", "list", "--limt", "3"], "Did you mean --limit?"],
    [["checkpoint", "delete", "--run-idd", "r"], "Did you mean --run-id?"],
    [["run", "lis"], "Did you mean 'tinkex run list'?"],
  ];
  for (const [argv, hint] of cases) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(" "));
    assert.equal(r.stderr.split("\n")[1].startsWith(hint), true, `${argv.join(" ")}: ${r.stderr}`);
  }
  assert.doesNotMatch((await run(["frobnicate"])).stderr, /Did you mean/);
});

Deno.test("help lists the accepted values of enumerated options", async () => {
  const help = (await run(["checkpoint", "delete", "--help"])).stdout;
  assert.match(
    help,
    /--type TYPE\s+With --run-id: only this kind: weights, sampler_weights or external_weights/,
  );
  assert.match(
    (await run(["run", "list", "--help"])).stdout,
    /--access-scope SCOPE.*owned.*accessible/,
  );
  assert.match((await run(["--help"])).stdout, /--format FORMAT.*table.*json/);
});

Deno.test("hints name the flags and variables to fix, not the library's options", async () => {
  const noKey = await run(["checkpoint", "list"]);
  assert.equal(noKey.code, 1);
  assert.match(noKey.stderr, /^Error: Cannot run 'tinkex checkpoint list': no API key\n/);
  assert.match(noKey.stderr, /--api-key tml-/);
  assert.doesNotMatch(noKey.stderr, /\{ ?apiKey/);

  const badUrl = await run(["run", "list", "--api-key", "tml-ok-key", "--base-url", "localhost"]);
  assert.equal(badUrl.code, 1);
  assert.match(badUrl.stderr, /^Error: Cannot use base URL "localhost"/);
  assert.match(badUrl.stderr, /Fix --base-url: an http\(s\) URL/);
  assert.doesNotMatch(badUrl.stderr, /API key/, "a bad URL does not get the API-key hint");

  const envUrl = await run(["run", "list"], {
    TINKER_API_KEY: "tml-ok-key",
    TINKER_BASE_URL: "ftp://x",
  });
  assert.match(envUrl.stderr, /Fix TINKER_BASE_URL/);
});

Deno.test("against the local server: deterministic errors, trimmed paths, one wording for an existing destination, prompts per count", async (t) => {
  const srv = await startCliServer();
  const alice = srv.env(KEYS.alice);
  const out = await Deno.makeTempDir({ prefix: "tinkex-cli-messages-" });
  try {
    await t.step("the same missing checkpoint gives the same message every time", async () => {
      const runs = await Promise.all(
        Array.from(
          { length: 8 },
          () => runCliInProcess(["checkpoint", "info", "tinker://x/weights/1"], alice),
        ),
      );
      const firstLines = new Set(
        runs.map((r) => r.stderr.split("\n")[0].replace(/request \w+/, "request ID")),
      );
      assert.equal(firstLines.size, 1, [...firstLines].join("\n"));
      assert.ok(runs.every((r) => r.code === 1));
    });

    const { tinkerPaths: [path] } = await srv.seedRun(KEYS.carol, 1);
    const carol = srv.env(KEYS.carol);
    await t.step("a path with trailing whitespace (as pasted) is trimmed", async () => {
      const info = await runCliInProcess(["checkpoint", "info", `${path} \n`, "--json"], carol);
      assert.equal(info.code, 0, info.stderr);
      assert.equal(JSON.parse(info.stdout).tinker_path, path);
    });

    await t.step("an existing destination: one message, one hint, both for the CLI", async () => {
      const first = await runCliInProcess(["checkpoint", "download", path, "-o", out], carol);
      assert.equal(first.code, 0, first.stderr);
      const again = await runCliInProcess(["checkpoint", "download", path, "-o", out], carol);
      assert.equal(again.code, 1);
      const [message, hint] = again.stderr.split("\n");
      assert.match(message, /^Error: Cannot download: \S+ already exists$/);
      assert.match(hint, /^Pass --force to replace it/);
      assert.doesNotMatch(again.stderr, /pass force/);
    });

    await t.step("one checkpoint: 'it cannot be recovered'", async () => {
      const declined = await runCliInProcess(["checkpoint", "delete", path], carol, {
        terminal: { stdin: true, stderr: true },
        answers: ["n"],
      });
      assert.equal(declined.code, 1, "declining: nothing that was asked happened");
      const text = stripAnsi(declined.stderr);
      assert.match(
        text,
        /Delete 1 checkpoint \([^)]+\)\? This is permanent: it cannot be recovered\./,
      );
      assert.match(text, /Nothing deleted\.$/m);
    });
  } finally {
    await srv.close();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("serve on a busy port: Error: …, a hint to use --port 0, exit 1", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  try {
    const r = await run(["serve", "--port", String(port)]);
    assert.equal(r.code, 1, r.stderr);
    const [message, hint] = r.stderr.split("\n");
    assert.equal(
      message,
      `Error: Cannot start the local server: port ${port} on 127.0.0.1 is already in use`,
    );
    assert.match(hint, /--port 0/);
    assert.equal(r.stdout, "");
  } finally {
    busy.close();
  }
});

Deno.test("serve's other start-up errors name the flag to fix, in the same two-line format", async () => {
  const file = await Deno.makeTempFile({ prefix: "tinkex-not-a-dir-" });
  try {
    const data = await run(["serve", "--port", "0", "--data", file]);
    assert.equal(data.code, 1);
    assert.match(
      data.stderr,
      new RegExp(`^Error: Cannot use --data ${file}: .+\nPass a directory`),
    );
    const key = await run(["serve", "--port", "0", "--api-key", "sk-wrong"]);
    assert.equal(key.code, 1);
    assert.match(key.stderr, /^Error: .*API key.*\nPass keys such as --api-key tml-/i);
    assert.doesNotMatch(key.stderr + data.stderr, /bug in tinkex/);
  } finally {
    await Deno.remove(file);
  }
});
