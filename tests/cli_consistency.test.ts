/**
 * The CLI's commands, added by different hands, behave alike: server text never reaches the
 * terminal raw, empty or padded values are refused or trimmed before anything is sent, file
 * errors are `Cannot …` with a hint (not "a bug in tinkex"), and config errors of every command
 * get the hint for the flag at fault.
 */
import assert from "node:assert/strict";
import { createTrainingClient, saveState } from "../mod.ts";
import { main } from "../cli.ts";
import { captureIo, KEYS, runCliInProcess, startCliServer } from "./_cli_helpers.ts";

const ESC = "\x1b";

Deno.test("control characters from the server are written out in tables, pairs and errors", async () => {
  const server = await startCliServer();
  try {
    const env = server.env(KEYS.alice);
    const client = await createTrainingClient(server.config(KEYS.alice), {
      baseModel: "Qwen/Qwen3-8B",
      userMetadata: { note: `red${ESC}[31m\nline` },
    });
    const state = await saveState(client, "esc", { userMetadata: { note: `${ESC}]0;pwned\x07` } });
    const info = await runCliInProcess(["checkpoint", "info", state], env);
    assert.equal(info.code, 0, info.stderr);
    assert.equal(info.stdout.includes(ESC), false, info.stdout);
    assert.match(info.stdout, /\\x1b\]0;pwned\\x07/);
    const run = await runCliInProcess(["run", "info", client.modelId], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.includes(ESC), false, run.stdout);
    assert.match(run.stdout, /red\\x1b\[31m\\nline/);
    // The server's 404 detail quotes the id it was given.
    const missing = await runCliInProcess(["run", "info", `x${ESC}[2J`], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.includes(ESC), false, missing.stderr);
    assert.match(missing.stderr, /x\\(x1b|u001b)\[2J/);
  } finally {
    await server.close();
  }
});

Deno.test("empty and padded values: positionals and option values are trimmed, empty ones refused", async () => {
  const server = await startCliServer();
  try {
    const env = server.env(KEYS.alice);
    for (
      const argv of [
        ["run", "info", " "],
        ["session", "info", ""],
        ["checkpoint", "info", "\t"],
        ["checkpoint", "list", "--run-id", ""],
        ["checkpoint", "list", "--run-id= "],
      ]
    ) {
      const r = await runCliInProcess(argv, env);
      assert.equal(r.code, 2, `${JSON.stringify(argv)}: ${r.stderr}`);
      assert.match(r.stderr, /^Error: (Empty argument \w+|Option --run-id needs a value)/);
      assert.equal(r.stdout, "");
    }
    const seeded = await server.seedRun(KEYS.alice, 2);
    const padded = await runCliInProcess(
      ["checkpoint", "list", "--run-id", ` ${seeded.runId}\n`, "--json"],
      env,
    );
    assert.equal(padded.code, 0, padded.stderr);
    assert.equal(JSON.parse(padded.stdout).checkpoints.length, 2);
    const reason = await runCliInProcess(["session", "finish", "s", "--reason", "bogus"], env);
    assert.equal(reason.code, 2);
    assert.match(reason.stderr, /expected success, errored or interrupted\n/);
  } finally {
    await server.close();
  }
});

Deno.test("file paths: a missing directory or a directory is 'Cannot use …' with a hint; -o DIR saves inside", async () => {
  const server = await startCliServer();
  const tmp = await Deno.makeTempDir();
  try {
    const env = server.env(KEYS.alice);
    const [start, end] = windowOfLastDay();
    for (
      const [csv, message, hint] of [
        [`${tmp}/missing/usage.csv`, "no such file or directory", /directory must exist/],
        [tmp, "it is a directory", /not a directory's/],
      ] as const
    ) {
      const r = await runCliInProcess(["billing", "usage", start, end, "--csv", csv], env);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr.split("\n")[0], `Error: Cannot use ${csv}: ${message}`);
      assert.match(r.stderr, hint);
      assert.doesNotMatch(r.stderr, /bug in tinkex/);
    }

    const { runId } = await server.seedRun(KEYS.alice, 1);
    const session = runId.split(":")[0];
    const into = await runCliInProcess(["session", "export-trace", session, "-o", tmp], env);
    assert.equal(into.code, 0, into.stderr);
    const newDir = `${tmp}/traces/`;
    const slash = await runCliInProcess(["session", "export-trace", session, "-o", newDir], env);
    assert.equal(slash.code, 0, slash.stderr);
    for (const dir of [tmp, `${tmp}/traces`]) {
      const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n !== "traces");
      assert.deepEqual(names, [`${session}.pftrace`], dir);
    }
    // The temp file went beside the file, not beside the directory (nothing next to tmp).
    const parent = tmp.replace(/\/[^/]+$/, "");
    const base = tmp.slice(parent.length + 1);
    assert.deepEqual(
      [...Deno.readDirSync(parent)].filter((e) => e.name.startsWith(`${base}.tinkex-tmp`)),
      [],
    );
  } finally {
    await server.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

/** The last whole UTC day before the current hour, as billing usage START END. */
function windowOfLastDay(): [string, string] {
  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const iso = (t: number) => new Date(t).toISOString().replace(".000Z", "Z");
  return [iso(hour - 86_400_000), iso(hour)];
}

Deno.test("auth status words config errors for the command line, like every command", async () => {
  const home = await Deno.makeTempDir();
  try {
    const cases: [string[], Record<string, string>, RegExp, RegExp][] = [
      [
        ["auth", "status", "--base-url", "ftp://x", "--api-key", "tml-abcdefgh"],
        {},
        /^Error: Cannot use base URL "ftp:\/\/x"/,
        /^Fix --base-url: an http\(s\) URL/m,
      ],
      [
        ["auth", "status"],
        { HOME: home },
        /^Error: Cannot run 'tinkex auth status': no API key/,
        /--api-key tml-…/,
      ],
      [
        ["auth", "status", "--api-key", "bad"],
        {},
        /^Error: Cannot run 'tinkex auth status': the API key is malformed \(from --api-key/,
        /^Check --api-key\.$/m,
      ],
    ];
    for (const [argv, env, message, hint] of cases) {
      const c = captureIo({ env });
      const code = await main(argv, c.io);
      assert.equal(code, 1, argv.join(" "));
      assert.match(c.stderr(), message);
      assert.match(c.stderr(), hint);
      assert.doesNotMatch(
        c.stderr(),
        /pass \{ apiKey|Set TINKER_API_KEY \(or pass --api-key\), TINKER_CRED/,
      );
    }
    // Nothing listening: the credential was not refused, the server was not reached.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    const c = captureIo({ env: { TINKER_API_KEY: "tml-abcdefgh" } });
    const url = `http://127.0.0.1:${port}`;
    assert.equal(await main(["auth", "status", "--base-url", url], c.io), 1);
    assert.match(c.stderr(), /^Error: Cannot check the credential: Connection error/m);
    assert.match(c.stderr(), new RegExp(`is tinkex serve running on port ${port}\\?`));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a session that is not there points at 'tinkex session list', in every session command", async () => {
  const server = await startCliServer();
  try {
    const env = server.env(KEYS.alice);
    for (
      const argv of [
        ["session", "info", "nope"],
        ["session", "finish", "nope"],
        ["session", "set-project", "nope", "p"],
        ["session", "export-trace", "nope", "--url-only"],
      ]
    ) {
      const r = await runCliInProcess(argv, env);
      assert.equal(r.code, 1, argv.join(" "));
      assert.match(r.stderr, /^Error: Session "nope" not found/m);
      assert.match(r.stderr, /\nCheck the session id: 'tinkex session list' shows yours\.\n$/);
    }
    const run = await runCliInProcess(["run", "info", "nope"], env);
    assert.match(run.stderr, /'tinkex run list' show what exists/);
  } finally {
    await server.close();
  }
});

Deno.test("serve --data on a file says so, without the raw EEXIST/ENOTDIR text", async () => {
  const file = await Deno.makeTempFile();
  try {
    for (
      const [data, why] of [
        [file, "it is a file, not a directory"],
        [`${file}/sub`, "a part of it is a file, not a directory"],
      ]
    ) {
      const c = captureIo();
      assert.equal(await main(["serve", "--port", "0", "--data", data], c.io), 1);
      assert.equal(c.stderr().split("\n")[0], `Error: Cannot use --data ${data}: ${why}`);
    }
  } finally {
    await Deno.remove(file);
  }
});
