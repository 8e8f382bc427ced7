// Every management call sends exactly the method, path, query, body and headers of protocol §3.
import assert from "node:assert/strict";
import {
  deleteCheckpoint,
  getCheckpoint,
  getSession,
  getTrainingRun,
  getTrainingRunByTinkerPath,
  getWeightsInfo,
  iterateCheckpoints,
  iterateSessions,
  iterateTrainingRuns,
  listCheckpoints,
  listSessions,
  listTrainingRuns,
  listUserCheckpoints,
  publishCheckpoint,
  setCheckpointTtl,
  unpublishCheckpoint,
  USER_AGENT,
  VERSION,
} from "../mod.ts";
import { json, startRecordingServer, testConfig } from "./_recording_server.ts";

const RUN = "sess-1:train:0";
const PATH = `tinker://${RUN}/weights/0001`;
const CKPT_API = "/api/v1/training_runs/sess-1%3Atrain%3A0/checkpoints/weights/0001";

function checkpoint(i: number) {
  return {
    checkpoint_id: `weights/${i}`,
    checkpoint_type: "training",
    time: "2026-07-13T00:00:00Z",
    tinker_path: `tinker://${RUN}/weights/${i}`,
    size_bytes: 10,
    public: false,
    expires_at: null,
  };
}

Deno.test("GET calls send the key, accept, user agent and no idempotency key", async () => {
  const srv = startRecordingServer(() => json({ checkpoints: [], cursor: null }));
  try {
    await listUserCheckpoints(testConfig(srv.baseUrl + "/services/tinker-prod/"));
    const [r] = srv.requests;
    assert.equal(r.method, "GET");
    assert.equal(r.path, "/services/tinker-prod/api/v1/checkpoints");
    assert.deepEqual(r.query, { limit: "100", offset: "0" });
    assert.equal(r.headers.get("x-api-key"), "tml-test-secret-key");
    assert.equal(r.headers.get("authorization"), null);
    assert.equal(r.headers.get("accept"), "application/json");
    assert.equal(r.headers.get("content-type"), null);
    assert.equal(r.headers.get("x-idempotency-key"), null);
    assert.match(r.headers.get("user-agent")!, new RegExp(`^tinkex-ts/${VERSION} \\(Deno `));
    assert.equal(r.headers.get("user-agent"), USER_AGENT);
  } finally {
    await srv.close();
  }
});

Deno.test("listCheckpoints: user page with limit/offset, or a run's listing", async () => {
  const srv = startRecordingServer(() => json({ checkpoints: [checkpoint(1)], cursor: null }));
  try {
    const cfg = testConfig(srv.baseUrl);
    const page = await listCheckpoints(cfg, { limit: 5, offset: 10 });
    assert.equal(page.checkpoints[0].tinker_path, `tinker://${RUN}/weights/1`);
    await listCheckpoints(cfg, { runId: RUN });
    assert.deepEqual(srv.requests.map((r) => [r.method, r.path, r.query]), [
      ["GET", "/api/v1/checkpoints", { limit: "5", offset: "10" }],
      ["GET", "/api/v1/training_runs/sess-1%3Atrain%3A0/checkpoints", {}],
    ]);
  } finally {
    await srv.close();
  }
});

Deno.test("runs: list with access_scope, get by id and by tinker path", async () => {
  const run = { training_run_id: RUN, base_model: "m", model_owner: "u", is_lora: true };
  const srv = startRecordingServer((r) =>
    r.path === "/api/v1/training_runs"
      ? json({ training_runs: [run], cursor: { offset: 0, limit: 20, total_count: 1 } })
      : json(run)
  );
  try {
    const cfg = testConfig(srv.baseUrl);
    await listTrainingRuns(cfg);
    await listTrainingRuns(cfg, { limit: 3, offset: 6, accessScope: "accessible" });
    assert.equal((await getTrainingRun(cfg, RUN)).training_run_id, RUN);
    await getTrainingRun(cfg, RUN, { accessScope: "accessible" });
    await getTrainingRunByTinkerPath(cfg, PATH);
    assert.deepEqual(srv.requests.map((r) => [r.path, r.query]), [
      ["/api/v1/training_runs", { limit: "20", offset: "0" }],
      ["/api/v1/training_runs", { limit: "3", offset: "6", access_scope: "accessible" }],
      ["/api/v1/training_runs/sess-1%3Atrain%3A0", {}],
      ["/api/v1/training_runs/sess-1%3Atrain%3A0", { access_scope: "accessible" }],
      ["/api/v1/training_runs/sess-1%3Atrain%3A0", {}],
    ]);
  } finally {
    await srv.close();
  }
});

Deno.test("weights info: POST with the tinker path as JSON and an idempotency key", async () => {
  const srv = startRecordingServer(() => json({ base_model: "m", is_lora: true, lora_rank: 8 }));
  try {
    const info = await getWeightsInfo(testConfig(srv.baseUrl), PATH);
    assert.equal(info.lora_rank, 8);
    const [r] = srv.requests;
    assert.equal(r.method, "POST");
    assert.equal(r.path, "/api/v1/weights_info");
    assert.deepEqual(JSON.parse(r.body), { tinker_path: PATH });
    assert.equal(r.headers.get("content-type"), "application/json");
    assert.match(r.headers.get("x-idempotency-key") ?? "", /^tinkex-[0-9a-f-]{36}$/);
  } finally {
    await srv.close();
  }
});

Deno.test("publish, unpublish, TTL and delete hit the checkpoint's routes", async () => {
  const srv = startRecordingServer(() => new Response(null, { status: 204 }));
  try {
    const cfg = testConfig(srv.baseUrl);
    await publishCheckpoint(cfg, PATH);
    await unpublishCheckpoint(cfg, PATH);
    await setCheckpointTtl(cfg, PATH, 3600);
    await setCheckpointTtl(cfg, PATH, null);
    await deleteCheckpoint(cfg, PATH);
    assert.deepEqual(srv.requests.map((r) => [r.method, r.path, r.body]), [
      ["POST", `${CKPT_API}/publish`, ""],
      ["DELETE", `${CKPT_API}/publish`, ""],
      ["PUT", `${CKPT_API}/ttl`, '{"ttl_seconds":3600}'],
      ["PUT", `${CKPT_API}/ttl`, '{"ttl_seconds":null}'],
      ["DELETE", CKPT_API, ""],
    ]);
    const keys = srv.requests.map((r) => r.headers.get("x-idempotency-key"));
    assert.equal(new Set(keys).size, 5, "each call has its own idempotency key");
  } finally {
    await srv.close();
  }
});

Deno.test("setCheckpointTtl refuses a non-positive or fractional TTL before sending", async () => {
  const srv = startRecordingServer();
  try {
    for (const bad of [0, -5, 1.5, Number.NaN]) {
      await assert.rejects(setCheckpointTtl(testConfig(srv.baseUrl), PATH, bad), RangeError);
    }
    assert.equal(srv.requests.length, 0);
  } finally {
    await srv.close();
  }
});

Deno.test("sessions: list, get, and walk pages without a cursor", async () => {
  const ids = Array.from({ length: 45 }, (_, i) => `s-${i}`);
  const srv = startRecordingServer((r) => {
    if (r.path === "/api/v1/sessions") {
      const off = Number(r.query.offset), lim = Number(r.query.limit);
      return json({ sessions: ids.slice(off, off + lim) });
    }
    return json({ training_run_ids: [RUN], sampler_ids: [] });
  });
  try {
    const cfg = testConfig(srv.baseUrl);
    assert.deepEqual((await listSessions(cfg, { limit: 2 })).sessions, ["s-0", "s-1"]);
    assert.deepEqual((await getSession(cfg, "s/1")).training_run_ids, [RUN]);
    assert.equal(srv.requests[1].path, "/api/v1/sessions/s%2F1");
    srv.requests.length = 0;
    const all: string[] = [];
    for await (const id of iterateSessions(cfg, { pageSize: 20 })) all.push(id);
    assert.deepEqual(all, ids);
    assert.deepEqual(srv.requests.map((r) => r.query.offset), ["0", "20", "40"]);
  } finally {
    await srv.close();
  }
});

function pagedCheckpoints(total: number, maxLimit = 1000) {
  const all = Array.from({ length: total }, (_, i) => checkpoint(total - i));
  return (r: { path: string; query: Record<string, string> }) => {
    const off = Number(r.query.offset), lim = Number(r.query.limit);
    if (lim > maxLimit) return json({ detail: `limit must be ≤ ${maxLimit}` }, 400);
    return json({
      checkpoints: all.slice(off, off + lim),
      cursor: { offset: off, limit: lim, total_count: total },
    });
  };
}

Deno.test("iterateCheckpoints walks every page to the end, in order, without duplicates", async () => {
  const srv = startRecordingServer(pagedCheckpoints(2350));
  try {
    const seen: string[] = [];
    for await (const c of iterateCheckpoints(testConfig(srv.baseUrl))) seen.push(c.tinker_path);
    assert.equal(seen.length, 2350);
    assert.equal(new Set(seen).size, 2350);
    assert.equal(seen[0], `tinker://${RUN}/weights/2350`);
    assert.equal(seen.at(-1), `tinker://${RUN}/weights/1`);
    const offsets = srv.requests.map((r) => Number(r.query.offset)).sort((a, b) => a - b);
    assert.deepEqual(offsets, [0, 1000, 2000]);
  } finally {
    await srv.close();
  }
});

Deno.test("iterateCheckpoints falls back to the default page size when a large one is refused", async () => {
  const srv = startRecordingServer(pagedCheckpoints(250, 100));
  try {
    let n = 0;
    for await (const _ of iterateCheckpoints(testConfig(srv.baseUrl))) n++;
    assert.equal(n, 250);
    assert.deepEqual(srv.requests.map((r) => r.query.limit), ["1000", "100", "100", "100"]);
  } finally {
    await srv.close();
  }
});

Deno.test("iterate… take an offset/limit window and report the total", async () => {
  const srv = startRecordingServer(pagedCheckpoints(250, 100));
  try {
    const totals: number[] = [];
    const got: string[] = [];
    const opts = { offset: 150, limit: 30, onTotal: (t: number) => totals.push(t) };
    for await (const c of iterateCheckpoints(testConfig(srv.baseUrl), opts)) {
      got.push(c.tinker_path);
    }
    assert.equal(got.length, 30);
    assert.deepEqual(totals, [250]);
    assert.deepEqual(srv.requests.map((r) => [r.query.offset, r.query.limit]), [["150", "30"]]);
  } finally {
    await srv.close();
  }
});

Deno.test("iterateTrainingRuns follows the cursor; a run's checkpoints come in one request", async () => {
  const runs = Array.from({ length: 7 }, (_, i) => ({ training_run_id: `r${i}` }));
  const srv = startRecordingServer((r) => {
    if (r.path.endsWith("/checkpoints")) {
      return json({ checkpoints: [checkpoint(1)], cursor: null });
    }
    const off = Number(r.query.offset), lim = Number(r.query.limit);
    return json({
      training_runs: runs.slice(off, off + lim),
      cursor: { offset: off, limit: lim, total_count: runs.length },
    });
  });
  try {
    const cfg = testConfig(srv.baseUrl);
    const ids: string[] = [];
    for await (const r of iterateTrainingRuns(cfg, { pageSize: 3, concurrency: 2 })) {
      ids.push(r.training_run_id);
    }
    assert.deepEqual(ids, runs.map((r) => r.training_run_id));
    const ck: string[] = [];
    for await (const c of iterateCheckpoints(cfg, { runId: RUN })) ck.push(c.checkpoint_id);
    assert.deepEqual(ck, ["weights/1"]);
    assert.equal(srv.requests.length, 4);
  } finally {
    await srv.close();
  }
});

Deno.test("getCheckpoint finds the record in its run's listing, or throws NotFound", async () => {
  const srv = startRecordingServer(() => json({ checkpoints: [checkpoint(1), checkpoint(2)] }));
  try {
    const cfg = testConfig(srv.baseUrl);
    const c = await getCheckpoint(cfg, `tinker://${RUN}/weights/2`);
    assert.equal(c.checkpoint_id, "weights/2");
    await assert.rejects(getCheckpoint(cfg, `tinker://${RUN}/weights/9`), {
      name: "NotFoundError",
      message: `Checkpoint not found: tinker://${RUN}/weights/9`,
    });
  } finally {
    await srv.close();
  }
});

Deno.test("unknown response fields pass through untouched", async () => {
  const srv = startRecordingServer(() =>
    json({
      checkpoints: [{ ...checkpoint(1), checkpoint_type: "external", shiny: { a: 1 } }],
      cursor: { offset: 0, limit: 100, total_count: 1, next_token: "abc" },
      search_token: "t",
    })
  );
  try {
    const page = await listUserCheckpoints(testConfig(srv.baseUrl));
    assert.equal(page.checkpoints[0].checkpoint_type, "external");
    assert.deepEqual(page.checkpoints[0].shiny, { a: 1 });
    assert.equal(page.cursor?.next_token, "abc");
    assert.equal(page.search_token, "t");
  } finally {
    await srv.close();
  }
});
