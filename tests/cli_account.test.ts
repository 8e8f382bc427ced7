// The account commands end to end: `tinkex storage`, `checkpoint prune` with its new filters and
// concurrency, `billing usage` CSV/JSON, `audit --jsonl`, `session export-trace` and
// `set-project`, `run list --project-id` — against `tinkex serve` on 127.0.0.1.
import assert from "node:assert/strict";
import { type Checkpoint, createSession, iterateCheckpoints, selectPrunable } from "../mod.ts";
import { serve } from "../server.ts";
import { parseJson, runCliInProcess, runCliProcess } from "./_cli_helpers.ts";

const ALICE = "tml-cli-account-alice";
const BOB = "tml-cli-account-bob";
const HOUR = 3600_000;

Deno.test("CLI account commands against tinkex serve", async (t) => {
  const server = await serve({
    port: 0,
    seed: { runs: 3, checkpointsPerRun: 5 },
    apiKeys: [ALICE, BOB],
    futureDelayMs: 0,
    traceExportDelayMs: 0,
  });
  const alice = { TINKER_API_KEY: ALICE, TINKER_BASE_URL: server.baseUrl };
  const bob = { TINKER_API_KEY: BOB, TINKER_BASE_URL: server.baseUrl };
  const config = { apiKey: ALICE, baseUrl: server.baseUrl };
  const tmp = await Deno.makeTempDir({ prefix: "tinkex-cli-account-" });
  try {
    const all: Checkpoint[] = await Array.fromAsync(iterateCheckpoints(config));

    await t.step("storage: totals and per run, with what prune --keep N frees", async () => {
      const run = await runCliProcess(["storage", "--keep", "2", "--json"], alice);
      assert.equal(run.code, 0, run.stderr);
      const out = parseJson<{
        total: { checkpoint_count: number; size_bytes: number; prune_bytes: number };
        runs: {
          training_run_id: string;
          checkpoint_count: number;
          prune_bytes: number;
          oldest: string;
        }[];
        service: { data: { size_bytes: number }[] };
      }>(run);
      assert.equal(out.total.checkpoint_count, all.length);
      assert.equal(out.total.size_bytes, all.reduce((n, c) => n + c.size_bytes!, 0));
      const prune = selectPrunable(all, { keep: 2 }).prune;
      assert.equal(out.total.prune_bytes, prune.reduce((n, c) => n + c.size_bytes!, 0));
      for (const r of out.runs) {
        const own = all.filter((c) => c.tinker_path.startsWith(`tinker://${r.training_run_id}/`));
        assert.equal(r.checkpoint_count, own.length);
        assert.equal(r.oldest, own.map((c) => c.time).sort()[0]);
      }
      assert.equal(
        out.service.data.reduce((n, d) => n + d.size_bytes, 0) >= out.total.size_bytes,
        true,
      );
      const table = await runCliInProcess(["storage"], alice);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /checkpoints in 2 runs: .*; prune --keep 1 would free/);
      assert.match(table.stdout, /Prune --keep 1 frees/);
      assert.match(table.stderr, /The service counts .* GB at \$3\/GB-month/);
    });

    await t.step(
      "prune --older-than --larger-than: the filters, then deletion at --concurrency",
      async () => {
        const dry = await runCliInProcess(
          [
            "checkpoint",
            "prune",
            "--keep",
            "1",
            "--older-than",
            "2d",
            "--larger-than",
            "1k",
            "--dry-run",
            "--json",
          ],
          alice,
        );
        assert.equal(dry.code, 0, dry.stderr);
        const would = parseJson<{ would_delete: Checkpoint[] }>(dry).would_delete;
        const expected = selectPrunable(all, {
          keep: 1,
          before: new Date(Date.now() - 2 * 24 * HOUR),
          minBytes: 1025,
        }).prune;
        assert.ok(expected.length > 0);
        assert.deepEqual(
          would.map((c) => c.tinker_path).sort(),
          expected.map((c) => c.tinker_path).sort(),
        );
        const huge = await runCliInProcess(
          ["checkpoint", "prune", "--keep", "1", "--larger-than", "1TB", "--dry-run", "--json"],
          alice,
        );
        assert.deepEqual(parseJson<{ would_delete: unknown[] }>(huge).would_delete, []);
        const badSize = await runCliInProcess([
          "checkpoint",
          "prune",
          "--keep",
          "1",
          "--larger-than",
          "big",
        ], alice);
        assert.equal(badSize.code, 2);
        assert.match(badSize.stderr, /expected a size such as 500MB/);

        const run = await runCliInProcess(
          [
            "checkpoint",
            "prune",
            "--keep",
            "1",
            "--older-than",
            "2d",
            "--larger-than",
            "1k",
            "--concurrency",
            "2",
            "-y",
            "--json",
          ],
          alice,
        );
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(
          parseJson<{ deleted: string[] }>(run).deleted.sort(),
          expected.map((c) => c.tinker_path).sort(),
        );
        const left = await Array.fromAsync(iterateCheckpoints(config));
        assert.equal(left.length, all.length - expected.length);
      },
    );

    await t.step(
      "audit --jsonl: the deletions, one JSON line each; 403 without the admin role",
      async () => {
        const run = await runCliInProcess(
          ["audit", "--event-type", "checkpoints", "--jsonl"],
          alice,
        );
        assert.equal(run.code, 0, run.stderr);
        const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
        assert.ok(lines.length >= 2 && lines.every((l) => l.event === "checkpoint.deleted"));
        const denied = await runCliInProcess(["audit"], bob);
        assert.equal(denied.code, 1);
        assert.match(denied.stderr, /403/);
        assert.match(denied.stderr, /use the key of an admin of your organization/);
        const badDay = await runCliInProcess(["audit", "--day", "2026-02-30"], alice);
        assert.equal(badDay.code, 2, "a usage error, before any request");
        assert.match(badDay.stderr, /Invalid value '2026-02-30' for --day: expected a UTC day/);
      },
    );

    await t.step(
      "billing usage: CSV with flattened rows, JSON with the response's shape",
      async () => {
        const hour = Math.floor(Date.now() / HOUR) * HOUR;
        const [from, to] = [hour - 2 * HOUR, hour].map((ms) =>
          new Date(ms).toISOString().replace(".000Z", "Z")
        );
        const csv = await runCliInProcess(["billing", "usage", from, to, "--csv", "-"], alice);
        assert.equal(csv.code, 0, csv.stderr);
        const [header, ...rows] = csv.stdout.trim().split("\r\n");
        assert.ok(
          header.startsWith(
            "bucket_start,bucket_end,base_model,user_id,user_name,session_id,project_id,",
          ),
        );
        assert.match(header, /,type,gigabyte_hours/);
        assert.ok(rows.length > 0 && rows.every((r) => r.includes(",storage,")));
        const file = `${tmp}/usage.csv`;
        const toFile = await runCliInProcess(["billing", "usage", from, to, "--csv", file], alice);
        assert.match(toFile.stderr, new RegExp(`Wrote ${rows.length} rows? to`));
        assert.equal((await Deno.readTextFile(file)).trim(), csv.stdout.trim());
        const json = parseJson<{ data: unknown[]; sessions: object; cost_data_through: null }>(
          await runCliInProcess(["billing", "usage", from, to, "--json"], alice),
        );
        assert.equal(json.data.length, rows.length);
        assert.equal(json.cost_data_through, null);
        const bad = await runCliInProcess(["billing", "usage", from, from], alice);
        // A usage error (exit 2, as audit --day), in the arguments' names, before any request.
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /^Error: Invalid window: END must be after START\n/);
        // A user's mistake gets the window rules as its hint, not "a bug in tinkex".
        assert.match(bad.stderr, /END after START and at most 14 days later/);
        assert.doesNotMatch(bad.stderr, /bug in tinkex/);
      },
    );

    await t.step(
      "session export-trace downloads the trace; set-project and run list --project-id",
      async () => {
        const [c] = await Array.fromAsync(iterateCheckpoints(config));
        const runId = c.tinker_path.split("/")[2];
        const session = runId.split(":")[0];
        const dest = `${tmp}/trace.pftrace`;
        const run = await runCliInProcess([
          "session",
          "export-trace",
          session,
          "-o",
          dest,
          "--json",
        ], alice);
        assert.equal(run.code, 0, run.stderr);
        const out = parseJson<{ destination: string; file_size_bytes: number }>(run);
        const text = await Deno.readTextFile(dest);
        assert.equal(out.file_size_bytes, new TextEncoder().encode(text).length);
        assert.ok(JSON.parse(text).traceEvents.length > 2);
        const urlOnly = await runCliInProcess(
          ["session", "export-trace", session, "--url-only"],
          alice,
        );
        assert.match(
          urlOnly.stdout.trim(),
          /^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/trace_files\/.*sig=/,
        );

        // A session with nothing to trace: the service's failure and what to do, not "a bug".
        const { sessionId: empty } = await createSession(config);
        const failed = await runCliInProcess(["session", "export-trace", empty], alice);
        assert.equal(failed.code, 1);
        assert.match(failed.stderr, /Cannot export the trace of session .*made no requests/);
        assert.match(failed.stderr, /try again later, or report it with the session id/);

        const set = await runCliInProcess(["session", "set-project", session, "team-a"], alice);
        assert.equal(set.code, 0, set.stderr);
        // The service's 400 for a user's value: check the arguments, not "a bug in tinkex".
        const refused = await runCliInProcess(["session", "set-project", session, "a b"], alice);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /project_id.*HTTP 400/);
        assert.match(refused.stderr, /check the arguments against --help/);

        const listed = parseJson<{ training_runs: { training_run_id: string }[] }>(
          await runCliInProcess(["run", "list", "--project-id", "team-a", "--json"], alice),
        );
        assert.deepEqual(listed.training_runs.map((r) => r.training_run_id), [runId]);
      },
    );
  } finally {
    await server.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("prune --concurrency N: at most N deletions in flight", async () => {
  const server = await serve({
    port: 0,
    seed: { runs: 1, checkpointsPerRun: 12 },
    apiKeys: [ALICE],
  });
  let inFlight = 0;
  let most = 0;
  // A front that holds each deletion 50 ms, so overlapping requests are seen overlapping.
  const front = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const deleting = req.method === "DELETE";
    if (deleting) most = Math.max(most, ++inFlight);
    try {
      if (deleting) await new Promise((r) => setTimeout(r, 50));
      const url = new URL(req.url);
      // Method, headers and body only: copying `req` whole reads its signal, which makes
      // Deno.serve print a warning about its legacy abort behaviour.
      const { method, headers, body } = req;
      return await server.handler.fetch(
        new Request(server.baseUrl + url.pathname + url.search, { method, headers, body }),
      );
    } finally {
      if (deleting) inFlight--;
    }
  });
  try {
    const run = await runCliInProcess(
      ["checkpoint", "prune", "--keep", "1", "--concurrency", "3", "-y", "--json"],
      { TINKER_API_KEY: ALICE, TINKER_BASE_URL: `http://127.0.0.1:${front.addr.port}` },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(parseJson<{ deleted: string[] }>(run).deleted.length, 10);
    assert.ok(most <= 3 && most > 1, `at most 3 at once, and more than one: ${most}`);
  } finally {
    await front.shutdown();
    await server.close();
  }
});

Deno.test("session export-trace: a trace URL that cannot be fetched is reported without its signature", async () => {
  // A port nothing listens on: bound, then released.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const signature = "trace-signature-secret";
  const service = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    if (new URL(req.url).pathname !== "/api/v1/sessions/s-1/trace_export") {
      return Response.json({ detail: "not here" }, { status: 404 });
    }
    const url = `http://127.0.0.1:${closedPort}/trace.json?expires=1&sig=${signature}`;
    return Response.json({ status: "ready", url });
  });
  const tmp = await Deno.makeTempDir({ prefix: "tinkex-trace-fail-" });
  try {
    const run = await runCliInProcess(["session", "export-trace", "s-1", "-o", `${tmp}/t`], {
      TINKER_API_KEY: ALICE,
      TINKER_BASE_URL: `http://127.0.0.1:${service.addr.port}`,
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Cannot download the trace: .*\/trace\.json\?…/);
    assert.ok(!run.stderr.includes(signature), run.stderr);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(tmp)), [], "nothing left behind");
  } finally {
    await service.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});
