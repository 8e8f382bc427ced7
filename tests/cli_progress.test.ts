/**
 * The download display tells what is happening: a note above the bar while a connection is
 * retried or resumed (the bar redrawn below it), never a stale frame left behind, and a last
 * line that says how it ended. Unit-level on a captured terminal, then for real: the CLI
 * downloading through a proxy that cuts the connection.
 */
import assert from "node:assert/strict";
import { main } from "../cli.ts";
import { createProgress, resumeNote, summaryLine } from "../src/cli/progress.ts";
import { captureIo } from "./_cli_helpers.ts";
import { API_KEY, startFixture, TINKER_PATH } from "./_download_fixture.ts";
import { noise, tar } from "./_tar_bytes.ts";

const MB = 1024 * 1024;

/** The frames drawn, split at each carriage-return-and-clear, and the plain lines. */
function framesOf(stderr: string): string[] {
  return stderr.split("\r\x1b[2K").filter(Boolean);
}

Deno.test("a note goes above the bar, which is redrawn below it with the same state", () => {
  let t = 0;
  const c = captureIo({ terminal: { stderr: true }, env: { NO_COLOR: "1" } });
  const p = createProgress(c.io, { now: () => t });
  p.update({ phase: "downloading", transferredBytes: 0, totalBytes: 100 * MB });
  t = 1000;
  p.update({ phase: "downloading", transferredBytes: 41 * MB, totalBytes: 100 * MB });
  p.resuming({ resume: 1, attempt: 1, offset: 41 * MB, reason: "connection broke", delayMs: 1000 });
  const frames = framesOf(c.stderr());
  assert.equal(
    frames.at(-2),
    "Connection broke; resuming at 41% (41.0 MB) in 1.0 s (attempt 1)…\n",
    "the note replaces the bar line and ends with a newline",
  );
  assert.match(frames.at(-1)!, /^Downloading \[#+-+\] 41% +41\.0 MB \/ 100\.0 MB$/);
  assert.doesNotMatch(frames.at(-1)!, /ETA/, "no ETA while waiting to resume");
});

Deno.test("no stale frame: a phase's line ends on its latest state, even one the throttle dropped", () => {
  let t = 0;
  const c = captureIo({ terminal: { stderr: true }, env: { NO_COLOR: "1" } });
  const p = createProgress(c.io, { now: () => t, redrawMs: 100 });
  p.update({ phase: "downloading", transferredBytes: 0, totalBytes: 1000 });
  t = 10;
  p.update({ phase: "downloading", transferredBytes: 990, totalBytes: 1000 }); // throttled
  t = 20;
  p.update({ phase: "verifying", transferredBytes: 1000, totalBytes: 1000 });
  const lines = c.stderr().split("\n");
  // The downloading line that stays on screen ends where the next phase started (100%): not
  // the 0% drawn first, nor the throttled 99%.
  assert.match(lines[0].split("\r\x1b[2K").at(-1)!, /^Downloading .* 100% +1000 B \/ 1000 B$/);
  t = 30;
  p.update({ phase: "verifying", transferredBytes: 1000, totalBytes: 1000 });
  p.finish({ ok: true });
  assert.equal(c.stderr().split("\n").filter((l) => /Downloading .* 99%/.test(l)).length, 0);
});

Deno.test("the last line matches the outcome: a summary, or the last frame marked failed/cancelled", () => {
  let t = 0;
  const make = (terminal: boolean) => {
    const c = captureIo({ terminal: { stderr: terminal }, env: { NO_COLOR: "1" } });
    const p = createProgress(c.io, { now: () => t });
    t = 0;
    p.update({ phase: "resolving", transferredBytes: 0 });
    p.update({ phase: "downloading", transferredBytes: 0, totalBytes: 4 * MB });
    t = 2000;
    p.update({ phase: "downloading", transferredBytes: 2 * MB, totalBytes: 4 * MB });
    return { c, p };
  };
  const ok = make(true);
  t = 4000;
  ok.p.update({ phase: "done", transferredBytes: 4 * MB, totalBytes: 4 * MB });
  ok.p.finish({ ok: true });
  assert.equal(framesOf(ok.c.stderr()).at(-1), "Downloaded 4.0 MB in 0:04 (1.0 MB/s)\n");

  const failed = make(true);
  failed.p.finish({ ok: false, cancelled: false });
  assert.match(framesOf(failed.c.stderr()).at(-1)!, /^Downloading .* 50% .*\(failed\)\n$/);
  assert.doesNotMatch(framesOf(failed.c.stderr()).at(-1)!, /ETA/);

  const cancelled = make(true);
  cancelled.p.finish({ ok: false, cancelled: true });
  assert.match(framesOf(cancelled.c.stderr()).at(-1)!, /\(cancelled\)\n$/);

  const plain = make(false);
  t = 4000;
  plain.p.update({ phase: "done", transferredBytes: 4 * MB, totalBytes: 4 * MB });
  plain.p.finish({ ok: true });
  plain.p.finish();
  assert.equal(plain.c.stderr().trimEnd().split("\n").at(-1), summaryLine(4 * MB, 4000));
  assert.ok(!plain.c.stderr().includes("\r"));
});

Deno.test("resumeNote without a known size says the bytes", () => {
  assert.equal(
    resumeNote({
      resume: 2,
      attempt: 2,
      offset: 3 * MB,
      reason: "no data for 30000 ms",
      delayMs: 0,
    }, undefined),
    "No data for 30000 ms; resuming at 3.0 MB (attempt 2)…",
  );
});

Deno.test("the CLI says it is resuming when the connection is cut mid-download, then the summary", async () => {
  const fx = startFixture({
    archive: tar([{ name: "model.safetensors", body: noise(600_000, 7) }]),
    cuts: [250_000],
  });
  const out = await Deno.makeTempDir({ prefix: "tinkex-cli-progress-" });
  try {
    const c = captureIo({ terminal: { stderr: true }, env: { NO_COLOR: "1" } });
    const code = await main(
      [
        "checkpoint",
        "download",
        TINKER_PATH,
        "-o",
        out,
        "--api-key",
        API_KEY,
        "--base-url",
        fx.baseUrl,
      ],
      c.io,
    );
    assert.equal(code, 0, c.stderr());
    const frames = framesOf(c.stderr());
    const note = frames.find((f) => /resuming at \d+% \(/.test(f));
    assert.ok(note, c.stderr());
    assert.match(
      note,
      /connection broke; resuming at \d+% \([\d.]+ KB\) in [\d.]+ s \(attempt 1\)…\n$/i,
    );
    assert.match(frames.at(-1)!, /^Downloaded [\d.]+ KB in \d+:\d\d/);
    assert.match(c.stdout(), /^Downloaded tinker:\/\//);
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});
