/**
 * The CLI installed from a clone with `deno install` (as the README says) runs from anywhere:
 * with `--config deno.json` it keeps the import map (without it, `modern-tar` is "not a
 * dependency").
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../server.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

Deno.test("deno install from a clone: the tinkex it installs lists checkpoints from another directory", async () => {
  const root = await Deno.makeTempDir({ prefix: "tinkex-install-" });
  const server = await serve({ seed: true });
  try {
    const install = await new Deno.Command(Deno.execPath(), {
      args: [
        "install",
        "-g",
        "-A",
        "-n",
        "tinkex",
        "--root",
        root,
        "--config",
        "deno.json",
        "./cli.ts",
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(install.success, new TextDecoder().decode(install.stderr));
    const run = await new Deno.Command(join(root, "bin", "tinkex"), {
      args: ["checkpoint", "list", "--json"],
      cwd: root, // not the clone: no deno.json to find
      env: {
        PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`,
        TINKER_BASE_URL: server.baseUrl,
        TINKER_API_KEY: server.apiKeys[0],
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, stderr);
    const listed = JSON.parse(new TextDecoder().decode(run.stdout));
    assert.ok(listed.checkpoints.length > 0);
  } finally {
    await server.close();
    await Deno.remove(root, { recursive: true });
  }
});
