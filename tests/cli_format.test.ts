import assert from "node:assert/strict";
import { makeStyles, stripAnsi } from "../src/cli/color.ts";
import { colorEnabled } from "../src/cli/io.ts";
import {
  formatBool,
  formatDuration,
  formatExpiry,
  formatSize,
  formatTime,
  listTitle,
  plural,
} from "../src/cli/format.ts";
import { renderPairs, renderTable } from "../src/cli/table.ts";
import { createProgress, formatEta, progressLine } from "../src/cli/progress.ts";
import { takeListing } from "../src/cli/paging.ts";
import { pagesOf, walkArray } from "../src/client/pagination.ts";
import { type IterateOptions, selectPrunable } from "../mod.ts";
import type { Checkpoint } from "../mod.ts";
import { captureIo } from "./_cli_helpers.ts";

const NOW = Date.parse("2026-03-10T12:00:00Z");

Deno.test("formatSize: 1024 steps, one decimal, N/A when unknown", () => {
  assert.equal(formatSize(0), "0 B");
  assert.equal(formatSize(1023), "1023 B");
  assert.equal(formatSize(1024), "1.0 KB");
  assert.equal(formatSize(1536), "1.5 KB");
  assert.equal(formatSize(92_484_403), "88.2 MB");
  assert.equal(formatSize(1024 ** 3 * 2.25), "2.3 GB");
  assert.equal(formatSize(1024 * 1024 - 1), "1.0 MB"); // never "1024.0 KB"
  assert.equal(formatSize(null), "N/A");
  assert.equal(formatSize(undefined), "N/A");
});

Deno.test("formatTime: relative within 30 days, ISO date beyond, both directions", () => {
  assert.equal(formatTime("2026-03-10T09:00:00Z", NOW), "3 hours ago");
  assert.equal(formatTime("2026-03-10T11:59:00Z", NOW), "1 minute ago");
  assert.equal(formatTime("2026-03-09T12:00:00Z", NOW), "1 day ago");
  assert.equal(formatTime("2026-03-10T12:00:00Z", NOW), "just now");
  assert.equal(formatTime("2026-03-12T12:00:00Z", NOW), "in 2 days");
  assert.equal(formatTime("2026-01-15T08:00:00Z", NOW), "2026-01-15");
  assert.equal(formatTime("garbage", NOW), "N/A");
  assert.equal(formatTime(undefined, NOW), "N/A");
});

Deno.test("formatExpiry, formatBool, plural, formatDuration", () => {
  assert.equal(formatExpiry(null, NOW), "Never");
  assert.equal(formatExpiry("2026-03-10T15:00:00Z", NOW), "in 3 hours");
  assert.equal(formatBool(true), "Yes");
  assert.equal(formatBool(undefined), "N/A");
  assert.equal(plural(1, "checkpoint"), "1 checkpoint");
  assert.equal(plural(0, "training run"), "0 training runs");
  assert.equal(formatDuration(604800), "7 days");
  assert.equal(formatDuration(5400), "90 minutes");
  assert.equal(formatDuration(61), "61 seconds");
});

Deno.test("listTitle: K more not shown, unknown totals, empty listings", () => {
  const base = { noun: "checkpoint", howToSeeMore: "use --limit 0 to show all" };
  assert.equal(
    listTitle({ ...base, shown: 20, remaining: 57 }),
    "20 checkpoints (37 more not shown, use --limit 0 to show all)",
  );
  assert.equal(listTitle({ ...base, shown: 3, remaining: 3 }), "3 checkpoints");
  assert.equal(listTitle({ ...base, shown: 0, remaining: 0 }), "No checkpoints found");
  assert.equal(
    listTitle({ ...base, shown: 2, hasMore: true }),
    "2 checkpoints (more not shown, use --limit 0 to show all)",
  );
});

Deno.test("renderTable aligns columns without trailing spaces; colour only when enabled", () => {
  const table = {
    title: "2 things",
    columns: ["ID", "Size"],
    rows: [["a", "1.0 KB"], ["longer-id", "N/A"]],
  };
  assert.equal(
    renderTable(table),
    "2 things\nID         Size\na          1.0 KB\nlonger-id  N/A\n",
  );
  assert.ok(!renderTable(table).includes("\x1b"));
  const colored = renderTable(table, makeStyles(true));
  assert.ok(colored.includes("\x1b[1mID\x1b[22m"));
  // Colour codes do not break alignment.
  assert.equal(stripAnsi(colored), renderTable(table));
  assert.equal(
    renderTable({ title: "No things found", columns: ["ID"], rows: [] }),
    "No things found\n",
  );
  assert.equal(renderPairs([["Path", "p"], ["Size", "1 B"]]), "Path:  p\nSize:  1 B\n");
});

Deno.test("colour: only on a terminal, and never with NO_COLOR set", () => {
  assert.equal(colorEnabled(captureIo().io, "stdout"), false);
  assert.equal(colorEnabled(captureIo({ terminal: { stdout: true } }).io, "stdout"), true);
  const noColor = captureIo({ terminal: { stdout: true }, env: { NO_COLOR: "1" } });
  assert.equal(colorEnabled(noColor.io, "stdout"), false);
  const empty = captureIo({ terminal: { stdout: true }, env: { NO_COLOR: "" } });
  assert.equal(colorEnabled(empty.io, "stdout"), true);
});

Deno.test("progressLine shows bar, percent, bytes, rate and ETA", () => {
  const line = progressLine(
    { phase: "downloading", transferredBytes: 50 * 1024 * 1024, totalBytes: 100 * 1024 * 1024 },
    10 * 1024 * 1024,
  );
  assert.match(line, /^Downloading \[#{12}-{12}\] 50%/);
  assert.ok(line.includes("50.0 MB / 100.0 MB"), line);
  assert.ok(line.includes("10.0 MB/s"), line);
  assert.ok(line.includes("ETA 0:05"), line);
  assert.equal(
    progressLine({ phase: "resolving", transferredBytes: 0 }, undefined),
    "Requesting the download URL...",
  );
  assert.equal(formatEta(3725), "1:02:05");
});

Deno.test("progress: plain lines per phase and 10% step when stderr is not a terminal", () => {
  const c = captureIo();
  const p = createProgress(c.io);
  p.update({ phase: "resolving", transferredBytes: 0 });
  for (let b = 0; b <= 100; b += 5) {
    p.update({ phase: "downloading", transferredBytes: b, totalBytes: 100 });
  }
  p.update({ phase: "done", transferredBytes: 100, totalBytes: 100 });
  p.finish();
  const lines = c.stderr().trimEnd().split("\n");
  assert.equal(lines[0], "Requesting the download URL...");
  assert.equal(lines[1], "Downloading...");
  assert.equal(lines.filter((l) => l.startsWith("Downloading: ")).length, 10);
  assert.equal(lines.at(-1), "Downloading: 100% (100 B of 100 B)");
  assert.ok(!c.stderr().includes("\r") && !c.stderr().includes("\x1b"));
});

Deno.test("progress: a redrawn bar with rate on a terminal, throttled", () => {
  let t = 0;
  const c = captureIo({ terminal: { stderr: true }, env: { NO_COLOR: "1" } });
  const p = createProgress(c.io, { now: () => t, redrawMs: 100 });
  p.update({ phase: "downloading", transferredBytes: 0, totalBytes: 4096 });
  t = 50;
  p.update({ phase: "downloading", transferredBytes: 1024, totalBytes: 4096 }); // throttled
  t = 1000;
  p.update({ phase: "downloading", transferredBytes: 2048, totalBytes: 4096 });
  p.finish();
  const draws = c.stderr().split("\r\x1b[2K").filter(Boolean);
  assert.equal(draws.length, 2);
  assert.ok(
    draws[1].includes("50%") && draws[1].includes("2.0 KB/s") && draws[1].includes("ETA 0:01"),
    draws[1],
  );
  assert.ok(c.stderr().endsWith("\n"));
  assert.ok(!c.stderr().includes("\x1b[36m"), "NO_COLOR is respected");
});

Deno.test("one pagination engine: offset/limit windows follow capped pages and know if more follow", async () => {
  const all = Array.from({ length: 45 }, (_, i) => i);
  const calls: string[] = [];
  const capped = (withTotal: boolean) => (opts: IterateOptions) =>
    itemsOf(pagesOf(
      (offset, limit) => {
        calls.push(`${offset}+${limit}`);
        const items = all.slice(offset, offset + Math.min(limit, 10));
        return Promise.resolve({
          items,
          cursor: withTotal ? { offset, limit, total_count: all.length } : undefined,
        });
      },
      opts,
      20,
    ));
  const a = await takeListing({ offset: 5, limit: 25 }, capped(true));
  assert.deepEqual(calls, ["5+25", "15+10", "25+5"], "the service's cap sets the page size");
  assert.deepEqual(a.items, all.slice(5, 30));
  assert.equal(a.hasMore, true);
  assert.equal(a.total, 45);
  const b = await takeListing({ offset: 40, limit: 25 }, capped(false));
  assert.deepEqual(b.items, all.slice(40));
  assert.equal(b.hasMore, false);
  calls.length = 0;
  const c = await takeListing({ offset: 0, limit: 3 }, capped(false));
  assert.deepEqual(calls, ["0+3", "3+1"], "a full window without a total is followed by a probe");
  assert.deepEqual(c.items, [0, 1, 2]);
  assert.equal(c.hasMore, true);
  const d = await takeListing({ offset: 40, limit: 0 }, (opts) => walkArray(all, opts));
  assert.deepEqual(d.items, all.slice(40));
  assert.equal(d.total, 45);
  const e = await takeListing({ offset: 0, limit: 10 }, (opts) => walkArray(all, opts));
  assert.equal(e.hasMore, true);
  // A service that sends more than asked (5 extra per page) does not stretch the window.
  const generous = itemsOf(pagesOf(
    (offset, limit) =>
      Promise.resolve({
        items: all.slice(offset, offset + limit + 5),
        cursor: { offset, limit, total_count: all.length },
      }),
    { limit: 25, pageSize: 10 },
    20,
  ));
  const got: number[] = [];
  for await (const i of generous) got.push(i);
  assert.deepEqual(got, all.slice(0, 25));
});

async function* itemsOf<T>(pages: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const page of pages) yield* page;
}

function ckpt(run: string, kind: string, name: string, time: string): Checkpoint {
  return {
    checkpoint_id: `${kind}/${name}`,
    checkpoint_type: kind === "weights" ? "training" : "sampler",
    time,
    tinker_path: `tinker://${run}/${kind}/${name}`,
    size_bytes: 10,
  };
}

Deno.test("selectPrunable keeps the newest N of each kind in every run", () => {
  const list = [
    ckpt("r1", "weights", "a", "2026-01-01T00:00:00Z"),
    ckpt("r1", "weights", "c", "2026-01-03T00:00:00Z"),
    ckpt("r1", "weights", "b", "2026-01-02T00:00:00Z"),
    ckpt("r1", "sampler_weights", "a", "2026-01-01T00:00:00Z"),
    ckpt("r2", "weights", "x", "2026-01-05T00:00:00Z"),
    ckpt("r2", "weights", "y", "2026-01-06T00:00:00Z"),
    { ...ckpt("r3", "weights", "z", "2026-01-01T00:00:00Z"), tinker_path: "s3://odd" },
  ];
  const { prune, kept } = selectPrunable(list, { keep: 1 });
  assert.deepEqual(prune.map((c) => c.tinker_path).sort(), [
    "tinker://r1/weights/a",
    "tinker://r1/weights/b",
    "tinker://r2/weights/x",
  ]);
  assert.equal(kept, 4);
  assert.equal(selectPrunable(list, { keep: 5 }).prune.length, 0);
  // Filters narrow what goes among the older ones; the newest `keep` always stay.
  const before = new Date("2026-01-02T00:00:00Z");
  assert.deepEqual(selectPrunable(list, { keep: 1, before }).prune.map((c) => c.tinker_path), [
    "tinker://r1/weights/a",
  ]);
  const sized = list.map((c, i) => ({ ...c, size_bytes: i === 2 ? 1000 : 10 }));
  assert.deepEqual(
    selectPrunable(sized, { keep: 1, minBytes: 500 }).prune.map((c) => c.tinker_path),
    [
      "tinker://r1/weights/b",
    ],
  );
  assert.equal(selectPrunable(list, { keep: 0 }).prune.length, 6, "unreadable paths are kept");
});
