import assert from "node:assert/strict";
import { main } from "../cli.ts";
import { parseCommandLine, parseDateArg } from "../src/cli/args.ts";
import { GROUPS } from "../src/cli/commands.ts";
import { UsageError } from "../src/cli/errors.ts";
import { captureIo } from "./_cli_helpers.ts";

const parse = (...argv: string[]) => parseCommandLine(argv, GROUPS);

Deno.test("parser: command words, options in every spelling, globals anywhere", () => {
  const p = parse("--json", "checkpoint", "list", "--run-id=r:1", "--limit", "0", "-f", "table");
  assert.deepEqual(p.words, ["checkpoint", "list"]);
  assert.equal(p.options["run-id"], "r:1");
  assert.equal(p.options.limit, 0);
  assert.equal(p.options.json, true);
  assert.equal(p.options.format, "table");
  const d = parse("checkpoint", "download", "tinker://r/weights/a", "-o./out", "--force");
  assert.deepEqual(d.args, ["tinker://r/weights/a"]);
  assert.equal(d.options.output, "./out");
  assert.equal(d.options.force, true);
  const del = parse("checkpoint", "delete", "-y", "--", "tinker://r/weights/-odd");
  assert.deepEqual(del.args, ["tinker://r/weights/-odd"]);
  assert.equal(del.options.yes, true);
});

Deno.test("parser: values are checked (integers, choices, dates)", () => {
  const bad: string[][] = [
    ["checkpoint", "list", "--limit", "-1"],
    ["checkpoint", "list", "--limit", "ten"],
    ["checkpoint", "set-ttl", "tinker://r/weights/a", "--ttl", "0"],
    ["run", "list", "--access-scope", "everyone"],
    ["--format", "yaml", "version"],
    ["checkpoint", "delete", "--run-id", "r", "--type", "optimizer"],
    ["checkpoint", "delete", "--run-id", "r", "--before", "yesterday"],
  ];
  for (const argv of bad) {
    assert.throws(
      () => parse(...argv),
      (e) => e instanceof UsageError && /Invalid value/.test(e.message),
      argv.join(" "),
    );
  }
  const before =
    parse("checkpoint", "delete", "--run-id", "r", "--before", "2025-01-31").options.before;
  assert.ok(before instanceof Date && before.toISOString() === "2025-01-31T00:00:00.000Z");
});

Deno.test("parser: unknown commands and options, missing values and arguments", () => {
  const cases: [string[], RegExp][] = [
    [["frobnicate"], /^Unknown command 'frobnicate'$/],
    [["checkpoint", "lst"], /^Unknown command 'lst' for 'tinkex checkpoint'$/],
    [["checkpoint", "list", "--bogus"], /^Unknown option --bogus for 'tinkex checkpoint list'$/],
    [["checkpoint", "list", "-z"], /^Unknown option -z/],
    [["--run-id", "r", "checkpoint", "list"], /^Unknown option --run-id$/],
    [["checkpoint", "list", "--limit"], /^Option --limit needs a value \(N\)$/],
    [["checkpoint", "list", "--json=yes"], /^Option --json takes no value$/],
    [["checkpoint", "info"], /^Missing argument PATH$/],
    [["checkpoint", "info", "a", "b"], /^Unexpected argument 'b'$/],
    [["run", "info"], /^Missing argument RUN_ID$/],
    [["version", "extra"], /^Unexpected argument 'extra'$/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parse(...argv),
      (e) => e instanceof UsageError && message.test(e.message),
      argv.join(" "),
    );
  }
});

Deno.test("parser: --help wins over missing arguments; serve is an ordinary command", () => {
  assert.equal(parse("checkpoint", "info", "--help").help, true);
  const s = parse(
    "--json",
    "serve",
    "--port",
    "0",
    "--api-key",
    "tml-x",
    "--seed",
    "--api-key=tml-y",
  );
  assert.deepEqual(s.options, {
    json: true,
    port: 0,
    "api-key": ["tml-x", "tml-y"],
    seed: true,
  });
  assert.throws(() => parse("serve", "--base-url", "http://x"), /Unknown option --base-url/);
  assert.throws(() => parse("serve", "--port", "65536"), /from 0 to 65535/);
});

Deno.test("parseDateArg: ISO dates, date-times and ages", () => {
  const now = Date.parse("2026-03-10T12:00:00Z");
  assert.equal(parseDateArg("7d", now)?.toISOString(), "2026-03-03T12:00:00.000Z");
  assert.equal(parseDateArg("12h", now)?.toISOString(), "2026-03-10T00:00:00.000Z");
  assert.equal(
    parseDateArg("2026-01-02T03:04:05Z", now)?.toISOString(),
    "2026-01-02T03:04:05.000Z",
  );
  assert.equal(parseDateArg("2026-13-45", now), undefined);
  assert.equal(parseDateArg("last week", now), undefined);
});

Deno.test("main: help at every level goes to stdout with exit 0", async () => {
  const levels: [string[], string[]][] = [
    [["--help"], [
      "Usage: tinkex [global options] <command>",
      "checkpoint",
      "session",
      "serve",
      "version",
    ]],
    [["checkpoint", "-h"], ["Usage: tinkex checkpoint <command>", "prune", "set-ttl", "download"]],
    [["checkpoint", "delete", "--help"], [
      "Usage: tinkex checkpoint delete [PATH...]",
      "--before DATE",
      "-y, --yes",
      "--json",
    ]],
    [["checkpoint", "prune", "--help"], ["--keep N", "--dry-run"]],
    [["run", "--help"], ["list", "info"]],
    [["run", "list", "--help"], ["--access-scope SCOPE", "--limit N"]],
    [["session", "info", "--help"], ["Usage: tinkex session info ID"]],
    [["serve", "--help"], ["--data DIR"]],
    [["version", "--help"], ["Usage: tinkex version"]],
  ];
  for (const [argv, expected] of levels) {
    if (argv[0] === "serve") continue; // the server's own main answers its --help
    const c = captureIo();
    assert.equal(await main(argv, c.io), 0, argv.join(" "));
    for (const text of expected) {
      assert.ok(c.stdout().includes(text), `${argv.join(" ")}: ${text}\n${c.stdout()}`);
    }
    assert.equal(c.stderr(), "");
  }
});

Deno.test("main: usage errors exit 2 with Error: and a pointer to --help", async () => {
  const cases: [string[], string, string][] = [
    [["nope"], "Error: Unknown command 'nope'", "Run 'tinkex --help' for usage."],
    [
      ["checkpoint", "list", "--frob"],
      "Error: Unknown option --frob",
      "Run 'tinkex checkpoint list --help'",
    ],
    [["checkpoint", "info"], "Error: Missing argument PATH", "Run 'tinkex checkpoint info --help'"],
    [
      ["checkpoint", "delete"],
      "Error: Missing checkpoint paths (PATH...) or --run-id",
      "delete --help",
    ],
    [
      ["checkpoint", "delete", "tinker://r/weights/a", "--run-id", "r"],
      "not both",
      "delete --help",
    ],
    [
      ["checkpoint", "delete", "tinker://r/weights/a", "--type", "weights"],
      "--type only applies with --run-id",
      "delete --help",
    ],
    [
      ["checkpoint", "set-ttl", "tinker://r/weights/a"],
      "Missing --ttl DURATION or --remove",
      "set-ttl --help",
    ],
    [
      ["checkpoint", "set-ttl", "tinker://r/weights/a", "--ttl", "3600", "--remove"],
      "not both",
      "set-ttl --help",
    ],
    [["checkpoint", "prune"], "Error: Missing --keep N", "prune --help"],
  ];
  for (const [argv, message, hint] of cases) {
    const c = captureIo();
    const code = await main(
      [...argv, "--api-key", "tml-unit", "--base-url", "http://127.0.0.1:9"],
      c.io,
    );
    assert.equal(code, 2, `${argv.join(" ")}: ${c.stderr()}`);
    assert.ok(c.stderr().includes(message), c.stderr());
    assert.ok(c.stderr().includes(hint), c.stderr());
    assert.equal(c.stdout(), "");
  }
});

Deno.test("main: a missing command prints help on stderr and exits 2", async () => {
  for (const argv of [[], ["checkpoint"], ["run"]]) {
    const c = captureIo();
    assert.equal(await main(argv, c.io), 2);
    assert.match(c.stderr(), /^tinkex/);
    assert.equal(c.stdout(), "");
  }
});

Deno.test("main: failures before any request exit 1, never echoing the API key", async () => {
  const key = "tml-super-secret-key";
  const c = captureIo({ env: { TINKER_API_KEY: key } });
  const code = await main(["checkpoint", "info", "tinker://r/bogus/x", "--api-key", key], c.io);
  assert.equal(code, 1);
  assert.match(
    c.stderr(),
    /^Error: Invalid tinker path: tinker:\/\/r\/bogus\/x: unknown kind "bogus"/,
  );
  assert.ok(c.stderr().split("\n")[1].length > 0, "a hint line follows");
  const misplaced = captureIo();
  assert.equal(await main(["run", "info", "a", key, "--api-key", key], misplaced.io), 2);
  assert.ok(!misplaced.stderr().includes(key), misplaced.stderr());
  assert.ok(misplaced.stderr().includes("***"));
  const badKey = captureIo();
  assert.equal(await main(["run", "list", "--api-key", "sk-wrong"], badKey.io), 1);
  assert.match(badKey.stderr(), /API key is malformed/);
  assert.ok(!badKey.stderr().includes("sk-wrong"));
});

Deno.test("main: version in both formats", async () => {
  const table = captureIo();
  assert.equal(await main(["version"], table.io), 0);
  assert.match(table.stdout(), /^tinkex \d+\.\d+\.\d+ \(tinkex-ts\//);
  const json = captureIo();
  assert.equal(await main(["--json", "version"], json.io), 0);
  const parsed = JSON.parse(json.stdout());
  assert.match(parsed.version, /^\d+\.\d+\.\d+/);
  assert.match(parsed.user_agent, /^tinkex-ts\//);
});

Deno.test("main: a leading `--` (as `deno task cli -- …` passes it) is only a separator", async () => {
  const run = captureIo();
  assert.equal(await main(["--", "version"], run.io), 0);
  assert.match(run.stdout(), /^tinkex \d+\.\d+\.\d+/);
});
