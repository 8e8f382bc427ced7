/**
 * `tinkex serve` as a process answers the calls the official SDK makes that once got 404:
 * get_server_capabilities, get_info, samplers/{id}, create_sampling_session, sessions/{id}/finish;
 * `--base-model` sets the base models it lists and accepts.
 */
import assert from "node:assert/strict";

Deno.test("tinkex serve: the newer SDK calls answer (no 404); --base-model is listed and enforced", async () => {
  const key = "tml-serve-today-key";
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "cli.ts",
      "serve",
      "--port",
      "0",
      "--api-key",
      key,
      "--base-model",
      "Qwen/Qwen3-8B",
      "--base-model",
      "meta-llama/Llama-3.2-1B",
    ],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let text = "";
    while (!/TINKER_API_KEY=\S+/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const base = /export TINKER_BASE_URL=(\S+)/.exec(text)?.[1];
    assert.ok(base, text);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(base + path, {
        method,
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    const caps = await call("GET", "/api/v1/get_server_capabilities");
    assert.equal(caps.status, 200);
    assert.deepEqual(caps.body.supported_models.map((m: { model_name: string }) => m.model_name), [
      "Qwen/Qwen3-8B",
      "meta-llama/Llama-3.2-1B",
    ]);
    const { body: { session_id } } = await call("POST", "/api/v1/create_session", {
      tags: [],
      user_metadata: {},
      sdk_version: "0.25.0",
      type: "create_session",
    });
    const refused = await call("POST", "/api/v1/create_sampling_session", {
      session_id,
      sampling_session_seq_id: 0,
      base_model: "other/model",
    });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    const sampling = await call("POST", "/api/v1/create_sampling_session", {
      session_id,
      sampling_session_seq_id: 0,
      base_model: "Qwen/Qwen3-8B",
      type: "create_sampling_session",
    });
    assert.equal(sampling.status, 200);
    const sampler = await call("GET", `/api/v1/samplers/${sampling.body.sampling_session_id}`);
    assert.deepEqual(sampler, {
      status: 200,
      body: {
        sampler_id: sampling.body.sampling_session_id,
        base_model: "Qwen/Qwen3-8B",
        model_path: null,
      },
    });
    const model = await call("POST", "/api/v1/create_model", {
      session_id,
      model_seq_id: 0,
      base_model: "meta-llama/Llama-3.2-1B",
      lora_config: { rank: 4 },
    });
    assert.equal(model.status, 200);
    // Wait for the create_model future (retrieve_future long-polls), then ask get_info.
    let done = await call("POST", "/api/v1/retrieve_future", { request_id: model.body.request_id });
    while (done.body.type === "try_again") {
      done = await call("POST", "/api/v1/retrieve_future", { request_id: model.body.request_id });
    }
    assert.equal(done.body.model_id, model.body.model_id);
    const info = await call("POST", "/api/v1/get_info", { model_id: model.body.model_id });
    assert.equal(info.status, 200, JSON.stringify(info.body));
    assert.equal(info.body.model_data.model_name, "meta-llama/Llama-3.2-1B");
    const finish = await call("POST", `/api/v1/sessions/${session_id}/finish`, {
      reason: { type: "success" },
      detail: null,
    });
    assert.equal(finish.status, 200);
  } finally {
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    await reader.cancel();
    await child.stderr.cancel();
  }
});
