// Credentials in the official SDK's order: explicit key, TINKER_API_KEY, TINKER_CREDENTIAL_CMD,
// the stored default of ~/.tinker/credentials.json (HOME is a temp dir; the process env and the
// real ~/.tinker are never touched).
import assert from "node:assert/strict";
import {
  ConfigError,
  configFromEnv,
  listUserCheckpoints,
  resolveCredential,
  type TinkerConfig,
} from "../mod.ts";
import { serve } from "../server.ts";
import { runCliInProcess } from "./_cli_helpers.ts";

const STORED = "tml-stored-default-key";
const ENV_KEY = "tml-from-env-key";
const SECRET_OUTPUT = "tml-printed-by-a-failing-command";

/** A fake HOME holding a credentials file as `tinker auth login` writes it (0700 / 0600). */
async function fakeHome(doc: unknown = {
  version: 1,
  default: "work",
  keys: { work: { type: "manual", key: STORED, name: "work laptop" } },
}, modes = { dir: 0o700, file: 0o600 }): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "tinkex-home-" });
  await Deno.mkdir(`${home}/.tinker`, { mode: modes.dir });
  await Deno.chmod(`${home}/.tinker`, modes.dir);
  const file = `${home}/.tinker/credentials.json`;
  await Deno.writeTextFile(file, typeof doc === "string" ? doc : JSON.stringify(doc));
  await Deno.chmod(file, modes.file);
  return home;
}

const sh = (script: string) => `sh -c '${script}'`;

Deno.test("credential order: argument > TINKER_API_KEY > TINKER_CREDENTIAL_CMD > stored default", async () => {
  const home = await fakeHome();
  try {
    const cmd = "printf '  tml-%s  \\n' from-command";
    const all = { HOME: home, TINKER_API_KEY: ENV_KEY, TINKER_CREDENTIAL_CMD: cmd };
    const env = (vars: Record<string, string>) => (n: string) => vars[n];

    const arg = await resolveCredential({ apiKey: "tml-explicit", env: env(all) });
    assert.deepEqual([arg.source, arg.apiKey], ["argument", "tml-explicit"]);
    const fromEnv = await resolveCredential({ env: env(all) });
    assert.deepEqual([fromEnv.source, fromEnv.apiKey], ["TINKER_API_KEY", ENV_KEY]);
    const { TINKER_API_KEY: _, ...noKey } = all;
    const fromCmd = await resolveCredential({ env: env(noKey) });
    assert.deepEqual([fromCmd.source, fromCmd.apiKey], [
      "TINKER_CREDENTIAL_CMD",
      "tml-from-command",
    ]);
    assert.equal(fromCmd.command, cmd);
    const stored = await resolveCredential({ env: env({ HOME: home }) });
    assert.deepEqual([stored.source, stored.apiKey], ["credentials_file", STORED]);
    assert.equal(stored.path, `${home}/.tinker/credentials.json`);
    assert.deepEqual(stored.stored, { keyId: "work", name: "work laptop", type: "manual" });
    // The key is not enumerable: printing the credential never shows it.
    for (const c of [arg, fromEnv, fromCmd, stored]) {
      assert.ok(!JSON.stringify(c).includes(c.apiKey.trim()), JSON.stringify(c));
    }
    // A malformed explicit key falls back to the command; without one it is an error, and the
    // stored default is not consulted.
    const bad = await resolveCredential({ apiKey: "sk-bad", env: env(noKey) });
    assert.equal(bad.source, "TINKER_CREDENTIAL_CMD");
    await assert.rejects(
      resolveCredential({ apiKey: "sk-bad", env: env({ HOME: home }) }),
      (e) =>
        e instanceof ConfigError && /malformed/.test(e.message) && !e.message.includes("sk-bad"),
    );
    await assert.rejects(
      resolveCredential({ env: env({}) }),
      (e) =>
        e instanceof ConfigError && /no API key/.test(e.message) &&
        /TINKER_CREDENTIAL_CMD/.test(e.message) && /tinker auth login/.test(e.message),
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("TINKER_CREDENTIAL_CMD: failures are ConfigErrors that never show the output", async () => {
  const env = (cmd: string) => (n: string) => n === "TINKER_CREDENTIAL_CMD" ? cmd : undefined;
  const cases: [string, RegExp][] = [
    [sh(`echo ${SECRET_OUTPUT}; echo ${SECRET_OUTPUT}-err >&2; exit 3`), /exited with 3/],
    [sh('printf "   \\n"'), /printed no credential/],
    [sh(`echo ${SECRET_OUTPUT} second-word`), /more than one word/],
    ["/nonexistent/credential-helper", /exited with 127/],
  ];
  for (const [cmd, why] of cases) {
    const err = await resolveCredential({ env: env(cmd) }).catch((e) => e);
    assert.ok(err instanceof ConfigError, `${cmd}: ${err}`);
    assert.match(err.message, why);
    assert.match(err.message, /TINKER_CREDENTIAL_CMD/);
    assert.ok(!err.message.includes(SECRET_OUTPUT), err.message);
  }
});

Deno.test("credentials file: dangling default, bad JSON, loose permissions", async () => {
  const dangling = await fakeHome({ version: 1, default: "gone", keys: {} });
  const broken = await fakeHome(`{"version": 1, "default": "x", "keys": {"x": {"key": "${STORED}"`);
  const loose = await fakeHome(undefined, { dir: 0o755, file: 0o644 });
  const malformed = await fakeHome({ default: "k", keys: { k: { type: "manual", key: "sk-1" } } });
  try {
    const at = (home: string) => (n: string) => n === "HOME" ? home : undefined;
    await assert.rejects(resolveCredential({ env: at(dangling) }), /no API key/);
    const err = await resolveCredential({ env: at(broken) }).catch((e) => e);
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /credentials\.json: it is not valid JSON/);
    assert.ok(!err.message.includes(STORED));
    await assert.rejects(resolveCredential({ env: at(malformed) }), /default key .* is malformed/);
    // Loose permissions: read like the SDK does, with a warning naming the fix.
    const warnings: string[] = [];
    const c = await resolveCredential({ env: at(loose), onWarning: (w) => warnings.push(w) });
    assert.equal(c.apiKey, STORED);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /can be read by other users \(file 644, directory 755\).*chmod 600/);
    const tight: string[] = [];
    await resolveCredential({ env: at(dangling), onWarning: (w) => tight.push(w) }).catch(() => {});
    assert.deepEqual(tight, []);
  } finally {
    for (const d of [dangling, broken, loose, malformed]) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("configFromEnv and the CLI use the stored default and the command, end to end", async () => {
  const server = await serve({
    seed: true,
    port: 0,
    apiKeys: [STORED, "tml-second", "tml-from-command"],
  });
  const home = await fakeHome();
  try {
    const env = { HOME: home, TINKER_BASE_URL: server.baseUrl };
    // The file is read at the first request, not when the config is made.
    const config: TinkerConfig = configFromEnv({}, { env });
    assert.equal(config.apiKey, undefined);
    const page = await listUserCheckpoints(config);
    assert.ok(page.checkpoints.length > 0, "the stored key is alice's: she owns the seed");
    const viaCmd = configFromEnv({}, {
      env: { ...env, TINKER_CREDENTIAL_CMD: "echo tml-from-command" },
    });
    const other = await listUserCheckpoints(viaCmd);
    assert.equal(other.checkpoints.length, 0, "the command's key is the third user's");

    const cli = await runCliInProcess(["checkpoint", "list", "--json"], env);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).checkpoints.length, Math.min(20, page.cursor!.total_count));
    const failing = await runCliInProcess(["checkpoint", "list"], {
      ...env,
      TINKER_CREDENTIAL_CMD: sh(`echo ${SECRET_OUTPUT}; exit 1`),
    });
    assert.equal(failing.code, 1);
    assert.match(
      failing.stderr,
      /Cannot get a credential from TINKER_CREDENTIAL_CMD: it exited with 1/,
    );
    assert.ok(!failing.stderr.includes(SECRET_OUTPUT) && !failing.stdout.includes(SECRET_OUTPUT));
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("TINKER_CREDENTIAL_CMD is bounded: output over 64 KiB, and a command that hangs", async () => {
  const { runCredentialCommand } = await import("../src/client/credentials/local_io.ts");
  await assert.rejects(
    runCredentialCommand(sh("head -c 70000 /dev/zero | tr '\\0' a")),
    (e) => e instanceof ConfigError && /more than 64 KiB/.test(e.message),
  );
  await assert.rejects(
    runCredentialCommand("sleep 30", 200),
    (e) => e instanceof ConfigError && /did not finish within 0.2 s/.test(e.message),
  );
});

Deno.test("CLI: a stored or command credential echoed by a hostile server is redacted", async () => {
  const { startRecordingServer, json } = await import("./_recording_server.ts");
  const srv = startRecordingServer((r) =>
    json({ detail: `bad key ${r.headers.get("x-api-key")}` }, 401)
  );
  const home = await fakeHome();
  try {
    const envs: Record<string, string>[] = [
      { HOME: home, TINKER_BASE_URL: srv.baseUrl },
      { TINKER_CREDENTIAL_CMD: "echo tml-secret-from-cmd", TINKER_BASE_URL: srv.baseUrl },
    ];
    for (const env of envs) {
      const run = await runCliInProcess(["checkpoint", "list"], env);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /bad key \*\*\* \(HTTP 401\)/);
      for (const secret of [STORED, "tml-secret-from-cmd"]) {
        assert.ok(!run.stderr.includes(secret) && !run.stdout.includes(secret), run.stderr);
      }
    }
  } finally {
    await srv.close();
    await Deno.remove(home, { recursive: true });
  }
});
