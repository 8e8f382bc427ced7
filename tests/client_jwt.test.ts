// JWT auth end to end: `tinkex serve` with JWT auth on/required, reached through a recording
// front (a real HTTP server forwarding to the real handler), so the test sees every request.
import assert from "node:assert/strict";
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  getApiKeyInfo,
  JwtUnavailableError,
  listTrainingRuns,
  listUserCheckpoints,
  type TinkerConfig,
  whoami,
} from "../mod.ts";
import { createHandler, type ServerOptions } from "../server.ts";
import { runCliInProcess } from "./_cli_helpers.ts";

const ALICE = "tml-jwt-alice-key";
const BOB = "tml-jwt-bob-key";

interface Front {
  baseUrl: string;
  /** `METHOD path credential-kind` of every request. */
  seen: string[];
  close(): Promise<void>;
}

async function front(
  options: ServerOptions,
): Promise<Front & { swap(): Promise<void>; failExchanges(on: boolean): void }> {
  let failExchange = false;
  const handlers = [await createHandler({ apiKeys: [ALICE, BOB], seed: true, ...options })];
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const key = req.headers.get("x-api-key") ?? "";
    const kind = key.startsWith("eyJ") ? "jwt" : key.startsWith("tml-") ? "key" : "none";
    seen.push(`${req.method} ${new URL(req.url).pathname} ${kind}`);
    if (failExchange && new URL(req.url).pathname === "/api/v1/auth/token") {
      return Response.json({ detail: "exchange down" }, { status: 503 });
    }
    return handlers.at(-1)!.fetch(req);
  });
  return {
    baseUrl: `http://127.0.0.1:${server.addr.port}`,
    seen,
    /** Put a fresh server (another signing secret) behind the same URL. */
    async swap() {
      handlers.push(await createHandler({ apiKeys: [ALICE, BOB], seed: true, ...options }));
    },
    /** Make `POST /api/v1/auth/token` answer 503 (or work again). */
    failExchanges(on: boolean) {
      failExchange = on;
    },
    async close() {
      await server.shutdown();
      for (const h of handlers) await h.close();
    },
  };
}

const count = (seen: string[], line: string) => seen.filter((s) => s === line).length;

Deno.test("JWT required: discovered once, exchanged once for concurrent calls, then sent", async () => {
  const f = await front({ jwtAuth: "required" });
  try {
    const config: TinkerConfig = { apiKey: ALICE, baseUrl: f.baseUrl, auth: "auto" };
    const pages = await Promise.all(Array.from({ length: 8 }, () => listUserCheckpoints(config)));
    assert.ok(pages.every((p) => p.checkpoints.length > 0));
    // Another config with the same key and URL: the same process-wide state.
    await listTrainingRuns({ apiKey: ALICE, baseUrl: f.baseUrl, auth: "auto" });
    assert.equal(count(f.seen, "POST /api/v1/client/config key"), 1);
    assert.equal(count(f.seen, "POST /api/v1/auth/token key"), 1);
    assert.equal(count(f.seen, "GET /api/v1/checkpoints jwt"), 8);
    assert.equal(count(f.seen, "GET /api/v1/training_runs jwt"), 1);
    assert.ok(
      !f.seen.some((s) => s.endsWith("checkpoints key")),
      "the key is never sent to the API",
    );

    // The plain key alone is refused, with a message that says what to do.
    const err = await listUserCheckpoints({ apiKey: BOB, baseUrl: f.baseUrl, maxRetries: 0 })
      .catch((e) => e);
    assert.ok(err instanceof AuthenticationError);
    assert.match(
      err.message,
      /requires JWT auth: exchange the API key at POST \/api\/v1\/auth\/token/,
    );
    // auth: "jwt" exchanges without asking.
    const before = f.seen.length;
    await listUserCheckpoints({ apiKey: BOB, baseUrl: f.baseUrl, auth: "jwt" });
    assert.deepEqual(f.seen.slice(before), [
      "POST /api/v1/auth/token key",
      "GET /api/v1/checkpoints jwt",
    ]);
  } finally {
    await f.close();
  }
});

Deno.test("JWT: a token close to expiry is replaced before it is used again", async () => {
  // 120 s of life is inside the 300 s refresh margin: every call exchanges anew.
  const short = await front({ jwtAuth: "on", jwtTtlSeconds: 120 });
  const long = await front({ jwtAuth: "on", jwtTtlSeconds: 3600 });
  try {
    for (const f of [short, long]) {
      const config: TinkerConfig = { apiKey: ALICE, baseUrl: f.baseUrl, auth: "auto" };
      for (let i = 0; i < 3; i++) await listUserCheckpoints(config);
    }
    assert.equal(count(short.seen, "POST /api/v1/auth/token key"), 3);
    assert.equal(count(long.seen, "POST /api/v1/auth/token key"), 1);
    assert.equal(count(short.seen, "GET /api/v1/checkpoints jwt"), 3);
  } finally {
    await short.close();
    await long.close();
  }
});

Deno.test("JWT off: auto keeps the key; whoami needs a JWT; getApiKeyInfo uses the key", async () => {
  const off = await front({});
  const on = await front({ jwtAuth: "required" });
  try {
    const plain: TinkerConfig = { apiKey: ALICE, baseUrl: off.baseUrl, auth: "auto" };
    await listUserCheckpoints(plain);
    assert.deepEqual(off.seen, ["POST /api/v1/client/config key", "GET /api/v1/checkpoints key"]);
    await assert.rejects(whoami(plain), JwtUnavailableError);

    const jwt: TinkerConfig = { apiKey: BOB, baseUrl: on.baseUrl, auth: "auto" };
    const me = await whoami(jwt);
    assert.match(me.user_urn, /^tml:organization_user:user-[0-9a-f]{12}$/);
    assert.equal(me.email, `${me.user_urn.split(":").pop()}@tinkex.local`);
    const info = await getApiKeyInfo(jwt);
    assert.equal(info.key_id, 2);
    assert.equal(info.details.user_details.email, me.email);
    assert.equal(on.seen.at(-1), "GET /api/v1/auth/apikey/me key", "sent with the key itself");
  } finally {
    await off.close();
    await on.close();
  }
});

Deno.test("JWT: the CLI follows the server and TINKER_CREDENTIAL_CMD runs for each exchange", async () => {
  const f = await front({ jwtAuth: "required", jwtTtlSeconds: 60 });
  const dir = await Deno.makeTempDir({ prefix: "tinkex-jwt-cmd-" });
  try {
    const cli = await runCliInProcess(["run", "list", "--json"], {
      TINKER_API_KEY: ALICE,
      TINKER_BASE_URL: f.baseUrl,
    });
    assert.equal(cli.code, 0, cli.stderr);
    assert.ok(JSON.parse(cli.stdout).training_runs.length > 0);
    // Each run of the command appends a line, so the file counts the exchanges.
    const log = `${dir}/runs`;
    const { configFromEnv } = await import("../mod.ts");
    const config = configFromEnv({}, {
      env: { TINKER_CREDENTIAL_CMD: `echo x >> ${log}; echo ${ALICE}`, TINKER_BASE_URL: f.baseUrl },
    });
    await listUserCheckpoints(config);
    await listUserCheckpoints(config);
    const runs = (await Deno.readTextFile(log)).trim().split("\n").length;
    // Once for the discovery (cached), then once per exchange (a 60 s JWT is always renewed).
    assert.equal(runs, 3);
    assert.equal(count(f.seen, "GET /api/v1/checkpoints jwt"), 2);
  } finally {
    await f.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JWT: a JWT the server refuses is dropped, so the next call exchanges again", async () => {
  const f = await front({ jwtAuth: "required" });
  try {
    const config: TinkerConfig = { apiKey: ALICE, baseUrl: f.baseUrl, auth: "jwt", maxRetries: 0 };
    await listUserCheckpoints(config);
    await f.swap(); // the old JWT's signature no longer verifies
    const err = await listUserCheckpoints(config).catch((e) => e);
    assert.ok(err instanceof AuthenticationError);
    assert.match(err.message, /Invalid JWT/);
    await listUserCheckpoints(config);
    assert.equal(count(f.seen, "POST /api/v1/auth/token key"), 2);
  } finally {
    await f.close();
  }
});

Deno.test("JWT: a failed renewal keeps using the JWT while it is still valid", async () => {
  // 120 s of life: every call tries to renew; the JWT itself stays valid meanwhile.
  const f = await front({ jwtAuth: "required", jwtTtlSeconds: 120 });
  try {
    const config: TinkerConfig = { apiKey: ALICE, baseUrl: f.baseUrl, auth: "jwt", maxRetries: 0 };
    await listUserCheckpoints(config);
    f.failExchanges(true);
    const page = await listUserCheckpoints(config);
    assert.ok(page.checkpoints.length > 0);
    assert.deepEqual(f.seen.slice(-2), [
      "POST /api/v1/auth/token key",
      "GET /api/v1/checkpoints jwt",
    ]);
    // With no JWT yet, a failing exchange is the error.
    const fresh: TinkerConfig = { apiKey: BOB, baseUrl: f.baseUrl, auth: "jwt", maxRetries: 0 };
    await assert.rejects(listUserCheckpoints(fresh), /503/);
  } finally {
    await f.close();
  }
});

Deno.test("auto: a server that will not answer client/config (404, 400, 500) is sent the key", async () => {
  const { startRecordingServer, json } = await import("./_recording_server.ts");
  for (const status of [404, 400, 500]) {
    const srv = startRecordingServer((r) =>
      r.path === "/api/v1/client/config"
        ? json({ detail: "no" }, status)
        : json({ checkpoints: [] })
    );
    try {
      const config: TinkerConfig = {
        apiKey: ALICE,
        baseUrl: srv.baseUrl,
        auth: "auto",
        maxRetries: 0,
      };
      await listUserCheckpoints(config);
      await listUserCheckpoints(config);
      assert.deepEqual(
        srv.requests.map((r) => `${r.method} ${r.path} ${r.headers.get("x-api-key")}`),
        [
          `POST /api/v1/client/config ${ALICE}`,
          `GET /api/v1/checkpoints ${ALICE}`,
          `GET /api/v1/checkpoints ${ALICE}`,
        ],
        `client/config ${status}: asked once, then the key`,
      );
    } finally {
      await srv.close();
    }
  }
});

Deno.test("JWT: a server echoing the credentials (command output, JWT) never gets them into an error", async () => {
  const secret = "tml-echoed-command-credential";
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const jwt = `eyJhbGciOiJub25lIn0.${
    btoa(JSON.stringify({ sub: "u", exp })).replace(/=+$/, "")
  }.c2ln`;
  let exchanged = "";
  const hostile = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    const key = req.headers.get("x-api-key") ?? "";
    if (path === "/api/v1/client/config") return Response.json({ pjwt_auth_enabled: true });
    if (path === "/api/v1/auth/token") {
      exchanged = key;
      return Response.json({ jwt });
    }
    const echo = `you sent ${key}, exchanged ${exchanged}`;
    // One route answers 200 with text that is not JSON (JSON.parse quotes it), the others 400.
    if (path === "/api/v1/training_runs") return new Response(echo, { status: 200 });
    return Response.json({ detail: echo, nested: [{ [exchanged]: key }] }, { status: 400 });
  });
  const baseUrl = `http://127.0.0.1:${hostile.addr.port}`;
  const env = { TINKER_CREDENTIAL_CMD: `echo ${secret}`, TINKER_BASE_URL: baseUrl };
  const chain = (e: unknown): string => {
    const parts: string[] = [];
    for (let c = e; c instanceof Error; c = c.cause) {
      parts.push(String(c), c.stack ?? "", JSON.stringify(c), Deno.inspect(c, { depth: 9 }));
      parts.push(JSON.stringify((c as { body?: unknown }).body ?? null));
    }
    return parts.join("\n");
  };
  try {
    const { configFromEnv } = await import("../mod.ts");
    const config = configFromEnv({ maxRetries: 0 }, { env });
    const echoed = await listUserCheckpoints(config).catch((e) => e);
    assert.ok(echoed instanceof BadRequestError);
    assert.match(chain(echoed), /you sent \*\*\*, exchanged \*\*\*/);
    const malformed = await listTrainingRuns(config).catch((e) => e);
    assert.ok(malformed instanceof ConnectionError);
    assert.match(chain(malformed), /Malformed JSON from: GET .* not valid JSON/);
    for (const text of [chain(echoed), chain(malformed)]) {
      // Not even the start of either (JSON.parse quotes the first 10 characters).
      for (const s of [secret, jwt]) assert.ok(!text.includes(s.slice(0, 8)), text);
    }
    const cli = await runCliInProcess(["checkpoint", "list"], env);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /you sent \*\*\*, exchanged \*\*\*/);
    assert.ok(!cli.stderr.includes(jwt) && !cli.stderr.includes(secret), cli.stderr);
  } finally {
    await hostile.shutdown();
  }
});
