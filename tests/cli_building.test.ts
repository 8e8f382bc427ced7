/**
 * While the service builds an archive (503), `checkpoint download` and `checkpoint url` say so on
 * stderr, wait as the server asks, and then succeed.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { listUserCheckpoints } from "../mod.ts";
import { serve } from "../server.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));

Deno.test("download and url tell the user the archive is being built, then succeed", async () => {
  const server = await serve({ seed: true, archiveBuildDelayMs: 400 });
  const out = await Deno.makeTempDir({ prefix: "tinkex-cli-building-" });
  try {
    const env = { TINKER_BASE_URL: server.baseUrl, TINKER_API_KEY: server.apiKeys[0] };
    const { checkpoints } = await listUserCheckpoints({
      apiKey: env.TINKER_API_KEY,
      baseUrl: env.TINKER_BASE_URL,
    });
    for (
      const args of [["download", checkpoints[0].tinker_path, "-o", out], [
        "url",
        checkpoints[1].tinker_path,
      ]]
    ) {
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", CLI, "checkpoint", ...args],
        env: { ...env, NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(r.stderr);
      assert.equal(r.code, 0, stderr);
      assert.match(
        stderr,
        /still building the archive \(this can take minutes\); asking again in 0\.\d s/,
      );
    }
  } finally {
    await server.close();
    await Deno.remove(out, { recursive: true });
  }
});
