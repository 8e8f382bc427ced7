// Every example runs against the local server and prints what it claims; so does the demo.
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningServer, serve } from "../server.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function runExample(
  server: RunningServer,
  cwd: string,
  file: string,
  args: string[] = [],
  expectCode = 0,
): Promise<Ran> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", join(ROOT, "deno.json"), join(ROOT, "examples", file), ...args],
    cwd,
    env: { TINKER_API_KEY: server.apiKeys[0], TINKER_BASE_URL: server.baseUrl, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const ran = { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  assert.equal(ran.code, expectCode, `${file} exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`);
  return ran;
}

async function withSeededServer(fn: (server: RunningServer, cwd: string) => Promise<void>) {
  const server = await serve({ seed: true });
  const cwd = await Deno.makeTempDir({ prefix: "tinkex-examples-" });
  try {
    await fn(server, cwd);
  } finally {
    await server.close();
    await Deno.remove(cwd, { recursive: true });
  }
}

Deno.test("read-only examples: listings, runs, weights info, archive URL, sessions, pagination", async () => {
  await withSeededServer(async (server, cwd) => {
    const expectations: [string, RegExp][] = [
      ["list_user_checkpoints.ts", /^All: 9 checkpoints, \d+ bytes$/m],
      ["list_run_checkpoints.ts", /^Run \S+: 3 checkpoints$/m],
      ["list_runs.ts", /^Accessible to you: 3 runs$/m],
      ["run_details.ts", /^tinker:\/\/\S+ belongs to \S+$/m],
      ["weights_info.ts", /not compatible:\n {2}base_model: expected some\/other-model/],
      ["archive_url.ts", /^http:\/\/127\.0\.0\.1:\d+\/\S+sig=/m],
      ["sessions.ts", /^3 sessions shown$/m],
      [
        "pagination.ts",
        /by hand: 9 checkpoints in 5 pages of 2\niterateCheckpoints: 9 checkpoints/,
      ],
      ["cleanup_old_checkpoints.ts", /dry run: pass --apply to delete/],
      [
        "account_usage.ts",
        /^Storage: \d+\.\d{4} GB, about \$\d+\.\d\d a month\nLast hour: \d+\.\d{4} GB-hours of storage in [1-9]\d* rows\nAudit log today: 0 events$/m,
      ],
    ];
    const results = await Promise.all(expectations.map(([f]) => runExample(server, cwd, f)));
    results.forEach((r, i) => assert.match(r.stdout, expectations[i][1], expectations[i][0]));
  });
});

Deno.test("download examples: plain, with progress, weights header, verify, complete workflow", async () => {
  await withSeededServer(async (server, cwd) => {
    const plain = await runExample(server, cwd, "download.ts");
    assert.match(plain.stdout, /^tinker:\/\/\S+ → \S+ \(\d+ bytes\)$/m);
    const again = await runExample(server, cwd, "download.ts", [], 1);
    assert.match(again.stderr, /exists already; pass \{ force: true \}/, "a failure exits 1");

    const progress = await runExample(server, cwd, "download_with_progress.ts");
    assert.match(progress.stderr, /^\[resolving\]/m);
    assert.match(progress.stderr, /^\[done\] 100\.0%/m);
    assert.match(progress.stdout, /^done: /m);

    const weights = await runExample(server, cwd, "use_downloaded_weights.ts");
    assert.match(weights.stdout, /^adapter for \S+, r=\d+$/m);
    assert.match(weights.stdout, /lora_A\S*\s+\S+\s+\[\d+, \d+\]/);

    assert.match((await runExample(server, cwd, "verify_download.ts")).stdout, /^verified$/m);

    const flow = await runExample(server, cwd, "complete_workflow.ts", ["./flow"]);
    assert.match(flow.stdout, /^5\. extracted to .*flow/m);
    assert.match(flow.stdout, /adapter_model\.safetensors {2}\d+ bytes/);
  });
});

Deno.test("mutating examples: publish/unpublish, training state, resume, delete, cleanup --apply", async () => {
  await withSeededServer(async (server, cwd) => {
    const pub = await runExample(server, cwd, "publish_unpublish.ts");
    assert.match(pub.stdout, /^published: \S+ \(public=true\)$/m);
    assert.match(pub.stdout, /conflict \(409\)/);
    assert.match(pub.stdout, /^unpublished: \S+ \(public=false\)$/m);

    const state = await runExample(server, cwd, "training_state.ts");
    assert.match(state.stdout, /listed weights\/step-100 \(training\)/);
    assert.match(state.stdout, /listed sampler_weights\/step-100 \(sampler\)/);
    assert.match(state.stdout, /loaded \S+ with optimizer/);

    const resume = await runExample(server, cwd, "resume_training.ts");
    assert.match(resume.stdout, /^resuming from tinker:\/\/\S+\/weights\//m);
    assert.match(resume.stdout, /^saved tinker:\/\/\S+\/weights\/resumed$/m);

    const del = await runExample(server, cwd, "delete_checkpoint.ts");
    assert.match(del.stdout, /it is gone: looking it up is a 404/);

    const apply = await runExample(server, cwd, "cleanup_old_checkpoints.ts", ["1", "--apply"]);
    const deleted = Number(apply.stdout.match(/deleted (\d+), failed 0/)?.[1]);
    assert.ok(deleted > 0, apply.stdout);
    const after = await runExample(server, cwd, "cleanup_old_checkpoints.ts", ["1"]);
    assert.match(after.stdout, /^0 checkpoints/m, "nothing older than the newest one is left");
  });
});

Deno.test("deno task demo runs the workflow against an embedded server and leaves nothing running", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "tinkex-demo-" });
  const runDemo = async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", join(ROOT, "deno.json"), join(ROOT, "examples/demo.ts")],
      cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return stdout;
  };
  try {
    const first = await runDemo();
    assert.match(first, /^Local Tinker server on http:\/\/127\.0\.0\.1:\d+/m);
    assert.match(
      first,
      /npx -y deno@2 task cli checkpoint list$/m,
      "the hint works with only Node",
    );
    const stdout = await runDemo();
    const dest = stdout.match(/ is in (\S+)$/m)?.[1];
    assert.ok(dest, stdout);
    const names = [];
    for await (const e of Deno.readDir(dest)) names.push(e.name);
    assert.deepEqual(names.sort(), [
      "adapter_config.json",
      "adapter_model.safetensors",
      "checkpoint_complete",
    ]);
    const kept = [];
    for await (const e of Deno.readDir(join(cwd, "tinkex-demo"))) {
      if (e.isDirectory) kept.push(e.name);
    }
    assert.deepEqual(kept, [basename(dest)], "a second run replaces the first one's download");
    const dataDir = stdout.match(/data in (\S+)\)/)?.[1];
    await assert.rejects(Deno.stat(dataDir!), "the server's temp data dir was removed");
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("service-today examples: external weights, copy and sample", async () => {
  await withSeededServer(async (server, cwd) => {
    const external = await runExample(server, cwd, "external_weights.ts", ["./exports"]);
    assert.match(
      external.stdout,
      /^exported tinker:\/\/\S+\/external_weights\/hf-export \(\d+ bytes\)$/m,
    );
    assert.match(external.stdout, /listed external_weights\/hf-export \(external\)/);
    assert.match(external.stdout, /^4 files, URLs valid until /m);
    assert.match(external.stdout, /^ {2}model\.safetensors {2}\d+ bytes$/m);
    const copy = await runExample(server, cwd, "copy_and_sample.ts");
    assert.match(copy.stdout, /^the service offers Qwen\/Qwen3-8B, /m);
    assert.match(copy.stdout, /^ {4}to tinker:\/\/\S+:train:0\/sampler_weights\/final$/m);
    assert.match(copy.stdout, /^sampler \S+:sample:0 on Qwen\/Qwen3-8B from tinker:\/\//m);
    assert.match(copy.stdout, /^session finished: success$/m);
  });
});

Deno.test("examples exit non-zero when they fail (a key the server does not know)", async () => {
  await withSeededServer(async (server, cwd) => {
    const files = ["list_runs.ts", "download.ts", "archive_url.ts", "cleanup_old_checkpoints.ts"];
    const runs = await Promise.all(files.map((file) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--config", join(ROOT, "deno.json"), join(ROOT, "examples", file)],
        cwd,
        env: { TINKER_API_KEY: "tml-nobody-knows-me", TINKER_BASE_URL: server.baseUrl },
        stdout: "piped",
        stderr: "piped",
      }).output()
    ));
    runs.forEach((r, i) => {
      assert.notEqual(r.code, 0, `${files[i]} exited 0 after a failure`);
      assert.match(new TextDecoder().decode(r.stderr), /401|Authentication|API key/i, files[i]);
    });
  });
});
