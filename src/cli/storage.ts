/**
 * `tinkex storage`: what checkpoints cost in storage and what can go — totals, then per run:
 * count, bytes, oldest and newest, and what `checkpoint prune --keep N` would free there. The
 * service's own figures (rate, monthly estimate) are added when it has the storage endpoint.
 * @module
 */
import {
  type Checkpoint,
  type CheckpointStorageUsage,
  getCheckpointStorageUsage,
  iterateCheckpoints,
  iterateTrainingRuns,
  NotFoundError,
  parseTinkerPath,
  selectPrunable,
} from "../../mod.ts";
import { formatSize, formatTime, plural } from "./format.ts";
import { configOf, isJson, note, printJson, printTable } from "./output.ts";
import type { CommandContext, GroupModule } from "./spec.ts";

/** The storage of one run. */
interface RunStorage {
  training_run_id: string;
  checkpoint_count: number;
  size_bytes: number;
  oldest: string | null;
  newest: string | null;
  /** What `prune --keep N` would delete in this run. */
  prune_count: number;
  prune_bytes: number;
}

/** Per-run storage of `checkpoints`, largest first; `keep` as for prune. */
export function storageByRun(checkpoints: readonly Checkpoint[], keep: number): RunStorage[] {
  const byRun = new Map<string, Checkpoint[]>();
  for (const c of checkpoints) {
    let runId: string;
    try {
      runId = parseTinkerPath(c.tinker_path).runId;
    } catch {
      continue;
    }
    byRun.set(runId, [...(byRun.get(runId) ?? []), c]);
  }
  const bytes = (cs: readonly Checkpoint[]) => cs.reduce((n, c) => n + (c.size_bytes ?? 0), 0);
  return [...byRun].map(([training_run_id, cs]) => {
    const times = cs.map((c) => c.time).filter((t) => Number.isFinite(Date.parse(t))).sort();
    const { prune } = selectPrunable(cs, { keep });
    return {
      training_run_id,
      checkpoint_count: cs.length,
      size_bytes: bytes(cs),
      oldest: times[0] ?? null,
      newest: times.at(-1) ?? null,
      prune_count: prune.length,
      prune_bytes: bytes(prune),
    };
  }).sort((a, b) =>
    b.size_bytes - a.size_bytes || a.training_run_id.localeCompare(b.training_run_id)
  );
}

async function storage(ctx: CommandContext): Promise<number> {
  const config = configOf(ctx);
  const keep = (ctx.options.keep as number | undefined) ?? 1;
  const projectId = ctx.options["project-id"] as string | undefined;
  const [checkpoints, inProject, service] = await Promise.all([
    Array.fromAsync(iterateCheckpoints(config)),
    projectId === undefined ? undefined : Array.fromAsync(
      iterateTrainingRuns(config, { projectId }),
      (r) => r.training_run_id,
    ).then((ids) => new Set(ids)),
    getCheckpointStorageUsage(config, { projectId }).catch((e): CheckpointStorageUsage | null => {
      if (e instanceof NotFoundError) return null; // a service without the endpoint
      throw e;
    }),
  ]);
  const runs = storageByRun(checkpoints, keep)
    .filter((r) => inProject === undefined || inProject.has(r.training_run_id));
  const total = {
    runs: runs.length,
    checkpoint_count: runs.reduce((n, r) => n + r.checkpoint_count, 0),
    size_bytes: runs.reduce((n, r) => n + r.size_bytes, 0),
    prune_count: runs.reduce((n, r) => n + r.prune_count, 0),
    prune_bytes: runs.reduce((n, r) => n + r.prune_bytes, 0),
  };
  if (isJson(ctx)) {
    printJson(ctx, { keep, project_id: projectId ?? null, total, runs, service });
    return 0;
  }
  const now = Date.now();
  printTable(ctx, {
    title: `${plural(total.checkpoint_count, "checkpoint")} in ${plural(total.runs, "run")}: ${
      formatSize(total.size_bytes)
    }; prune --keep ${keep} would free ${formatSize(total.prune_bytes)} (${
      plural(total.prune_count, "checkpoint")
    })`,
    columns: ["Run", "Checkpoints", "Size", "Oldest", "Newest", `Prune --keep ${keep} frees`],
    rows: runs.map((r) => [
      r.training_run_id,
      String(r.checkpoint_count),
      formatSize(r.size_bytes),
      formatTime(r.oldest, now),
      formatTime(r.newest, now),
      r.prune_count === 0 ? "nothing" : `${formatSize(r.prune_bytes)} (${r.prune_count})`,
    ]),
  });
  if (service) {
    const rate = service.effective_rate_usd_per_gigabyte_month;
    const cost = service.data.reduce((n, d) => n + (d.estimated_monthly_cost_usd ?? 0), 0);
    const gb = service.data.reduce((n, d) => n + d.size_gigabytes, 0);
    note(
      ctx,
      `The service counts ${gb.toFixed(2)} GB${
        rate == null ? "" : ` at $${rate}/GB-month: about $${cost.toFixed(2)} a month`
      } (its figures can lag an hour or two).`,
    );
  }
  if (total.prune_count > 0) {
    note(
      ctx,
      `To free it: tinkex checkpoint prune --keep ${keep} --dry-run, then without --dry-run.`,
    );
  }
  return 0;
}

/** Handlers of `tinkex storage`. */
export const handlers: GroupModule["handlers"] = { storage };
