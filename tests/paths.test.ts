// Tinker paths: parse, format, round trip, and errors that name the wrong part.
import assert from "node:assert/strict";
import {
  downloadDirName,
  formatTinkerPath,
  InvalidTinkerPathError,
  parseTinkerPath,
} from "../mod.ts";
import { checkpointApiPath } from "../src/protocol/paths.ts";

Deno.test("parse splits run, kind and name; run ids may contain ':'", () => {
  assert.deepEqual(parseTinkerPath("tinker://s-1:train:0/weights/0001"), {
    runId: "s-1:train:0",
    kind: "weights",
    name: "0001",
  });
  assert.deepEqual(parseTinkerPath("tinker://r/sampler_weights/final").kind, "sampler_weights");
});

Deno.test("parse ∘ format round-trips", () => {
  for (const p of ["tinker://a:train:3/weights/x-1", "tinker://r/sampler_weights/final step"]) {
    assert.equal(formatTinkerPath(parseTinkerPath(p)), p);
  }
  const parts = { runId: "r", kind: "weights" as const, name: "n" };
  assert.deepEqual(parseTinkerPath(formatTinkerPath(parts)), parts);
});

Deno.test("errors say which part is wrong", () => {
  const cases: [string, RegExp][] = [
    ["s3://r/weights/a", /must start with "tinker:\/\/"/],
    ["r/weights/a", /must start with/],
    ["tinker://r/weights", /expected 3 parts.*got 2/],
    ["tinker://r/weights/a/b", /got 4/],
    ["tinker://r/optimizer/a", /unknown kind "optimizer"/],
    ["tinker:///weights/a", /training run id is empty/],
    ["tinker://r/weights/", /checkpoint name is empty/],
  ];
  for (const [path, why] of cases) {
    const err = (() => {
      try {
        parseTinkerPath(path);
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof InvalidTinkerPathError, path);
    assert.equal(err.path, path);
    assert.match(err.message, /^Invalid tinker path: /);
    assert.match(err.message, why);
    assert.equal(err.category, "user");
  }
  assert.throws(() => formatTinkerPath({ runId: "a/b", kind: "weights", name: "n" }), /'\/'/);
});

Deno.test("API paths encode each segment but keep the kind as its own segment", () => {
  assert.equal(
    checkpointApiPath(parseTinkerPath("tinker://s:train:0/sampler_weights/a b?")),
    "/api/v1/training_runs/s%3Atrain%3A0/checkpoints/sampler_weights/a%20b%3F",
  );
  assert.equal(downloadDirName("tinker://s:train:0/weights/0001"), "s:train:0_weights_0001");
});
