/**
 * Shared helpers of the server tests: start a server on 127.0.0.1:0, call it over HTTP, run
 * futures to completion, read archives.
 * @module
 */
import assert from "node:assert/strict";
import { unpackTar } from "modern-tar";
import { type RunningServer, serve, type ServeOptions } from "../server.ts";
import { checkpointApiPath, parseTinkerPath } from "../src/protocol/paths.ts";

export const ALICE = "tml-alice-test-key";
export const BOB = "tml-bob-test-key";

/** A parsed response. */
export interface ApiResult {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
  text: string;
}

/** Start a server (two users by default), run `fn`, always close it. */
export async function withServer<T>(
  options: ServeOptions,
  fn: (server: RunningServer) => Promise<T>,
): Promise<T> {
  const server = await serve({ apiKeys: [ALICE, BOB], futureDelayMs: 0, ...options });
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

/** A temp dir for `fn`, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "tinkex-server-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Call the API. `key: null` sends no key; `body` is JSON-encoded unless it is a string. */
export async function api(
  server: RunningServer,
  method: string,
  path: string,
  opts: { key?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResult> {
  const headers: Record<string, string> = { ...opts.headers };
  const key = opts.key === undefined ? ALICE : opts.key;
  if (key !== null) headers["x-api-key"] = key;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  }
  const res = await fetch(server.baseUrl + path, { method, headers, body, redirect: "manual" });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Assert an error response: the status, a JSON `detail` matching `pattern`, a Content-Length. */
export function assertError(res: ApiResult, status: number, pattern?: RegExp): void {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  assert.equal(typeof res.body?.detail, "string", `no JSON detail in ${res.text}`);
  assert.ok(res.body.detail.length > 0);
  assert.equal(
    res.headers.get("content-length"),
    String(new TextEncoder().encode(res.text).length),
  );
  if (pattern) assert.match(res.body.detail, pattern);
}

/** The API path of a checkpoint (`suffix` e.g. `/publish`). */
export function ckptPath(tinkerPath: string, suffix = ""): string {
  return checkpointApiPath(parseTinkerPath(tinkerPath)) + suffix;
}

/** Poll `retrieve_future` until it is no longer try_again; follows complete_metadata. */
export async function awaitFuture(
  server: RunningServer,
  requestId: string,
  key = ALICE,
  onTryAgain?: (body: Record<string, unknown>) => void,
): Promise<ApiResult> {
  let metadataOnly = true;
  for (let i = 0; i < 1000; i++) {
    const res = await api(server, "POST", "/api/v1/retrieve_future", {
      key,
      body: { request_id: requestId, allow_metadata_only: metadataOnly },
    });
    if (res.status === 200 && res.body?.type === "try_again") {
      onTryAgain?.(res.body);
      continue;
    }
    if (res.status === 200 && res.body?.status === "complete_metadata") {
      assert.equal(typeof res.body.response_payload_size, "number");
      metadataOnly = false;
      continue;
    }
    return res;
  }
  throw new Error(`future ${requestId} never finished`);
}

/** Submit a future-returning request and wait for its result (asserting the submit was 200). */
export async function runFuture(
  server: RunningServer,
  path: string,
  body: Record<string, unknown>,
  key = ALICE,
): Promise<ApiResult> {
  const submitted = await api(server, "POST", path, { key, body });
  assert.equal(submitted.status, 200, submitted.text);
  assert.equal(typeof submitted.body.request_id, "string");
  return await awaitFuture(server, submitted.body.request_id, key);
}

/** Create a session and submit a create_model on it, without waiting for the future. */
export async function submitCreateModel(server: RunningServer, key = ALICE): Promise<ApiResult> {
  const session = await api(server, "POST", "/api/v1/create_session", { key, body: {} });
  return await api(server, "POST", "/api/v1/create_model", {
    key,
    body: {
      session_id: session.body.session_id,
      model_seq_id: 0,
      base_model: "Qwen/Qwen3-8B",
      lora_config: { rank: 4 },
    },
  });
}

/** Create a session and a LoRA model; returns their ids. */
export async function createModel(
  server: RunningServer,
  opts: { key?: string; baseModel?: string; rank?: number; seq?: number } = {},
): Promise<{ sessionId: string; modelId: string }> {
  const key = opts.key ?? ALICE;
  const session = await api(server, "POST", "/api/v1/create_session", {
    key,
    body: { tags: [], sdk_version: "test", type: "create_session" },
  });
  assert.equal(session.status, 200, session.text);
  const res = await runFuture(server, "/api/v1/create_model", {
    session_id: session.body.session_id,
    model_seq_id: opts.seq ?? 0,
    base_model: opts.baseModel ?? "Qwen/Qwen3-8B",
    lora_config: { rank: opts.rank ?? 8, train_unembed: false, train_mlp: true, train_attn: true },
    type: "create_model",
  }, key);
  assert.equal(res.status, 200, res.text);
  return { sessionId: session.body.session_id, modelId: res.body.model_id };
}

/** Save a checkpoint through the future API; returns the future's final response. */
export function save(
  server: RunningServer,
  modelId: string,
  name: string,
  opts: { sampler?: boolean; overwrite?: boolean; ttl?: number; seq?: number; key?: string } = {},
): Promise<ApiResult> {
  const type = opts.sampler ? "save_weights_for_sampler" : "save_weights";
  return runFuture(server, `/api/v1/${type}`, {
    model_id: modelId,
    path: name,
    seq_id: opts.seq ?? 1,
    overwrite: opts.overwrite ?? false,
    ...(opts.ttl ? { ttl_seconds: opts.ttl } : {}),
    type,
  }, opts.key);
}

/** Fetch the signed URL of a checkpoint's archive (asserting the 302). */
export async function archiveUrl(
  server: RunningServer,
  tinkerPath: string,
  key = ALICE,
): Promise<string> {
  const res = await api(server, "GET", ckptPath(tinkerPath, "/archive"), { key });
  assert.equal(res.status, 302, res.text);
  const location = res.headers.get("location");
  assert.ok(location);
  return location;
}

/** Unpack a tar into name → bytes. */
export async function readTar(bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const e of await unpackTar(bytes)) out.set(e.header.name, e.data ?? new Uint8Array());
  return out;
}

/** Parse a safetensors file, checking its structure; returns the header. */
export function parseSafetensors(
  bytes: Uint8Array,
): Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  assert.ok(8 + n <= bytes.length, "header length beyond the file");
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const data = bytes.length - 8 - n;
  let expectedStart = 0;
  const tensors = Object.entries(header).filter(([k]) => k !== "__metadata__") as [
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] },
  ][];
  tensors.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  for (const [name, t] of tensors) {
    const width = { F32: 4, I64: 8 }[t.dtype];
    assert.ok(width, `${name}: dtype ${t.dtype}`);
    const [start, end] = t.data_offsets;
    assert.equal(start, expectedStart, `${name} starts at ${start}`);
    assert.equal(end - start, t.shape.reduce((a, b) => a * b, 1) * width!, `${name} size`);
    expectedStart = end;
  }
  assert.equal(expectedStart, data, "data section length");
  delete header.__metadata__;
  return header;
}
