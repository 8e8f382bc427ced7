// `tinkex auth status`: the credential in use (redacted), where it came from, and whether the
// server takes it — against `tinkex serve`, with HOME pointing at a temp dir.
import assert from "node:assert/strict";
import { serve } from "../server.ts";
import { runCliInProcess, runCliProcess } from "./_cli_helpers.ts";

const KEY = "tml-auth-status-secret-key";

/** Deno's own cache, so a CLI process with another HOME still finds its dependencies. */
async function denoDir(): Promise<string> {
  const { stdout } = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  return JSON.parse(new TextDecoder().decode(stdout)).denoDir;
}

Deno.test("auth status: stored default, env key under JWT auth, none, refused", async () => {
  const server = await serve({ port: 0, apiKeys: [KEY, "tml-auth-other-key"] });
  const jwtServer = await serve({ port: 0, apiKeys: [KEY], jwtAuth: "required" });
  const home = await Deno.makeTempDir({ prefix: "tinkex-home-" });
  try {
    await Deno.mkdir(`${home}/.tinker`, { mode: 0o700 });
    await Deno.writeTextFile(
      `${home}/.tinker/credentials.json`,
      JSON.stringify({
        version: 1,
        default: "7",
        keys: { "7": { type: "manual", key: KEY, name: "laptop" } },
      }),
      { mode: 0o600 },
    );
    const stored = await runCliProcess(["auth", "status"], {
      HOME: home,
      DENO_DIR: await denoDir(),
      TINKER_BASE_URL: server.baseUrl,
    });
    assert.equal(stored.code, 0, stored.stderr);
    assert.match(stored.stdout, /Credential:\s+tml-…-key/);
    assert.match(stored.stdout, /Source:\s+the credentials file of 'tinker auth login'/);
    assert.ok(stored.stdout.includes(`${home}/.tinker/credentials.json`));
    assert.match(stored.stdout, /Stored key:\s+7 "laptop" \(manual\)/);
    assert.match(stored.stdout, /Accessible:\s+yes/);
    assert.match(stored.stdout, /Auth:\s+API key/);
    assert.match(stored.stdout, /Key:\s+local-key-1 \(id 1\)/);
    assert.ok(!stored.stdout.includes(KEY) && !stored.stderr.includes(KEY), "the key is redacted");

    const jwt = await runCliInProcess(["auth", "status", "--json"], {
      TINKER_API_KEY: KEY,
      TINKER_BASE_URL: jwtServer.baseUrl,
    });
    assert.equal(jwt.code, 0, jwt.stderr);
    const body = JSON.parse(jwt.stdout);
    assert.equal(body.credential.source, "argument"); // the in-process runner passes --api-key
    assert.equal(body.auth, "jwt");
    assert.equal(body.accessible, true);
    assert.match(body.whoami.user_urn, /^tml:organization_user:/);
    assert.equal(body.api_key.details.user_details.email, body.whoami.email);
    assert.ok(!jwt.stdout.includes(KEY));

    const none = await runCliInProcess(["auth", "status"], { TINKER_BASE_URL: server.baseUrl });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no API key/);

    const refused = await runCliInProcess(["auth", "status"], {
      TINKER_API_KEY: "tml-not-known-to-the-server",
      TINKER_BASE_URL: server.baseUrl,
    });
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /Accessible:\s+no/);
    assert.match(refused.stderr, /does not work with .*401/);
    assert.ok(!refused.stdout.includes("tml-not-known-to-the-server"));
  } finally {
    await server.close();
    await jwtServer.close();
    await Deno.remove(home, { recursive: true });
  }
});
