// The account's view end to end against `tinkex serve`: storage computed from what it stores,
// billing usage with the window rules, the audit log (admin role; events for every checkpoint
// mutation), session trace exports and projects.
import assert from "node:assert/strict";
import {
  assignSessionProject,
  BadRequestError,
  checkBillingWindow,
  createTrainingClient,
  deleteCheckpoint,
  exportSessionTrace,
  getAuditLog,
  getBillingUsage,
  getCheckpointStorageUsage,
  getTrainingRun,
  InvalidBillingWindowError,
  iterateCheckpoints,
  listTrainingRuns,
  NotFoundError,
  PermissionDeniedError,
  publishCheckpoint,
  saveState,
  setCheckpointTtl,
  type TinkerConfig,
  TraceExportFailedError,
} from "../mod.ts";
import { serve } from "../server.ts";

const ALICE = "tml-account-alice-key"; // the first key: the admin
const BOB = "tml-account-bob-key";
const HOUR = 3600_000;
const GIB = 2 ** 30;

async function withAccountServer(
  fn: (alice: TinkerConfig, bob: TinkerConfig, baseUrl: string) => Promise<void>,
  options: { traceExportDelayMs?: number; minTtlSeconds?: number } = {},
): Promise<void> {
  const server = await serve({
    port: 0,
    seed: true,
    apiKeys: [ALICE, BOB],
    futureDelayMs: 0,
    ...options,
  });
  try {
    const cfg = (apiKey: string) => ({ apiKey, baseUrl: server.baseUrl, maxRetries: 0 });
    await fn(cfg(ALICE), cfg(BOB), server.baseUrl);
  } finally {
    await server.close();
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const today = () => new Date().toISOString().slice(0, 10);

Deno.test("storage: computed from the store, by project and owner; members see their own", async () => {
  await withAccountServer(async (alice, bob) => {
    const mine = await Array.fromAsync(iterateCheckpoints(alice));
    const bobs = await Array.fromAsync(iterateCheckpoints(bob));
    const org = await getCheckpointStorageUsage(alice);
    assert.equal(org.effective_rate_usd_per_gigabyte_month, 3);
    assert.equal(org.data.length, 2, "the admin sees the organization: two owners");
    assert.equal(
      sum(org.data.map((d) => d.size_bytes)),
      sum([...mine, ...bobs].map((c) => c.size_bytes!)),
    );
    assert.equal(sum(org.data.map((d) => d.checkpoint_count)), mine.length + bobs.length);
    for (const d of org.data) {
      assert.ok(Math.abs(d.size_gigabytes - d.size_bytes / GIB) < 1e-6);
      assert.ok(Math.abs(d.estimated_monthly_cost_usd! - d.size_gigabytes * 3) < 1e-3);
    }
    const own = await getCheckpointStorageUsage(bob);
    assert.equal(own.data.length, 1, "a member sees only their own storage");
    assert.equal(own.data[0].size_bytes, sum(bobs.map((c) => c.size_bytes!)));

    // A project: only the moved session's checkpoints count under it.
    const run = await getTrainingRun(alice, mine[0].tinker_path.split("/")[2]);
    const sessionId = String(run.session_id);
    await assignSessionProject(alice, sessionId, "research");
    const research = await getCheckpointStorageUsage(alice, { projectId: "research" });
    assert.equal(research.data.length, 1);
    assert.equal(research.data[0].project_id, "research");
    const inRun = mine.filter((c) => c.tinker_path.includes(run.training_run_id));
    assert.equal(research.data[0].size_bytes, sum(inRun.map((c) => c.size_bytes!)));
    const runs = await listTrainingRuns(alice, { projectId: "research" });
    assert.deepEqual(runs.training_runs.map((r) => r.training_run_id), [run.training_run_id]);
    await assert.rejects(assignSessionProject(alice, sessionId, ""), BadRequestError);
    await assert.rejects(assignSessionProject(bob, sessionId, "x"), NotFoundError);
  });
});

Deno.test("billing usage: the window rules, client and server; storage GB-hours from the store", async () => {
  await withAccountServer(async (alice, bob, baseUrl) => {
    const hour = Math.floor(Date.now() / HOUR) * HOUR;
    const iso = (ms: number) => new Date(ms).toISOString();
    // Refused before sending, naming the rule.
    const bad: [string, string, RegExp][] = [
      ["2026-07-13T00:30:00Z", "2026-07-13T02:00:00Z", /hour boundary/],
      [iso(hour - 15 * 24 * HOUR), iso(hour), /longer than 14 days/],
      [iso(hour + HOUR), iso(hour + 2 * HOUR), /starts in the future/],
      [iso(hour), iso(hour), /after starting_on/],
      ["yesterday", iso(hour), /RFC 3339/],
      ["2026-02-30T00:00:00Z", "2026-03-03T00:00:00Z", /starting_on is not an RFC 3339/],
      ["2026-07-13T00:00:00Z", "2026-07-13T24:00:00Z", /ending_before is not an RFC 3339/],
    ];
    for (const [from, to, why] of bad) {
      const err = await getBillingUsage(alice, from, to).catch((e) => e);
      assert.ok(err instanceof InvalidBillingWindowError, String(err));
      assert.match(err.message, why);
    }
    // The server applies the same rules (a client that does not check gets a 400).
    const raw = await fetch(
      `${baseUrl}/api/v1/billing/usage/events?starting_on=${iso(hour + HOUR)}&ending_before=${
        iso(hour + 2 * HOUR)
      }`,
      { headers: { "x-api-key": ALICE } },
    );
    assert.equal(raw.status, 400);
    assert.match((await raw.json()).detail, /starts in the future/);

    const usage = await getBillingUsage(alice, new Date(hour - HOUR), new Date(hour));
    const storage = usage.data.filter((e) => e.event_info.type === "storage");
    assert.ok(storage.length > 0);
    const all = await getCheckpointStorageUsage(alice);
    const gbh = sum(
      storage.map((e) => (e.event_info as { gigabyte_hours: number }).gigabyte_hours),
    );
    // Every seeded checkpoint is older than a day: each was stored the whole hour.
    assert.ok(Math.abs(gbh - sum(all.data.map((d) => d.size_bytes)) / GIB) < 1e-4, `${gbh}`);
    for (const e of storage) {
      assert.equal(e.bucket_start, iso(hour - HOUR).replace(".000Z", "Z"));
      const info = e.event_info as { gigabyte_hours: number };
      assert.ok(Math.abs(e.estimated_cost_usd! - 3 * info.gigabyte_hours / 720) < 1e-6);
    }
    // A member's usage is their own; the admin sees both users.
    const bobs = await getBillingUsage(bob, new Date(hour - HOUR), new Date(hour));
    const bobUrn = (await getCheckpointStorageUsage(bob)).data[0].org_user_urn;
    assert.ok(bobs.data.length > 0);
    assert.deepEqual([...new Set(bobs.data.map((e) => e.user_id))], [bobUrn]);
    assert.equal(new Set(storage.map((e) => e.user_id)).size, 2);
    assert.deepEqual(
      checkBillingWindow("2026-07-13T00:00:00+02:00", "2026-07-13T01:00:00Z", new Date(hour)),
      [
        "2026-07-12T22:00:00Z",
        "2026-07-13T01:00:00Z",
      ],
    );
  });
});

Deno.test("audit log: every checkpoint mutation, in order; admin only; filters", async () => {
  await withAccountServer(async (alice, bob) => {
    const [target] = (await Array.fromAsync(iterateCheckpoints(alice))).filter((c) => !c.public);
    await publishCheckpoint(alice, target.tinker_path);
    await setCheckpointTtl(alice, target.tinker_path, 7200);
    await deleteCheckpoint(alice, target.tinker_path);
    const client = await createTrainingClient(alice, { baseModel: "Qwen/Qwen3-8B", rank: 8 });
    const saved = await saveState(client, "audited");
    // Bob's own change is in the organization's log too (the admin reads it).
    const [bobs] = (await Array.fromAsync(iterateCheckpoints(bob))).filter((c) => !c.public);
    await publishCheckpoint(bob, bobs.tinker_path);

    const { entries } = await getAuditLog(alice, { day: today(), eventType: "checkpoints" });
    const got = entries.map((e) => `${e.event} ${e.tinker_path}`);
    assert.deepEqual(got, [
      `checkpoint.published ${target.tinker_path}`,
      `checkpoint.ttl_updated ${target.tinker_path}`,
      `checkpoint.deleted ${target.tinker_path}`,
      `checkpoint.created ${saved}`,
      `checkpoint.published ${bobs.tinker_path}`,
    ]);
    assert.ok(entries.every((e) => /^\d{4}-\d{2}-\d{2}T.*Z$/.test(e.timestamp)));
    assert.notEqual(entries[0].user_id, entries[4].user_id, "the actor is recorded");
    assert.equal(entries[0].model_id, target.tinker_path.split("/")[2]);

    const err = await getAuditLog(bob).catch((e) => e);
    assert.ok(err instanceof PermissionDeniedError, "no admin role: 403");
    assert.match(err.message, /admin role/);
    const run = await getTrainingRun(alice, target.tinker_path.split("/")[2]);
    await assignSessionProject(alice, String(run.session_id), "p1");
    const projects = await getAuditLog(alice, { eventType: "projects" });
    assert.deepEqual(projects.entries.map((e) => e.event), ["project.session_assigned"]);
    assert.equal((await getAuditLog(alice, { day: "2001-01-01" })).entries.length, 0);
    await assert.rejects(getAuditLog(alice, { day: "13/07/2026" }), BadRequestError);
    await assert.rejects(getAuditLog(alice, { day: "2026-02-30" }), BadRequestError);

    // A checkpoint whose TTL passes is logged as expired when the store next changes its run.
    const left = (await Array.fromAsync(iterateCheckpoints(alice)))
      .filter((c) => c.tinker_path.includes(saved.split("/")[2]));
    const other = await saveState(client, "second");
    // A 1 s TTL: below the service's minimum, so set on a server allowing it, past the client's check.
    const [, , runPart, kind, name] = saved.split("/");
    const ttl = await fetch(
      `${alice.baseUrl}/api/v1/training_runs/${
        encodeURIComponent(runPart)
      }/checkpoints/${kind}/${name}/ttl`,
      {
        method: "PUT",
        headers: { "x-api-key": ALICE, "content-type": "application/json" },
        body: JSON.stringify({ ttl_seconds: 1 }),
      },
    );
    assert.equal(ttl.status, 200, await ttl.text());
    await new Promise((r) => setTimeout(r, 1100));
    await publishCheckpoint(alice, other);
    const after = await getAuditLog(alice, { eventType: "checkpoints" });
    assert.ok(left.length > 0);
    assert.ok(
      after.entries.some((e) => e.event === "checkpoint.expired" && e.tinker_path === saved),
    );
  }, { minTtlSeconds: 1 });
});

Deno.test("trace export: pending, then a signed URL to the trace; failed when nothing to trace", async () => {
  await withAccountServer(async (alice, bob, baseUrl) => {
    const [c] = await Array.fromAsync(iterateCheckpoints(alice));
    const run = await getTrainingRun(alice, c.tinker_path.split("/")[2]);
    const sessionId = String(run.session_id);
    let pending = 0;
    const url = await exportSessionTrace(alice, sessionId, {
      pollIntervalMs: 20,
      onPending: () => pending++,
    });
    assert.equal(pending, 1);
    const res = await fetch(url); // no key: the URL is signed
    assert.equal(res.status, 200);
    const trace = await res.json();
    assert.ok(
      trace.traceEvents.some((e: { name: string }) =>
        e.name === `training run ${run.training_run_id}`
      ),
    );
    assert.ok(
      trace.traceEvents.some((e: { name: string }) => e.name === `save ${c.checkpoint_id}`),
    );
    // Another first character of the signature (a fixed one would be a no-op 1 in 64).
    const tampered = await fetch(url.replace(/sig=(.)/, (_, c) => `sig=${c === "A" ? "B" : "A"}`));
    assert.equal(tampered.status, 403);
    await tampered.body?.cancel();
    await assert.rejects(exportSessionTrace(bob, sessionId, { pollIntervalMs: 5 }), NotFoundError);

    const empty = await fetch(`${baseUrl}/api/v1/create_session`, {
      method: "POST",
      headers: { "x-api-key": ALICE, "content-type": "application/json" },
      body: JSON.stringify({ tags: [], type: "create_session" }),
    }).then((r) => r.json());
    const failed = await exportSessionTrace(alice, empty.session_id, { pollIntervalMs: 5 })
      .catch((e) => e);
    assert.ok(failed instanceof TraceExportFailedError);
    assert.match(failed.message, /made no requests to trace/);
  }, { traceExportDelayMs: 30 });
});
