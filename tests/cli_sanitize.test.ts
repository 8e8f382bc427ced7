// Server data cannot drive the terminal: control characters in names, base models and metadata
// (planted by whoever published a checkpoint) are shown escaped in tables and messages; --json
// stays exact.
import assert from "node:assert/strict";
import { escapeControls } from "../src/cli/sanitize.ts";
import { runCliInProcess } from "./_cli_helpers.ts";
import { json, startRecordingServer } from "./_recording_server.ts";

const EVIL_MODEL = "Qwen\x1b]0;pwned\x07\x1b[2J\u202egnp.exe";
const RUN = {
  training_run_id: "run\x1b[31m-1",
  base_model: EVIL_MODEL,
  model_owner: "mallory\r\nInjected line",
  is_lora: true,
  lora_rank: 8,
  corrupted: false,
  last_request_time: "2026-01-01T00:00:00Z",
  last_checkpoint: null,
  last_sampler_checkpoint: null,
  user_metadata: { note: "\x9b31m C1 CSI" },
};

Deno.test("escapeControls: C0, DEL, C1 and bidi controls become visible escapes", () => {
  assert.equal(escapeControls("a\x1b[2Jb"), "a\\x1b[2Jb");
  assert.equal(escapeControls("x\x07\x7f\x9b"), "x\\x07\\x7f\\x9b");
  assert.equal(escapeControls("line\r\nnext\ttab"), "line\\r\\nnext\\ttab");
  assert.equal(escapeControls("\u202eevil"), "\\u202eevil");
  assert.equal(escapeControls("plain é ✓"), "plain é ✓");
});

async function withEvilServer(fn: (env: Record<string, string>) => Promise<void>): Promise<void> {
  const server = startRecordingServer((req) => {
    if (req.path === "/api/v1/training_runs") {
      return json({ training_runs: [RUN], cursor: { offset: 0, limit: 20, total_count: 1 } });
    }
    if (req.path === "/api/v1/training_runs/run-1") return json(RUN);
    return json({ detail: "no \x1b[5mblink\x1b[0m here" }, 404);
  });
  try {
    await fn({ TINKER_API_KEY: "tml-test-secret-key", TINKER_BASE_URL: server.baseUrl });
  } finally {
    await server.close();
  }
}

// deno-lint-ignore no-control-regex -- looking for raw control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;

Deno.test("CLI tables and key/value views print server strings escaped", async () => {
  await withEvilServer(async (env) => {
    for (const args of [["run", "list"], ["run", "info", "run-1"]]) {
      const run = await runCliInProcess(args, env);
      assert.equal(run.code, 0, run.stderr);
      assert.doesNotMatch(
        run.stdout,
        RAW_CONTROL,
        `${args.join(" ")}: ${JSON.stringify(run.stdout)}`,
      );
      assert.ok(run.stdout.includes("Qwen\\x1b]0;pwned\\x07\\x1b[2J\\u202egnp.exe"), run.stdout);
      assert.ok(!run.stdout.includes("\r\nInjected"), "no line injection");
    }
  });
});

Deno.test("CLI error messages quoting the server are escaped too", async () => {
  await withEvilServer(async (env) => {
    const run = await runCliInProcess(["run", "info", "missing"], env);
    assert.equal(run.code, 1);
    assert.doesNotMatch(run.stderr, RAW_CONTROL, JSON.stringify(run.stderr));
    assert.match(run.stderr, /\\x1b\[5mblink/);
  });
});

Deno.test("--json stays exact: the same bytes the server sent", async () => {
  await withEvilServer(async (env) => {
    const run = await runCliInProcess(["--json", "run", "info", "run-1"], env);
    assert.equal(run.code, 0, run.stderr);
    const parsed = JSON.parse(run.stdout);
    assert.equal(parsed.base_model, EVIL_MODEL);
    assert.equal(parsed.model_owner, RUN.model_owner);
    assert.deepEqual(parsed.user_metadata, RUN.user_metadata);
  });
});
