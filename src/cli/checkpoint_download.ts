/**
 * `tinkex checkpoint download PATH… [-o DIR]`: fetch and extract archives, a few at a time,
 * with one combined progress display on stderr; already-downloaded destinations are skipped,
 * interrupted ones continued. `--run-id R --latest` picks a run's newest checkpoint,
 * `--include/--exclude` select members, `--dry-run` only says what would happen, `--quiet`
 * prints only destinations, `--clean-partials` removes what interrupted downloads left.
 * `tinkex checkpoint verify DIR…` checks destinations against their manifests.
 * Ctrl-C stops at once and keeps the partial state for the same command to continue
 * (`--no-resume`: nothing is kept).
 * @module
 */
import {
  type Checkpoint,
  cleanPartialDownloads,
  download,
  downloadDirName,
  type DownloadProgress,
  type DownloadResult,
  getCheckpoint,
  listCheckpoints,
  parseTinkerPath,
  verifyDownload,
} from "../../mod.ts";
import { stat } from "node:fs/promises";
import { Cancelled, CliError, UsageError } from "./errors.ts";
import { EXIT_INTERRUPTED } from "./interrupt.ts";
import { formatSize, plural } from "./format.ts";
import { announceBuilding, configOf, isJson, printJson, printLine } from "./output.ts";
import { createProgress, type ProgressDisplay } from "./progress.ts";
import type { CommandContext } from "./spec.ts";

/** Downloads running at once by default. */
const DEFAULT_CONCURRENCY = 2;

/** `tinkex checkpoint download`. */
export async function downloadCommand(ctx: CommandContext): Promise<number> {
  const o = ctx.options;
  const outputDir = o.output as string | undefined;
  if (o["clean-partials"] === true) {
    await cleanPartials(ctx, outputDir ?? ".");
    if (ctx.args.length === 0 && o["run-id"] === undefined) return 0;
  }
  const paths = await pathsOf(ctx);
  if (o["dry-run"] === true) return await dryRun(ctx, paths, outputDir);
  const quiet = o.quiet === true;
  const display = quiet ? undefined : createProgress(ctx.io);
  const notes = (text: string): void => display?.note(text); // above the bar, not inside it
  const config = configOf(ctx, notes);
  const combined = combinedProgress(display, paths.length);
  // Ctrl-C stops every download: no destination appears half-done, and unless --no-resume
  // the partial state stays for the same command to continue.
  const resume = o["no-resume"] !== true;
  const signal = ctx.cancellation();
  const controller = new AbortController();
  signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  const results: (DownloadResult & { tinker_path: string })[] = [];
  try {
    await eachLimited(
      paths,
      (o.concurrency as number | undefined) ?? DEFAULT_CONCURRENCY,
      async (path, i) => {
        const result = await download(config, path, {
          outputDir,
          force: o.force === true,
          resume,
          keepPartial: resume,
          include: o.include as string[] | undefined,
          exclude: o.exclude as string[] | undefined,
          onProgress: combined(i),
          onResume: paths.length === 1 ? (info) => display?.resuming(info) : undefined,
          onBuilding: quiet ? undefined : announceBuilding(ctx, notes),
          signal: controller.signal,
        });
        results[i] = { tinker_path: path, ...result };
      },
      controller,
    ).catch(async (e) => {
      display?.finish({ ok: false, cancelled: signal.aborted });
      if (signal.aborted && resume) throw await cancelledKeeping(outputDir ?? ".", paths);
      // An --include/--exclude the module refused before any request: the user's to fix.
      if (e instanceof RangeError && e.message.startsWith("Cannot select members")) {
        throw new UsageError(e.message, ctx.command);
      }
      throw e;
    });
    display?.finish({ ok: true });
    if (isJson(ctx)) {
      printJson(ctx, paths.length === 1 && ctx.args.length <= 1 ? results[0] : results);
      return 0;
    }
    for (const r of results) {
      if (quiet) printLine(ctx, r.destination);
      else printLine(ctx, describe(r));
    }
    return 0;
  } finally {
    display?.finish();
  }
}

/** `Cancelled.`, naming the partial state of `paths` that Ctrl-C left for the next run. */
async function cancelledKeeping(outputDir: string, paths: string[]): Promise<Cancelled> {
  const kept = (await cleanPartialDownloads(outputDir, { dryRun: true }).catch(() => []))
    .filter((p) => p.tinker_path !== undefined && paths.includes(p.tinker_path));
  if (kept.length === 0) return new Cancelled("Cancelled.", EXIT_INTERRUPTED, true);
  return new Cancelled(
    `Cancelled. Partial download kept in ${kept.map((p) => p.path).join(", ")}; ` +
      "run the same command again to resume, or --clean-partials",
    EXIT_INTERRUPTED,
    true,
  );
}

/** `tinkex checkpoint verify DIR…`: exit 1 when a destination does not match its manifest. */
export async function verifyCommand(ctx: CommandContext): Promise<number> {
  let failed = 0;
  const reports = [];
  for (const dir of ctx.args) {
    const r = await verifyDownload(dir);
    reports.push(r);
    if (!r.ok) failed++;
    if (isJson(ctx)) continue;
    if (r.ok) {
      printLine(
        ctx,
        `OK ${r.destination} (${plural(r.manifest.files.length, "file")} as downloaded)`,
      );
      continue;
    }
    printLine(ctx, `MISMATCH ${r.destination}`);
    for (const p of r.missing) printLine(ctx, `  missing   ${p}`);
    for (const w of r.wrongSize) {
      printLine(ctx, `  changed   ${w.path} (${w.actual} bytes, downloaded ${w.expected})`);
    }
    for (const p of r.extra) printLine(ctx, `  extra     ${p}`);
  }
  if (isJson(ctx)) printJson(ctx, reports.length === 1 ? reports[0] : reports);
  return failed === 0 ? 0 : 1;
}

function describe(r: DownloadResult & { tinker_path: string }): string {
  const what = `${plural(r.files.length, "file")}, ${formatSize(r.bytes)}`;
  if (r.skipped) return `Already downloaded ${r.tinker_path} in ${r.destination} (skipped)`;
  const resumed = r.resumedFrom === undefined
    ? ""
    : `, continued from ${formatSize(r.resumedFrom)}`;
  return `Downloaded ${r.tinker_path} to ${r.destination} (${what}${resumed})`;
}

/** The paths given, or the run's newest checkpoint (`--run-id R --latest [--type T]`). */
async function pathsOf(ctx: CommandContext): Promise<string[]> {
  const runId = ctx.options["run-id"] as string | undefined;
  if (runId === undefined) {
    if (ctx.args.length === 0) {
      throw new UsageError(
        "Cannot download: give one or more PATHs, or --run-id R --latest",
        ctx.command,
      );
    }
    for (const p of ctx.args) parseTinkerPath(p);
    return [...ctx.args];
  }
  if (ctx.options.latest !== true || ctx.args.length > 0) {
    throw new UsageError("Cannot download: --run-id goes with --latest and no PATH", ctx.command);
  }
  const type = ctx.options.type as string | undefined;
  const { checkpoints } = await listCheckpoints(configOf(ctx), { runId });
  const kind = (c: Checkpoint): string => parseTinkerPath(c.tinker_path).kind;
  const newest = checkpoints.filter((c) => type === undefined || kind(c) === type)
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0];
  if (newest === undefined) {
    throw new CliError(
      `Cannot download: run ${runId} has no ${type ? `${type} ` : ""}checkpoint`,
      "list its checkpoints with: tinkex checkpoint list --run-id " + runId,
    );
  }
  return [newest.tinker_path];
}

/** Where each download would go, its size, and whether it would be skipped; no transfer. */
async function dryRun(
  ctx: CommandContext,
  paths: string[],
  outputDir: string | undefined,
): Promise<number> {
  const config = configOf(ctx);
  const rows = [];
  for (const path of paths) {
    const ckpt = await getCheckpoint(config, path);
    const destination = `${outputDir ?? "."}/${downloadDirName(path)}`;
    const state = await destinationState(destination, path, ctx);
    rows.push({
      tinker_path: path,
      destination,
      size_bytes: ckpt.size_bytes ?? null,
      action: state,
    });
  }
  if (isJson(ctx)) printJson(ctx, rows);
  else {
    for (const r of rows) {
      printLine(
        ctx,
        `${r.action.padEnd(22)} ${r.destination}  ${formatSize(r.size_bytes)}  ${r.tinker_path}`,
      );
    }
  }
  return 0;
}

/** What a download would do with `destination`. */
async function destinationState(
  destination: string,
  path: string,
  ctx: CommandContext,
): Promise<string> {
  if (ctx.options.force === true) return "would download (force)";
  try {
    const v = await verifyDownload(destination);
    const same = v.manifest.tinker_path === path &&
      sameList(v.manifest.include, ctx.options.include as string[] | undefined) &&
      sameList(v.manifest.exclude, ctx.options.exclude as string[] | undefined);
    if (same && v.missing.length === 0 && v.wrongSize.length === 0) return "would skip (present)";
    return "exists (needs --force)";
  } catch {
    try {
      await stat(destination);
      return "exists (needs --force)";
    } catch {
      return "would download";
    }
  }
}

function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

async function cleanPartials(ctx: CommandContext, outputDir: string): Promise<void> {
  const dry = ctx.options["dry-run"] === true;
  const found = await cleanPartialDownloads(outputDir, { dryRun: dry });
  if (isJson(ctx) && ctx.args.length === 0) return printJson(ctx, found);
  for (const p of found) {
    const what = p.tinker_path ?? "unknown checkpoint";
    const state = p.in_use ? "in use, kept" : p.removed ? "removed" : "would remove";
    printLine(ctx, `${state}: ${p.path} (${what})`);
  }
  if (found.length === 0) printLine(ctx, `No partial downloads in ${outputDir}`);
}

/**
 * One progress display for several downloads: bytes and sizes summed, the phase of the least
 * advanced one, and `k of n done` as the entry.
 */
function combinedProgress(
  display: ProgressDisplay | undefined,
  count: number,
): (index: number) => ((p: DownloadProgress) => void) | undefined {
  if (display === undefined) return () => undefined;
  if (count === 1) return () => (p) => display.update(p);
  const latest: (DownloadProgress | undefined)[] = new Array(count);
  const order = ["resolving", "downloading", "verifying", "done"];
  return (index) => (p) => {
    latest[index] = p;
    const known = latest.filter((x): x is DownloadProgress => x !== undefined);
    const done = known.filter((x) => x.phase === "done").length;
    const phase = done === count ? "done" : order[
      Math.min(...known.filter((x) => x.phase !== "done").map((x) => order.indexOf(x.phase)))
    ];
    const sizes = known.map((x) => x.totalBytes);
    display.update({
      phase: phase as DownloadProgress["phase"],
      transferredBytes: known.reduce((n, x) => n + x.transferredBytes, 0),
      totalBytes: known.length === count && sizes.every((s) => s !== undefined)
        ? sizes.reduce((n: number, s) => n + (s as number), 0)
        : undefined,
      entry: `${done} of ${count} done`,
    });
  };
}

/** Run `fn` over `items`, at most `limit` at once; the first failure stops the rest. */
async function eachLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
  controller: AbortController,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i], i);
      } catch (e) {
        failure ??= { error: e };
        controller.abort(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
}
