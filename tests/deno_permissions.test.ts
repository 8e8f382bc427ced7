// download() under Deno with only the permissions it needs: the network, the environment, and
// reading and writing its output directory (no --allow-sys, no --allow-run, no other path). What
// it lacks is a typed error that names the permission, not a raw NotCapable.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { serve } from "../server.ts";

const CHILD = fileURLToPath(new URL("./_permissions_child.ts", import.meta.url));
const CONFIG = fileURLToPath(new URL("../deno.json", import.meta.url));

interface Outcome {
  ok: boolean;
  destination?: string;
  files?: number;
  name?: string;
  message?: string;
}

async function downloadWith(
  permissions: string[],
  env: Record<string, string>,
  path: string,
  outputDir: string,
): Promise<Outcome> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--config", CONFIG, ...permissions, CHILD, path, outputDir],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(stdout.split("\n").at(-1)!);
}

async function withServer(
  fn: (env: Record<string, string>, path: string, dir: string) => Promise<void>,
) {
  const server = await serve({ seed: true });
  const dir = await Deno.makeTempDir({ prefix: "tinkex-perm-" });
  try {
    const listed = await (await fetch(`${server.baseUrl}/api/v1/checkpoints?limit=1`, {
      headers: { "X-API-Key": server.apiKeys[0] },
    })).json();
    const env = {
      TINKER_BASE_URL: server.baseUrl,
      TINKER_API_KEY: server.apiKeys[0],
      HOME: dir,
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
      PATH: Deno.env.get("PATH") ?? "",
    };
    await fn(env, listed.checkpoints[0].tinker_path, dir);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Deno: download() needs only --allow-net, --allow-env and its output directory", async () => {
  await withServer(async (env, path, dir) => {
    const out = `${dir}/out`;
    await Deno.mkdir(out);
    const r = await downloadWith(
      ["--allow-net=127.0.0.1", "--allow-env", `--allow-read=${out}`, `--allow-write=${out}`],
      env,
      path,
      out,
    );
    assert.ok(r.ok, `${r.name}: ${r.message}`);
    assert.ok(r.files! >= 3);
    const left = [...Deno.readDirSync(out)].map((e) => e.name);
    assert.deepEqual(left, [r.destination!.slice(out.length + 1)], "no temporary left beside it");
    assert.ok(Deno.statSync(`${r.destination}/adapter_config.json`).isFile);
  });
});

Deno.test("Deno: an output directory it may not write is a FileSystemError naming the permission", async () => {
  await withServer(async (env, path, dir) => {
    const r = await downloadWith(
      ["--allow-net=127.0.0.1", "--allow-env", `--allow-read=${dir}/elsewhere`],
      env,
      path,
      `${dir}/out`,
    );
    assert.equal(r.ok, false);
    assert.equal(r.name, "FileSystemError");
    assert.match(r.message!, /permissions do not allow it \(Deno: --allow-read and --allow-write/);
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing was created");
  });
});

Deno.test("Deno: a credentials file it may not read is a ConfigError naming the permission", async () => {
  await withServer(async (env, path, dir) => {
    await Deno.mkdir(`${dir}/.tinker`);
    await Deno.writeTextFile(`${dir}/.tinker/credentials.json`, '{"api_key": "tml-x"}');
    const { TINKER_API_KEY: _, ...noKey } = env;
    const out = `${dir}/out`;
    const r = await downloadWith(
      ["--allow-net=127.0.0.1", "--allow-env", `--allow-read=${out}`, `--allow-write=${out}`],
      noKey,
      path,
      out,
    );
    assert.equal(r.ok, false);
    assert.equal(r.name, "ConfigError");
    assert.match(r.message!, /credentials\.json: the runtime's permissions do not allow it/);
    assert.match(r.message!, /under Deno grant --allow-read for it, or set TINKER_API_KEY/);
  });
});
