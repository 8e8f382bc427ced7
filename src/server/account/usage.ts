/**
 * What the account endpoints compute from the store: current checkpoint storage by project and
 * owner, and hourly billing events (storage in GiB-hours, checkpoints created). Only the
 * checkpoints the server holds now count: deleted ones leave no usage behind.
 * @module
 */
import type { ServerContext } from "../http/context.ts";
import { identityOf } from "../auth/accounts.ts";
import type { CheckpointRecord, RunRecord } from "../store/records.ts";

const GIB = 2 ** 30;
const HOUR_MS = 3600_000;
/** Hours in the billing month (the SDK: storage cost = rate × GB-hours / 720). */
const MONTH_HOURS = 720;

/** The runs whose usage `viewer` may see: the organization's for an admin, else their own. */
export function runsVisibleTo(server: ServerContext, viewer: string): RunRecord[] {
  const all = server.accounts.isAdmin(viewer);
  return server.store.runs().filter((r) => all || r.owner === viewer);
}

/** The project of a run (its session's). */
export function projectOf(server: ServerContext, run: RunRecord): string | null {
  return server.store.session(run.session_id)?.project_id ?? null;
}

const round = (n: number, digits = 6) => Math.round(n * 10 ** digits) / 10 ** digits;

/** `GET /api/v1/billing/usage/checkpoints/current`. */
export function currentStorage(
  server: ServerContext,
  viewer: string,
  projectId: string | null,
  now: number,
): Record<string, unknown> {
  const rate = server.options.storageUsdPerGigabyteMonth;
  const groups = new Map<
    string,
    { project_id: string | null; owner: string; count: number; bytes: number }
  >();
  for (const run of runsVisibleTo(server, viewer)) {
    const project = projectOf(server, run);
    if (projectId !== null && project !== projectId) continue;
    for (const c of Object.values(run.checkpoints)) {
      if (c.expires_at !== null && c.expires_at <= now) continue;
      const key = `${project}\n${run.owner}`;
      const g = groups.get(key) ?? { project_id: project, owner: run.owner, count: 0, bytes: 0 };
      g.count++;
      g.bytes += c.size_bytes;
      groups.set(key, g);
    }
  }
  const data = [...groups.values()].sort((a, b) => b.bytes - a.bytes).map((g) => {
    const who = identityOf(g.owner);
    const gigabytes = g.bytes / GIB;
    return {
      project_id: g.project_id,
      org_user_urn: who.org_user_urn,
      user_email: who.email,
      user_name: who.user_name,
      checkpoint_count: g.count,
      size_bytes: g.bytes,
      size_gigabytes: round(gigabytes),
      estimated_monthly_cost_usd: round(gigabytes * rate, 4),
    };
  });
  return { effective_rate_usd_per_gigabyte_month: rate, data };
}

/** `GET /api/v1/billing/usage/events` over `[start, end)` (already checked). */
export function billingEvents(
  server: ServerContext,
  viewer: string,
  start: number,
  end: number,
  now: number,
): Record<string, unknown> {
  const rate = server.options.storageUsdPerGigabyteMonth;
  const rows: Record<string, unknown>[] = [];
  const sessions: Record<string, { user_metadata: Record<string, string> | null }> = {};
  const runs = runsVisibleTo(server, viewer);
  for (let hour = start; hour < end && hour < now; hour += HOUR_MS) {
    const bucket = { start: hour, end: hour + HOUR_MS };
    // Storage: GiB-hours of every checkpoint alive in the hour, by owner, project and model.
    const storage = new Map<string, { run: RunRecord; gbh: number }>();
    const created = new Map<string, { run: RunRecord; count: number }>();
    for (const run of runs) {
      for (const c of Object.values(run.checkpoints)) {
        const gbh = aliveMs(c, bucket, now) / HOUR_MS * c.size_bytes / GIB;
        const key = `${run.owner}\n${projectOf(server, run)}\n${run.lora.base_model}`;
        if (gbh > 0) {
          const s = storage.get(key) ?? { run, gbh: 0 };
          s.gbh += gbh;
          storage.set(key, s);
        }
        if (c.created >= bucket.start && c.created < bucket.end) {
          const ckey = `${key}\n${run.session_id}`;
          const k = created.get(ckey) ?? { run, count: 0 };
          k.count++;
          created.set(ckey, k);
        }
      }
    }
    for (const { run, gbh } of storage.values()) {
      const gigabyte_hours = round(gbh);
      rows.push({
        ...envelope(server, run, bucket, null),
        estimated_cost_usd: round(rate * gigabyte_hours / MONTH_HOURS, 8),
        effective_rate_usd_per_million_tokens: null,
        effective_rate_usd_per_gigabyte_month: rate,
        event_info: { type: "storage", gigabyte_hours },
      });
    }
    for (const { run, count } of created.values()) {
      rows.push({
        ...envelope(server, run, bucket, run.session_id),
        estimated_cost_usd: null,
        effective_rate_usd_per_million_tokens: null,
        effective_rate_usd_per_gigabyte_month: null,
        event_info: { type: "checkpoint", count },
      });
      sessions[run.session_id] = {
        user_metadata: server.store.session(run.session_id)?.user_metadata ?? null,
      };
    }
  }
  return { data: rows, sessions, cost_data_through: null };
}

function envelope(
  server: ServerContext,
  run: RunRecord,
  bucket: { start: number; end: number },
  sessionId: string | null,
): Record<string, unknown> {
  const who = identityOf(run.owner);
  return {
    bucket_start: iso(bucket.start),
    bucket_end: iso(bucket.end),
    base_model: run.lora.base_model,
    user_id: who.org_user_urn,
    user_name: who.user_name,
    session_id: sessionId,
    project_id: projectOf(server, run),
  };
}

/** How long, in ms, a checkpoint was stored within a bucket (up to now). */
function aliveMs(c: CheckpointRecord, bucket: { start: number; end: number }, now: number): number {
  const from = Math.max(c.created, bucket.start);
  const until = Math.min(c.expires_at ?? Infinity, bucket.end, now);
  return Math.max(0, until - from);
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}
