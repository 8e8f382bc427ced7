/**
 * The local server against the official Tinker Python SDK's wire expectations (transcribed in
 * `_sdk_schemas.ts`). Every endpoint the SDK and its `tinker` CLI call is driven the way the SDK
 * drives it (same paths with ids interpolated raw, same query names, the bodies its pydantic
 * request models dump, its `X-Stainless-*` / idempotency headers, no redirect following on the
 * archive URL, the future polling protocol), and every answer is validated against the model the
 * SDK parses it into. Unknown fields are allowed (response models ignore extras) but must be on
 * the list of known server extensions, so a new one gets a second look.
 * @module
 */
import assert from "node:assert/strict";
import { unpackTar } from "modern-tar";
import type { RunningServer } from "../server.ts";
import { ALICE, BOB, withServer } from "./_server_helpers.ts";
import * as S from "./_sdk_schemas.ts";

/** A raw answer. */
interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any
  body: any;
}

interface SdkCall {
  query?: Record<string, string | number>;
  body?: Record<string, unknown>;
  /** The SDK request model the body must satisfy (extra fields forbidden). */
  request?: S.ModelSchema;
  key?: string;
  headers?: Record<string, string>;
  /** Base path prefix kept by the SDK's URL joining (e.g. `/services/tinker-prod`). */
  prefix?: string;
}

/** Send a request the way the SDK's HTTP layer does. */
async function sdk(
  server: RunningServer,
  method: string,
  path: string,
  call: SdkCall = {},
): Promise<Answer> {
  if (call.request) {
    const sent = S.validate(call.request, call.body ?? {});
    assert.deepEqual(sent.problems, [], `the SDK could not send this ${call.request.name}`);
  }
  const headers = { ...S.sdkHeaders(method, call.key ?? ALICE), ...call.headers };
  const query = call.query
    ? "?" + new URLSearchParams(
      Object.entries(call.query).map(([k, v]) => [k, String(v)]),
    ).toString()
    : "";
  const res = await fetch(`${server.baseUrl}${call.prefix ?? ""}${path}${query}`, {
    method,
    headers,
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
    redirect: "manual",
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

const normalize = (path: string): string => path.replace(/\[\d+\]/g, "[]");

/** Known fields the server adds beyond the SDK models (ignored by the SDK's `extra="ignore"`). */
const SERVER_EXTENSIONS = new Set([
  "$.training_runs[].session_id",
  "$.training_runs[].optimizer_step",
  "$.training_runs[].last_seq_id",
  "$.training_runs[].loaded_from",
  "$.session_id",
  "$.optimizer_step",
  "$.last_seq_id",
  "$.loaded_from",
  "$.model_id",
  "$.type",
  // `Checkpoint.base_model` (SDK 0.39 per protocol.md §9; no stored SDK file declares it yet).
  "$.checkpoints[].base_model",
  "$.last_checkpoint.base_model",
  "$.last_sampler_checkpoint.base_model",
  "$.training_runs[].last_checkpoint.base_model",
  "$.training_runs[].last_sampler_checkpoint.base_model",
]);

/** Assert a JSON answer that the SDK parses into `schema`; returns its body. */
// deno-lint-ignore no-explicit-any
function expectModel(res: Answer, schema: S.ModelSchema, status = 200): any {
  assert.equal(res.status, status, `${schema.name}: status ${res.status}: ${res.text}`);
  assert.match(res.headers.get("content-type") ?? "", /json/, `${schema.name}: content-type`);
  const found = S.validate(schema, res.body);
  assert.deepEqual(found.problems, [], `${schema.name} (${schema.source}) rejects ${res.text}`);
  for (const extra of found.extras.map(normalize)) {
    assert.ok(SERVER_EXTENSIONS.has(extra), `${schema.name}: unreviewed extra field ${extra}`);
  }
  return res.body;
}

/**
 * Assert an error the SDK turns into an `APIStatusError`: a non-empty JSON body with a
 * Content-Length (an empty 400 is taken for a proxy failure and retried), and whether the SDK's
 * own retry loop would retry it.
 */
function expectError(res: Answer, status: number, retried: boolean): void {
  assert.equal(res.status, status, res.text);
  assert.ok(res.text.length > 0 && res.body !== undefined, "error body must be JSON");
  assert.equal(
    res.headers.get("content-length"),
    String(new TextEncoder().encode(res.text).length),
  );
  assert.equal(S.sdkRetries(res.status, res.headers.get("x-should-retry")), retried);
}

interface FutureOutcome {
  // deno-lint-ignore no-explicit-any
  result?: any;
  // deno-lint-ignore no-explicit-any
  failed?: any;
  tryAgains: number;
  metadataAnswers: number;
}

/**
 * Submit a future-returning request and poll it as `api_future_impl.py` does: POST
 * `/api/v1/retrieve_future` with `allow_metadata_only: true` until the answer is not try_again,
 * follow `complete_metadata` with one poll of `allow_metadata_only: false`, then parse the
 * result (or a `RequestFailedResponse`). `legacy` polls as older SDKs do: `{request_id}` only.
 */
async function sdkFuture(
  server: RunningServer,
  path: string,
  body: Record<string, unknown>,
  request: S.ModelSchema,
  result: S.ModelSchema,
  opts: { key?: string; legacy?: boolean; type?: string } = {},
): Promise<FutureOutcome> {
  const submitted = await sdk(server, "POST", path, { body, request, key: opts.key });
  const future = expectModel(submitted, S.UntypedAPIFuture);
  const outcome: FutureOutcome = { tryAgains: 0, metadataAnswers: 0 };
  let metadataOnly = !opts.legacy;
  for (let iteration = 0; iteration < 500; iteration++) {
    const pollBody: Record<string, unknown> = { request_id: future.request_id };
    if (!opts.legacy) pollBody.allow_metadata_only = metadataOnly;
    const poll = await sdk(server, "POST", "/api/v1/retrieve_future", {
      body: pollBody,
      request: S.FutureRetrieveRequest,
      key: opts.key,
      headers: {
        "X-Tinker-Request-Iteration": String(iteration),
        "X-Tinker-Request-Type": opts.type ?? "Test",
        "X-Stainless-Read-Timeout": "45",
        ...(iteration === 0 ? { "X-Tinker-Create-Promise-Roundtrip-Time": "0.01" } : {}),
      },
    });
    assert.equal(poll.status, 200, poll.text);
    if (poll.body?.type === "try_again") {
      expectModel(poll, S.TryAgainResponse);
      assert.equal(poll.body.request_id, future.request_id);
      outcome.tryAgains++;
      continue;
    }
    if (poll.body?.status === "complete_metadata") {
      assert.ok(metadataOnly, "complete_metadata must come only when allowed");
      expectModel(poll, S.CompleteMetadata);
      outcome.metadataAnswers++;
      metadataOnly = false;
      continue;
    }
    if (poll.body && "error" in poll.body) {
      outcome.failed = expectModel(poll, S.RequestFailedResponse);
      return outcome;
    }
    outcome.result = expectModel(poll, result);
    return outcome;
  }
  throw new Error(`future of ${path} never finished`);
}

async function setupModel(
  server: RunningServer,
  key = ALICE,
): Promise<{ sessionId: string; modelId: string }> {
  const session = expectModel(
    await sdk(server, "POST", "/api/v1/create_session", {
      key,
      request: S.CreateSessionRequest,
      body: { tags: [], user_metadata: {}, sdk_version: S.SDK_VERSION, type: "create_session" },
    }),
    S.CreateSessionResponse,
  );
  const created = await sdkFuture(
    server,
    "/api/v1/create_model",
    {
      session_id: session.session_id,
      model_seq_id: 0,
      base_model: "Qwen/Qwen3-8B",
      lora_config: { rank: 8, seed: null, train_mlp: true, train_attn: true, train_unembed: true },
      user_metadata: { purpose: "sdk-compat" },
    },
    S.CreateModelRequest,
    S.CreateModelResponse,
    { key, type: "CreateModel" },
  );
  assert.ok(created.result, JSON.stringify(created.failed));
  return { sessionId: session.session_id, modelId: created.result.model_id };
}

const CKPT = (run: string, id: string): string => `/api/v1/training_runs/${run}/checkpoints/${id}`;

Deno.test("SDK compat: service endpoints a ServiceClient calls at start-up", async () => {
  await withServer({}, async (s) => {
    expectModel(
      await sdk(s, "POST", "/api/v1/client/config", {
        body: { sdk_version: S.SDK_VERSION },
        request: S.ClientConfigRequest,
      }),
      S.ClientConfigResponse,
    );
    expectModel(
      await sdk(s, "POST", "/api/v1/client/dynamic_config", {
        body: { sdk_version: S.SDK_VERSION },
        request: S.ClientConfigRequest,
      }),
      S.ClientDynamicConfigResponse,
    );
    expectModel(await sdk(s, "GET", "/api/v1/healthz"), S.HealthResponse);
    // Under a base path: the SDK appends the request path to the base URL's path.
    expectModel(
      await sdk(s, "GET", "/api/v1/healthz", { prefix: "/services/tinker-prod" }),
      S.HealthResponse,
    );

    const session = expectModel(
      await sdk(s, "POST", "/api/v1/create_session", {
        request: S.CreateSessionRequest,
        body: {
          tags: ["compat"],
          user_metadata: { team: "tinkex" },
          sdk_version: S.SDK_VERSION,
          type: "create_session",
        },
      }),
      S.CreateSessionResponse,
    );
    expectModel(
      await sdk(s, "POST", "/api/v1/session_heartbeat", {
        request: S.SessionHeartbeatRequest,
        body: { session_id: session.session_id, type: "session_heartbeat" },
      }),
      S.SessionHeartbeatResponse,
    );
    expectModel(
      await sdk(s, "POST", "/api/v1/telemetry", {
        body: {
          events: [{
            event: "GENERIC_EVENT",
            event_id: crypto.randomUUID(),
            event_session_index: 0,
            severity: "INFO",
            timestamp: new Date().toISOString(),
            event_name: "ServiceClient.init",
            event_data: {},
          }],
          platform: "linux",
          sdk_version: S.SDK_VERSION,
          session_id: session.session_id,
        },
      }),
      S.TelemetryResponse,
    );
    // A wrong key: a JSON 401 the SDK raises as AuthenticationError without retrying.
    expectError(await sdk(s, "GET", "/api/v1/checkpoints", { key: "tml-not-a-key" }), 401, false);
  });
});

Deno.test("SDK compat: training client futures (create_model, save, load, optim, unload)", async () => {
  await withServer({ futureDelayMs: 250, longPollMs: 40 }, async (s) => {
    const { modelId } = await setupModel(s);

    const state = await sdkFuture(
      s,
      "/api/v1/save_weights",
      { model_id: modelId, path: "0001", seq_id: 1, ttl_seconds: 86400 },
      S.SaveWeightsRequest,
      S.SaveWeightsResponse,
      { type: "SaveWeights" },
    );
    assert.ok(state.tryAgains > 0, "a pending future must be answered with try_again");
    assert.equal(state.metadataAnswers, 1);
    assert.equal(state.result.path, `tinker://${modelId}/weights/0001`);

    const sampler = await sdkFuture(
      s,
      "/api/v1/save_weights_for_sampler",
      { model_id: modelId, path: "0001", seq_id: 2 },
      S.SaveWeightsForSamplerRequest,
      S.SaveWeightsForSamplerResponse,
      { type: "SaveWeightsForSampler" },
    );
    assert.equal(sampler.result.path, `tinker://${modelId}/sampler_weights/0001`);
    // save_weights_and_get_sampling_client(): no name, a sampling session instead.
    const ephemeral = await sdkFuture(
      s,
      "/api/v1/save_weights_for_sampler",
      { model_id: modelId, seq_id: 3, sampling_session_seq_id: 0 },
      S.SaveWeightsForSamplerRequest,
      S.SaveWeightsForSamplerResponseInternal,
      { type: "SaveWeightsForSampler" },
    );
    assert.equal(typeof ephemeral.result.sampling_session_id, "string");

    const optim = await sdkFuture(
      s,
      "/api/v1/optim_step",
      {
        adam_params: { learning_rate: 1e-4, beta1: 0.9, beta2: 0.95, eps: 1e-12 },
        model_id: modelId,
        seq_id: 4,
      },
      S.OptimStepRequest,
      S.OptimStepResponse,
      { type: "OptimStep" },
    );
    assert.ok(optim.result);

    for (const optimizer of [false, true]) {
      const loaded = await sdkFuture(
        s,
        "/api/v1/load_weights",
        // A load is a model's first request (seq_id 1), as the service requires.
        { model_id: (await setupModel(s)).modelId, path: state.result.path, seq_id: 1, optimizer },
        S.LoadWeightsRequest,
        S.LoadWeightsResponse,
        { type: "LoadWeights" },
      );
      assert.equal(loaded.result.path, state.result.path);
    }

    // Failures of the operation itself: a RequestFailedResponse with category "user".
    const missing = await sdkFuture(
      s,
      "/api/v1/load_weights",
      {
        model_id: (await setupModel(s)).modelId,
        path: `tinker://${modelId}/weights/nope`,
        seq_id: 1,
        optimizer: false,
      },
      S.LoadWeightsRequest,
      S.LoadWeightsResponse,
    );
    assert.equal(missing.failed?.category, "user");
    const samplerLoad = await sdkFuture(
      s,
      "/api/v1/load_weights",
      {
        model_id: (await setupModel(s)).modelId,
        path: sampler.result.path,
        seq_id: 1,
        optimizer: false,
      },
      S.LoadWeightsRequest,
      S.LoadWeightsResponse,
    );
    assert.equal(samplerLoad.failed?.category, "user");
    // A load later in a model's life: the service's 400, which the SDK does not retry.
    const late = await sdk(s, "POST", "/api/v1/load_weights", {
      body: { model_id: modelId, path: state.result.path, seq_id: 9, optimizer: false },
      request: S.LoadWeightsRequest,
    });
    expectError(late, 400, false);
    assert.match(late.body.detail, /LoadWeights is not permitted with seq_id 9/);

    // Older SDKs poll with {request_id} only and get the result directly.
    const legacy = await sdkFuture(
      s,
      "/api/v1/save_weights",
      { model_id: modelId, path: "0002", seq_id: 9 },
      S.SaveWeightsRequest,
      S.SaveWeightsResponse,
      { legacy: true },
    );
    assert.equal(legacy.metadataAnswers, 0);
    assert.equal(legacy.result.path, `tinker://${modelId}/weights/0002`);

    const unloaded = await sdkFuture(
      s,
      "/api/v1/unload_model",
      { model_id: modelId, type: "unload_model" },
      S.UnloadModelRequest,
      S.UnloadModelResponse,
    );
    assert.equal(unloaded.result.model_id, modelId);

    // An unknown or expired future: 410, which the SDK turns into a RetryableException.
    expectError(
      await sdk(s, "POST", "/api/v1/retrieve_future", {
        body: { request_id: "req-unknown", allow_metadata_only: true },
        request: S.FutureRetrieveRequest,
      }),
      410,
      false,
    );
    // Another user's future is as unknown as a missing one.
    const own = expectModel(
      await sdk(s, "POST", "/api/v1/save_weights", {
        body: { model_id: modelId, path: "0003", seq_id: 10 },
        request: S.SaveWeightsRequest,
      }),
      S.UntypedAPIFuture,
    );
    expectError(
      await sdk(s, "POST", "/api/v1/retrieve_future", {
        key: BOB,
        body: { request_id: own.request_id },
        request: S.FutureRetrieveRequest,
      }),
      410,
      false,
    );
  });
});

Deno.test("SDK compat: RestClient and `tinker` CLI management calls", async () => {
  await withServer({ futureDelayMs: 0 }, async (s) => {
    const { sessionId, modelId } = await setupModel(s);
    const save = async (path: string, seq: number, sampler = false): Promise<string> => {
      const out = await sdkFuture(
        s,
        sampler ? "/api/v1/save_weights_for_sampler" : "/api/v1/save_weights",
        { model_id: modelId, path, seq_id: seq },
        sampler ? S.SaveWeightsForSamplerRequest : S.SaveWeightsRequest,
        sampler ? S.SaveWeightsForSamplerResponse : S.SaveWeightsResponse,
      );
      return out.result.path;
    };
    const training = await save("0001", 1);
    const samplerPath = await save("final", 2, true);

    // tinker checkpoint list: list_user_checkpoints(limit=min(1000, --limit), offset)
    const all = expectModel(
      await sdk(s, "GET", "/api/v1/checkpoints", { query: { limit: 1000, offset: 0 } }),
      S.CheckpointsListResponse,
    );
    assert.deepEqual(all.cursor, { offset: 0, limit: 1000, total_count: 2 });
    expectModel(
      await sdk(s, "GET", "/api/v1/checkpoints", { query: { limit: 100, offset: 0 } }),
      S.CheckpointsListResponse,
    );
    // tinker checkpoint list --run-id / info: the run's (unpaginated) listing, matched on
    // tinker_path equality, then get_training_run.
    const ofRun = expectModel(
      await sdk(s, "GET", `/api/v1/training_runs/${modelId}/checkpoints`),
      S.CheckpointsListResponse,
    );
    assert.deepEqual(
      ofRun.checkpoints.map((c: { tinker_path: string }) => c.tinker_path).sort(),
      [samplerPath, training].sort(),
    );
    for (const query of [undefined, { access_scope: "owned" }, { access_scope: "accessible" }]) {
      const run = expectModel(
        await sdk(s, "GET", `/api/v1/training_runs/${modelId}`, { query }),
        S.TrainingRun,
      );
      assert.equal(run.training_run_id, modelId);
      assert.equal(run.last_checkpoint.tinker_path, training);
      assert.equal(run.last_sampler_checkpoint.tinker_path, samplerPath);
      assert.deepEqual(run.user_metadata, { purpose: "sdk-compat" });
    }
    // tinker run list: limit=min(100, --limit), offset; newer SDKs add access_scope.
    const runQueries: Record<string, string | number>[] = [
      { limit: 100, offset: 0 },
      { limit: 20, offset: 0, access_scope: "owned" },
    ];
    for (const query of runQueries) {
      const runs = expectModel(
        await sdk(s, "GET", "/api/v1/training_runs", { query }),
        S.TrainingRunsResponse,
      );
      assert.equal(runs.cursor.total_count, 1);
    }

    // create_training_client_from_state / push-hf: weights_info.
    const info = expectModel(
      await sdk(s, "POST", "/api/v1/weights_info", {
        body: { tinker_path: training },
        request: S.WeightsInfoRequest,
      }),
      S.WeightsInfoResponse,
    );
    assert.deepEqual(
      [info.base_model, info.is_lora, info.lora_rank],
      ["Qwen/Qwen3-8B", true, 8],
    );

    // Sessions.
    const sessions = expectModel(
      await sdk(s, "GET", "/api/v1/sessions", {
        query: { limit: 20, offset: 0, access_scope: "owned" },
      }),
      S.ListSessionsResponse,
    );
    assert.deepEqual(sessions.sessions, [sessionId]);
    const session = expectModel(
      await sdk(s, "GET", `/api/v1/sessions/${sessionId}`, { query: { access_scope: "owned" } }),
      S.GetSessionResponse,
    );
    assert.deepEqual(session.training_run_ids, [modelId]);

    // publish / unpublish / set TTL / delete: the SDK casts the answer to None, any 2xx does.
    const publish = CKPT(modelId, "weights/0001") + "/publish";
    const ok = (res: Answer): void => assert.ok(res.status >= 200 && res.status < 300, res.text);
    ok(await sdk(s, "POST", publish));
    // Already public: a 409 that surfaces at once (x-should-retry: false).
    expectError(await sdk(s, "POST", publish), 409, false);
    ok(await sdk(s, "DELETE", publish));
    expectError(await sdk(s, "DELETE", publish), 409, false);
    const ttl = CKPT(modelId, "weights/0001") + "/ttl";
    ok(await sdk(s, "PUT", ttl, { body: { ttl_seconds: 3600 }, request: S.SetTtlRequest }));
    ok(await sdk(s, "PUT", ttl, { body: { ttl_seconds: null }, request: S.SetTtlRequest }));
    // "HTTPException: 400 if ... ttl_seconds <= 0" (set_checkpoint_ttl_from_tinker_path).
    expectError(
      await sdk(s, "PUT", ttl, { body: { ttl_seconds: 0 }, request: S.SetTtlRequest }),
      400,
      false,
    );
    // Not the caller's: 404 for every mutation (no existence leak).
    expectError(await sdk(s, "POST", publish, { key: BOB }), 404, false);
    expectError(
      await sdk(s, "PUT", ttl, { key: BOB, body: { ttl_seconds: 60 }, request: S.SetTtlRequest }),
      404,
      false,
    );
    expectError(await sdk(s, "DELETE", CKPT(modelId, "weights/0001"), { key: BOB }), 404, false);
    // A bad checkpoint kind: 400, as documented.
    expectError(await sdk(s, "POST", CKPT(modelId, "optimizer/0001") + "/publish"), 400, false);

    ok(await sdk(s, "DELETE", CKPT(modelId, "sampler_weights/final")));
    expectError(await sdk(s, "DELETE", CKPT(modelId, "sampler_weights/final")), 404, false);
    const after = expectModel(
      await sdk(s, "GET", `/api/v1/training_runs/${modelId}/checkpoints`),
      S.CheckpointsListResponse,
    );
    assert.deepEqual(after.checkpoints.map((c: { tinker_path: string }) => c.tinker_path), [
      training,
    ]);
  });
});

Deno.test("SDK compat: archive URL (302, no redirect following) and the CLI's download", async () => {
  await withServer({ futureDelayMs: 0 }, async (s) => {
    const { modelId } = await setupModel(s);
    const saved = await sdkFuture(
      s,
      "/api/v1/save_weights_for_sampler",
      { model_id: modelId, path: "final", seq_id: 1 },
      S.SaveWeightsForSamplerRequest,
      S.SaveWeightsForSamplerResponse,
    );
    const path = saved.result.path as string;

    for (const prefix of ["", "/services/tinker-prod"]) {
      const res = await sdk(s, "GET", CKPT(modelId, "sampler_weights/final") + "/archive", {
        headers: { "Accept": "application/gzip" },
        prefix,
      });
      // The SDK sends follow_redirects=False and takes the 302 (an APIStatusError) for success.
      assert.equal(res.status, 302, res.text);
      assert.equal(S.sdkRetries(302, res.headers.get("x-should-retry")), false);
      const location = res.headers.get("location");
      assert.ok(location && /^https?:\/\//.test(location), "Location must be an absolute URL");
      assert.ok(location.includes(`${prefix}/archives/`), location);
      const expires = S.sdkParseExpires(res.headers.get("expires") ?? "");
      assert.ok(expires, `the SDK cannot parse Expires ${res.headers.get("expires")}`);
      assert.ok(expires.getTime() > Date.now() + 60_000, "the signed URL must outlive the call");
      // What the SDK builds from it, and what a future 200 answer would carry.
      const built = S.validate(S.CheckpointArchiveUrlResponse, {
        url: location,
        expires: expires.toISOString(),
      });
      assert.deepEqual(built.problems, []);
      expectModel({ ...res, status: 200 }, S.CheckpointArchiveUrlResponse);

      // `tinker checkpoint download`: urllib.request.urlopen(url), no API key, then
      // tarfile.open(archive, "r") and a safe extract (no links, nothing outside the target).
      const archive = await fetch(location, { headers: { "User-Agent": "Python-urllib/3.12" } });
      assert.equal(archive.status, 200);
      const bytes = new Uint8Array(await archive.arrayBuffer());
      assert.equal(archive.headers.get("content-length"), String(bytes.length));
      assert.equal(new TextDecoder().decode(bytes.subarray(257, 262)), "ustar");
      const entries = await unpackTar(bytes);
      for (const e of entries) {
        assert.equal(e.header.type, "file", `${e.header.name} must be a regular file`);
        assert.ok(!e.header.name.startsWith("/") && !e.header.name.split("/").includes(".."));
      }
      const names = entries.map((e) => e.header.name).sort();
      assert.deepEqual(names, [
        "adapter_config.json",
        "adapter_model.safetensors",
        "checkpoint_complete",
      ]);
    }
    // The CLI's target directory name: the path without the scheme, "/" → "_".
    assert.equal(
      path.replace("tinker://", "").replaceAll("/", "_"),
      `${modelId}_sampler_weights_final`,
    );
    // Another user's private checkpoint: 404, not a redirect.
    expectError(
      await sdk(s, "GET", CKPT(modelId, "sampler_weights/final") + "/archive", {
        key: BOB,
        headers: { "Accept": "application/gzip" },
      }),
      404,
      false,
    );
  });
});

Deno.test("SDK compat: an archive still being built is a 503 the SDK retries", async () => {
  await withServer({ futureDelayMs: 0, archiveBuildDelayMs: 300 }, async (s) => {
    const { modelId } = await setupModel(s);
    await sdkFuture(
      s,
      "/api/v1/save_weights",
      { model_id: modelId, path: "0001", seq_id: 1 },
      S.SaveWeightsRequest,
      S.SaveWeightsResponse,
    );
    const url = CKPT(modelId, "weights/0001") + "/archive";
    const building = await sdk(s, "GET", url, { headers: { "Accept": "application/gzip" } });
    expectError(building, 503, true);
    // retry-after-ms (or retry-after) within (0, 60] s replaces the SDK's backoff.
    const waitMs = Number(building.headers.get("retry-after-ms"));
    assert.ok(waitMs > 0 && waitMs <= 60_000, `retry-after-ms ${waitMs}`);
    await new Promise((r) => setTimeout(r, waitMs + 20));
    const ready = await sdk(s, "GET", url, {
      headers: { "Accept": "application/gzip", "X-Stainless-Retry-Count": "1" },
    });
    assert.equal(ready.status, 302, ready.text);
  });
});

// ------------------------------------------- credentials, JWT and the account's view (issue 17)

/** Fields the account routes add beyond the SDK models (the audit entry's actor and details). */
const ACCOUNT_EXTENSIONS = new Set(["$.entries[].user_id", "$.entries[].event_details"]);

// deno-lint-ignore no-explicit-any
function expectAccountModel(res: Answer, schema: S.ModelSchema, status = 200): any {
  assert.equal(res.status, status, `${schema.name}: status ${res.status}: ${res.text}`);
  const found = S.validate(schema, res.body);
  assert.deepEqual(found.problems, [], `${schema.name} (${schema.source}) rejects ${res.text}`);
  for (const extra of found.extras.map(normalize)) {
    assert.ok(ACCOUNT_EXTENSIONS.has(extra), `${schema.name}: unreviewed extra field ${extra}`);
  }
  return res.body;
}

Deno.test("SDK compat: JWT exchange, key description, storage, billing, audit, trace export, projects", async () => {
  await withServer({ seed: true, jwtAuth: "on", traceExportDelayMs: 0 }, async (s) => {
    const config = expectAccountModel(
      await sdk(s, "POST", "/api/v1/client/config", {
        body: { sdk_version: "0.31.0" },
        request: S.ClientConfigRequest,
      }),
      S.ClientConfigResponse,
    );
    assert.equal(config.pjwt_auth_enabled, true);
    const { jwt } = expectAccountModel(
      await sdk(s, "POST", "/api/v1/auth/token", { body: {} }),
      S.AuthTokenResponse,
    );
    assert.ok(jwt.startsWith("eyJ"));
    // With the JWT as X-API-Key, as the SDK's auth flow sends it.
    expectModel(
      await sdk(s, "GET", "/api/v1/checkpoints", { key: jwt }),
      S.CheckpointsListResponse,
    );
    expectAccountModel(await sdk(s, "GET", "/api/v1/auth/apikey/me"), S.SelfApiKeyResponse);

    expectAccountModel(
      await sdk(s, "GET", "/api/v1/billing/usage/checkpoints/current", { key: jwt }),
      S.CurrentCheckpointStorageUsageResponse,
    );
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const query = {
      starting_on: new Date(hour - 3_600_000).toISOString().replace(".000Z", "Z"),
      ending_before: new Date(hour).toISOString().replace(".000Z", "Z"),
    };
    assert.deepEqual(S.validate(S.GetBillingUsageRequest, query).problems, []);
    const usage = expectAccountModel(
      await sdk(s, "GET", "/api/v1/billing/usage/events", { query, key: jwt }),
      S.BillingUsageResponse,
    );
    assert.ok(usage.data.length > 0);
    expectError(
      await sdk(s, "GET", "/api/v1/billing/usage/events", {
        query: { ...query, starting_on: "2026-07-13T00:30:00Z" },
      }),
      400,
      false,
    );

    const { checkpoints } = (await sdk(s, "GET", "/api/v1/checkpoints")).body;
    const own = checkpoints.find((c: { public: boolean }) => !c.public);
    const [, , run, kind, name] = own.tinker_path.split("/");
    await sdk(s, "POST", `/api/v1/training_runs/${run}/checkpoints/${kind}/${name}/publish`);
    const audit = expectAccountModel(
      await sdk(s, "GET", "/api/v1/audit", { query: { event_type: "all" } }),
      S.AuditLogResponse,
    );
    assert.equal(audit.entries.at(-1).event, "checkpoint.published");
    expectError(await sdk(s, "GET", "/api/v1/audit", { key: BOB }), 403, false);

    const session = run.split(":")[0];
    const poll = expectAccountModel(
      await sdk(s, "GET", `/api/v1/sessions/${session}/trace_export`),
      S.SessionTraceExportPollResponse,
    );
    assert.equal(poll.status, "ready");
    const put = await sdk(s, "PUT", `/api/v1/sessions/${session}/project`, {
      body: { project_id: "p" },
    });
    assert.equal(put.status, 200, put.text);
    expectError(
      await sdk(s, "PUT", `/api/v1/sessions/${session}/project`, { body: {} }),
      400,
      false,
    );
    expectError(
      await sdk(s, "PUT", `/api/v1/sessions/${session}/project`, {
        key: BOB,
        body: { project_id: "p" },
      }),
      404,
      false,
    );
    const runs = expectModel(
      await sdk(s, "GET", "/api/v1/training_runs", {
        query: { limit: 20, offset: 0, project_id: "p" },
      }),
      S.TrainingRunsResponse,
      200,
    );
    assert.deepEqual(
      runs.training_runs.map((r: { training_run_id: string }) => r.training_run_id),
      [run],
    );
  });
});

Deno.test("SDK compat (0.28–0.33): external weights, metadata, copy, samplers, info, finish", async () => {
  await withServer({ baseModels: ["Qwen/Qwen3-8B"] }, async (s) => {
    const { sessionId, modelId } = await setupModel(s);
    // save_state(name, ttl_seconds, overwrite, user_metadata).
    const state = await sdkFuture(
      s,
      "/api/v1/save_weights",
      {
        model_id: modelId,
        path: "0001",
        seq_id: 1,
        ttl_seconds: 86400,
        overwrite: false,
        user_metadata: { step: "1" },
      },
      S.SaveWeightsRequestNewer,
      S.SaveWeightsResponse,
      { type: "SaveWeights" },
    );
    const sampler = await sdkFuture(
      s,
      "/api/v1/save_weights_for_sampler",
      { model_id: modelId, path: "final", seq_id: 2, user_metadata: { kind: "eval" } },
      S.SaveWeightsForSamplerRequest,
      S.SaveWeightsForSamplerResponse,
      { type: "SaveWeightsForSampler" },
    );
    // save_weights_external(name, ttl_seconds): a future, then the per-file URLs.
    const external = await sdkFuture(
      s,
      "/api/v1/save_weights_external",
      { model_id: modelId, path: "hf", seq_id: 3, ttl_seconds: 3600 },
      S.SaveWeightsExternalRequest,
      S.SaveWeightsExternalResponseInternal,
      { type: "SaveWeightsExternal" },
    );
    assert.equal(external.result.path, `tinker://${modelId}/external_weights/hf`);
    assert.equal(typeof external.result.size_bytes, "number");
    const urls = expectModel(
      await sdk(s, "GET", CKPT(modelId, "external_weights/hf") + "/external_weights_urls"),
      S.ExternalWeightsUrlsResponse,
    );
    assert.ok(Object.keys(urls.urls).length > 0);

    // Listings carry the external kind and user_metadata, as the newer Checkpoint model declares.
    const listed = expectModel(
      await sdk(s, "GET", "/api/v1/checkpoints", { query: { limit: 100, offset: 0 } }),
      S.CheckpointsListResponse,
    );
    const byPath = new Map(
      listed.checkpoints.map((c: { tinker_path: string }) => [c.tinker_path, c]),
    );
    assert.equal(
      (byPath.get(external.result.path) as { checkpoint_type: string }).checkpoint_type,
      "external",
    );
    assert.deepEqual(
      (byPath.get(state.result.path) as { user_metadata: unknown }).user_metadata,
      { step: "1" },
    );
    const session = expectModel(
      await sdk(s, "GET", `/api/v1/sessions/${sessionId}`, { query: { access_scope: "owned" } }),
      S.GetSessionResponse,
    );
    assert.deepEqual(session.user_metadata, {});

    // copy_weights: a direct answer.
    const copy = expectModel(
      await sdk(s, "POST", "/api/v1/copy_weights", {
        body: { session_id: sessionId, model_seq_id: 1, source_path: sampler.result.path },
        request: S.CopyWeightsRequest,
      }),
      S.CopyWeightsResponse,
    );
    assert.equal(copy.tinker_path, `tinker://${sessionId}:train:1/sampler_weights/final`);

    // Sampling sessions and samplers.
    const created = expectModel(
      await sdk(s, "POST", "/api/v1/create_sampling_session", {
        body: {
          session_id: sessionId,
          sampling_session_seq_id: 0,
          model_path: copy.tinker_path,
          type: "create_sampling_session",
        },
        request: S.CreateSamplingSessionRequest,
      }),
      S.CreateSamplingSessionResponse,
    );
    const got = expectModel(
      await sdk(s, "GET", `/api/v1/samplers/${created.sampling_session_id}`),
      S.GetSamplerResponse,
    );
    assert.equal(got.model_path, copy.tinker_path);
    const caps = expectModel(
      await sdk(s, "GET", "/api/v1/get_server_capabilities"),
      S.GetServerCapabilitiesResponse,
    );
    assert.deepEqual(caps.supported_models, [{ model_name: "Qwen/Qwen3-8B" }]);
    const info = expectModel(
      await sdk(s, "POST", "/api/v1/get_info", {
        body: { model_id: modelId },
        request: S.GetInfoRequest,
      }),
      S.GetInfoResponse,
    );
    assert.equal(info.model_data.tokenizer_id.split(":")[0], "Qwen/Qwen3-8B");

    // The TTL rule: a 400 the SDK does not retry.
    expectError(
      await sdk(s, "PUT", CKPT(modelId, "weights/0001") + "/ttl", {
        body: { ttl_seconds: 60 },
        request: S.SetTtlRequest,
      }),
      400,
      false,
    );

    // ServiceClient.close(): finish, then its heartbeat loop stops on a 410.
    const finished = await sdk(s, "POST", `/api/v1/sessions/${sessionId}/finish`, {
      body: { reason: { type: "success" }, detail: null },
      request: S.FinishSessionBody,
    });
    assert.equal(finished.status, 200, finished.text);
    assert.ok(finished.body !== undefined, "a JSON body");
    expectError(
      await sdk(s, "POST", "/api/v1/session_heartbeat", {
        body: { session_id: sessionId, type: "session_heartbeat" },
        request: S.SessionHeartbeatRequest,
      }),
      410,
      false,
    );
  });
});
