// `credential_default_source` of client config, followed as the official SDK does
// (`lib/_auth_token_provider.py` resolve_auth_provider(api_key, enforce_cmd)): with
// `credential_cmd` and JWT auth on, the credential exchanged for a JWT is a key that is itself a
// JWT, else what TINKER_CREDENTIAL_CMD prints (run for real, through the shell), else a
// ConfigError with the SDK's message — a tml- key never counts. Against `tinkex serve` (handler and
// process) on 127.0.0.1; variables are passed explicitly, the process env is never touched.
import assert from "node:assert/strict";
import {
  ConfigError,
  configFromEnv,
  getClientConfig,
  listTrainingRuns,
  resolveCredential,
  whoami,
} from "../mod.ts";
import { createHandler, type ServerOptions } from "../server.ts";
import { json, startRecordingServer } from "./_recording_server.ts";
import { runCliInProcess, runCliProcess } from "./_cli_helpers.ts";
import { startServeProcess } from "./_serve_process.ts";

const ALICE = "tml-credsrc-alice-key";
const BOB = "tml-credsrc-bob-key";
const SDK_MESSAGE =
  "Your organization requires dynamic credentials — set TINKER_CREDENTIAL_CMD to a command that prints a valid credential.";
/** A JWT-shaped key (the SDK uses such a key as is, even when the command is enforced). */
const JWT_KEY = `eyJhbGciOiJub25lIn0.${
  btoa(JSON.stringify({ sub: "tml:organization_user:jwt-key", exp: 4102444800 })).replace(/=+$/, "")
}.c2ln`;

const vars = (v: Record<string, string>) => (name: string) => v[name];

/** A fake HOME whose credentials file has `key` as the stored default. */
async function homeWith(key: string): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "tinkex-credsrc-home-" });
  await Deno.mkdir(`${home}/.tinker`, { mode: 0o700 });
  const doc = { version: 1, default: "k", keys: { k: { type: "manual", key, name: "k" } } };
  await Deno.writeTextFile(`${home}/.tinker/credentials.json`, JSON.stringify(doc), {
    mode: 0o600,
  });
  return home;
}

/** `tinkex serve`'s handler behind a front that records `path who` (who: alice, bob, jwt). */
async function front(options: ServerOptions) {
  const handler = await createHandler({ apiKeys: [ALICE, BOB], seed: true, ...options });
  const seen: string[] = [];
  const who = (key: string) =>
    key === ALICE ? "alice" : key === BOB ? "bob" : key.startsWith("eyJ") ? "jwt" : "other";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    seen.push(`${new URL(req.url).pathname} ${who(req.headers.get("x-api-key") ?? "")}`);
    return handler.fetch(req);
  });
  return {
    baseUrl: `http://127.0.0.1:${server.addr.port}`,
    seen,
    async close() {
      await server.shutdown();
      await handler.close();
    },
  };
}

Deno.test("credential_cmd rule: the command wins over any tml- key; a JWT key wins over the command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tinkex-credsrc-" });
  const storedTml = await homeWith("tml-stored-default-key");
  const storedJwt = await homeWith(JWT_KEY);
  try {
    const log = `${dir}/runs`;
    const cmd = `echo run >> ${log}; printf '  %s\\n' ${BOB}`;
    const enforced = (apiKey: string | undefined, v: Record<string, string>) =>
      resolveCredential({ apiKey, env: vars(v), credentialDefaultSource: "credential_cmd" });
    const cases: [string | undefined, Record<string, string>, string, string][] = [
      // [explicit key, variables, expected source, expected credential]
      [ALICE, { TINKER_CREDENTIAL_CMD: cmd }, "TINKER_CREDENTIAL_CMD", BOB],
      [
        undefined,
        { TINKER_API_KEY: ALICE, TINKER_CREDENTIAL_CMD: cmd },
        "TINKER_CREDENTIAL_CMD",
        BOB,
      ],
      ["sk-malformed", { TINKER_CREDENTIAL_CMD: cmd }, "TINKER_CREDENTIAL_CMD", BOB],
      // The stored default is not consulted while a command is set.
      [undefined, { HOME: storedJwt, TINKER_CREDENTIAL_CMD: cmd }, "TINKER_CREDENTIAL_CMD", BOB],
      [JWT_KEY, { TINKER_CREDENTIAL_CMD: cmd }, "argument", JWT_KEY],
      [
        undefined,
        { TINKER_API_KEY: JWT_KEY, TINKER_CREDENTIAL_CMD: cmd },
        "TINKER_API_KEY",
        JWT_KEY,
      ],
      [undefined, { HOME: storedJwt }, "credentials_file", JWT_KEY],
    ];
    for (const [apiKey, v, source, key] of cases) {
      const found = await enforced(apiKey, v);
      assert.deepEqual([found.source, found.apiKey], [source, key], JSON.stringify([apiKey, v]));
    }
    // The command ran for the four cases that use it, and not for a JWT key.
    assert.equal((await Deno.readTextFile(log)).trim().split("\n").length, 4);

    // No command and no JWT key: the SDK's error, whatever tml- key there is.
    for (
      const [apiKey, v] of [
        [ALICE, {}],
        [undefined, { TINKER_API_KEY: ALICE }],
        [undefined, { HOME: storedTml }],
        [undefined, {}],
      ] as [string | undefined, Record<string, string>][]
    ) {
      await assert.rejects(
        enforced(apiKey, v),
        (e) => e instanceof ConfigError && e.message === SDK_MESSAGE,
        JSON.stringify([apiKey, v]),
      );
    }
    // The usual order is untouched: the key wins over the command.
    const usual = await resolveCredential({
      env: vars({ TINKER_API_KEY: ALICE, TINKER_CREDENTIAL_CMD: cmd }),
    });
    assert.equal(usual.source, "TINKER_API_KEY");
  } finally {
    for (const d of [dir, storedTml, storedJwt]) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("credential_cmd server: the command's credential is exchanged although TINKER_API_KEY is set", async () => {
  const enforcing = await front({ jwtAuth: "required", credentialDefaultSource: "credential_cmd" });
  const usual = await front({ jwtAuth: "required" });
  const dir = await Deno.makeTempDir({ prefix: "tinkex-credsrc-" });
  try {
    assert.deepEqual(
      [await getClientConfig({ apiKey: ALICE, baseUrl: enforcing.baseUrl })].map((f) => [
        f.pjwt_auth_enabled,
        f.credential_default_source,
      ]),
      [[true, "credential_cmd"]],
    );
    const log = `${dir}/runs`;
    const env = (baseUrl: string) => ({
      TINKER_API_KEY: ALICE,
      TINKER_CREDENTIAL_CMD: `echo run >> ${log}; echo ${BOB}`,
      TINKER_BASE_URL: baseUrl,
    });
    const config = configFromEnv({ auth: "auto" }, { env: env(enforcing.baseUrl) });
    const me = await whoami(config);
    await listTrainingRuns(config);
    // Asked once (shared with getClientConfig) with the usual credential, TINKER_API_KEY;
    // exchanged with the command's (bob).
    assert.deepEqual(enforcing.seen, [
      "/api/v1/client/config alice",
      "/api/v1/auth/token bob",
      "/api/v1/training_runs jwt",
    ]);
    // auth: "jwt" does not ask, so it exchanges the key it is given.
    const bob = await whoami({ apiKey: BOB, baseUrl: enforcing.baseUrl, auth: "jwt" });
    const alice = await whoami({ apiKey: ALICE, baseUrl: enforcing.baseUrl, auth: "jwt" });
    assert.equal(me.user_urn, bob.user_urn, "the JWT is bob's");
    assert.notEqual(me.user_urn, alice.user_urn);
    assert.equal(
      (await Deno.readTextFile(log)).trim(),
      "run",
      "the command ran once, for the exchange",
    );

    // The default source (api_key): the same variables exchange TINKER_API_KEY.
    const plain = configFromEnv({ auth: "auto" }, { env: env(usual.baseUrl) });
    await listTrainingRuns(plain);
    assert.ok(usual.seen.includes("/api/v1/auth/token alice"), usual.seen.join("\n"));
  } finally {
    await enforcing.close();
    await usual.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("credential_cmd server without TINKER_CREDENTIAL_CMD: the SDK's ConfigError, the key never exchanged", async () => {
  const f = await front({ jwtAuth: "on", credentialDefaultSource: "credential_cmd" });
  try {
    const fromEnv = configFromEnv({ auth: "auto", maxRetries: 0 }, {
      env: { TINKER_API_KEY: ALICE, TINKER_BASE_URL: f.baseUrl },
    });
    const err = await listTrainingRuns(fromEnv).catch((e) => e);
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.message, SDK_MESSAGE);
    // A plain config has no command: it says how to give one.
    const plain = await listTrainingRuns({ apiKey: ALICE, baseUrl: f.baseUrl, auth: "auto" })
      .catch((e) => e);
    assert.ok(plain instanceof ConfigError);
    assert.ok(plain.message.startsWith(SDK_MESSAGE), plain.message);
    assert.match(plain.message, /getDynamicCredential/);
    for (const e of [err, plain]) assert.ok(!e.message.includes(ALICE));
    assert.deepEqual(f.seen, ["/api/v1/client/config alice"], "asked once, nothing exchanged");

    // With { getDynamicCredential } the plain config works; and `jwtAuth: on` still takes the
    // key itself (the rule is about the exchange only).
    const given = { apiKey: ALICE, baseUrl: f.baseUrl, auth: "auto" as const };
    await listTrainingRuns({ ...given, getDynamicCredential: () => Promise.resolve(BOB) });
    assert.equal(f.seen.at(-2), "/api/v1/auth/token bob");
    // Bob's JWT is kept for that source only: the same key without it is still refused.
    await assert.rejects(listTrainingRuns(given), ConfigError);
    await listTrainingRuns({ ...given, auth: "api-key" });
    assert.equal(f.seen.at(-1), "/api/v1/training_runs alice");
  } finally {
    await f.close();
  }
});

Deno.test("credential_cmd: a key that is a JWT is exchanged as is and the command does not run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tinkex-credsrc-" });
  const srv = startRecordingServer((r) =>
    r.path === "/api/v1/client/config"
      ? json({ pjwt_auth_enabled: true, credential_default_source: "credential_cmd" })
      : r.path === "/api/v1/auth/token"
      ? json({ jwt: JWT_KEY })
      : json({ training_runs: [], cursor: { offset: 0, limit: 20, total_count: 0 } })
  );
  try {
    const log = `${dir}/runs`;
    const withKey = (key: string) =>
      configFromEnv({ auth: "auto" }, {
        env: {
          TINKER_API_KEY: key,
          TINKER_CREDENTIAL_CMD: `echo run >> ${log}; echo ${BOB}`,
          TINKER_BASE_URL: srv.baseUrl,
        },
      });
    const config = withKey(JWT_KEY);
    await listTrainingRuns(config);
    assert.deepEqual(srv.requests.map((r) => [r.path, r.headers.get("x-api-key")]), [
      ["/api/v1/client/config", JWT_KEY],
      ["/api/v1/auth/token", JWT_KEY],
      ["/api/v1/training_runs", JWT_KEY],
    ]);
    await assert.rejects(Deno.stat(log), Deno.errors.NotFound);
    // A tml- key in its place does not count: the command runs and its credential is exchanged.
    const tml = withKey(ALICE);
    await listTrainingRuns(tml);
    assert.deepEqual(srv.requests.slice(3).map((r) => [r.path, r.headers.get("x-api-key")]), [
      ["/api/v1/client/config", ALICE],
      ["/api/v1/auth/token", BOB],
      ["/api/v1/training_runs", JWT_KEY],
    ]);
    assert.equal(await Deno.readTextFile(log), "run\n");
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tinkex serve --credential-source credential_cmd: the CLI and auth status follow it", async () => {
  const refused = await runCliInProcess(["serve", "--credential-source", "credential_cmd"], {});
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /--credential-source credential_cmd needs JWT auth/);

  const server = await startServeProcess(
    [
      "--jwt",
      "required",
      "--credential-source",
      "credential_cmd",
      "--api-key",
      ALICE,
      "--api-key",
      BOB,
      "--seed",
    ],
    {},
    { json: false },
  );
  try {
    // The banner's export line sets the command, not TINKER_API_KEY.
    assert.match(
      server.bannerText,
      new RegExp(`export TINKER_BASE_URL=\\S+ TINKER_CREDENTIAL_CMD='printf %s ${ALICE}'\n`),
    );
    const env = { TINKER_API_KEY: ALICE, TINKER_BASE_URL: server.baseUrl };
    const status = await runCliProcess(["auth", "status", "--json"], {
      ...env,
      TINKER_CREDENTIAL_CMD: `printf %s ${BOB}`,
    });
    assert.equal(status.code, 0, status.stderr);
    const body = JSON.parse(status.stdout);
    assert.equal(body.credential.source, "TINKER_CREDENTIAL_CMD");
    assert.equal(body.credential_default_source, "credential_cmd");
    assert.equal(body.unused_credential.source, "TINKER_API_KEY");
    assert.equal(body.auth, "jwt");
    assert.equal(body.api_key.key_id, 2, "the key described is bob's, the one exchanged");

    const text = await runCliProcess(["auth", "status"], {
      ...env,
      TINKER_CREDENTIAL_CMD: `printf %s ${BOB}`,
    });
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /Source:\s+TINKER_CREDENTIAL_CMD \(its output\), as the server requires dynamic credentials/,
    );
    assert.match(text.stdout, /Not used:\s+TINKER_API_KEY \(tml-…-key\)/);

    // Without the command: the SDK's message, a hint, exit 1; status still says what it found.
    const missing = await runCliProcess(["auth", "status"], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /Source:\s+TINKER_API_KEY\n/);
    assert.match(missing.stdout, /Required:\s+the server requires dynamic credentials/);
    assert.ok(missing.stderr.includes(`Error: ${SDK_MESSAGE}`), missing.stderr);
    assert.match(missing.stderr, /TINKER_CREDENTIAL_CMD prints, or a key that is a JWT/);
    const listed = await runCliProcess(["run", "list"], env);
    assert.equal(listed.code, 1);
    assert.ok(listed.stderr.includes(SDK_MESSAGE), listed.stderr);
    for (const run of [status, text, missing, listed]) {
      assert.ok(!(run.stdout + run.stderr).includes(ALICE), "no key is printed");
      assert.ok(!(run.stdout + run.stderr).includes(BOB), "no credential is printed");
    }
  } finally {
    await server.stop();
  }
});

Deno.test("server: credential_default_source is announced only with JWT auth, and only its two values", async () => {
  await assert.rejects(
    createHandler({ credentialDefaultSource: "credential_cmd" }),
    /credentialDefaultSource credential_cmd needs jwtAuth on or required/,
  );
  await assert.rejects(
    createHandler({ jwtAuth: "on", credentialDefaultSource: "cmd" as "credential_cmd" }),
    /credentialDefaultSource must be api_key or credential_cmd, got cmd/,
  );
  const off = await front({});
  const on = await front({ jwtAuth: "on" });
  try {
    const flags = await getClientConfig({ apiKey: ALICE, baseUrl: off.baseUrl });
    assert.deepEqual(flags, { pjwt_auth_enabled: false, credential_default_source: "api_key" });
    // A server without the route: the defaults; other flags pass through.
    const srv = startRecordingServer((r) =>
      r.path === "/api/v1/client/config" && r.headers.get("x-api-key") === BOB
        ? json({ pjwt_auth_enabled: true, sample_no_retries: true })
        : json({ detail: "Not Found" }, 404)
    );
    try {
      assert.deepEqual(await getClientConfig({ apiKey: ALICE, baseUrl: srv.baseUrl }), {
        pjwt_auth_enabled: false,
        credential_default_source: "api_key",
      });
      assert.deepEqual(await getClientConfig({ apiKey: BOB, baseUrl: srv.baseUrl }), {
        pjwt_auth_enabled: true,
        credential_default_source: "api_key",
        sample_no_retries: true,
      });
    } finally {
      await srv.close();
    }
    const res = await fetch(`${on.baseUrl}/api/v1/client/config`, {
      method: "POST",
      headers: { "x-api-key": ALICE, "content-type": "application/json" },
      body: "{}",
    });
    assert.deepEqual(await res.json(), {
      pjwt_auth_enabled: true,
      credential_default_source: "api_key",
    });
  } finally {
    await off.close();
    await on.close();
  }
});
