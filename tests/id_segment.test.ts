/**
 * An empty or blank id is refused before any request: it would otherwise name the collection
 * (`GET /training_runs/` is the listing, answered as if it were a run).
 */
import assert from "node:assert/strict";
import {
  assignSessionProject,
  exportSessionTrace,
  finishSession,
  getSampler,
  getSession,
  getTrainingRun,
  listCheckpoints,
  type TinkerConfig,
} from "../mod.ts";

Deno.test("empty ids are a RangeError before any request, for every call that puts one in a path", async () => {
  const requests: string[] = [];
  const config: TinkerConfig = {
    apiKey: "tml-id-segment-key",
    baseUrl: "http://127.0.0.1:1",
    maxRetries: 0,
    fetch: (input) => {
      requests.push(String(input instanceof Request ? input.url : input));
      return Promise.resolve(new Response("{}", { status: 200 }));
    },
  };
  const calls: [string, () => Promise<unknown>][] = [
    ["getTrainingRun", () => getTrainingRun(config, "")],
    ["listCheckpoints", () => listCheckpoints(config, { runId: " " })],
    ["getSession", () => getSession(config, "")],
    ["finishSession", () => finishSession(config, "\n", "success")],
    ["assignSessionProject", () => assignSessionProject(config, "", "p")],
    ["exportSessionTrace", () => exportSessionTrace(config, "")],
    ["getSampler", () => getSampler(config, "")],
  ];
  for (const [name, call] of calls) {
    await assert.rejects(call, (e: unknown) => {
      assert.ok(e instanceof RangeError, `${name}: ${e}`);
      assert.match(e.message, /^Cannot use an empty (training run|session|sampler) id/);
      return true;
    });
  }
  assert.deepEqual(requests, []);
});
