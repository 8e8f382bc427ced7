/**
 * The audit log: one JSON line per event in `<data>/audit/<YYYY-MM-DD>.jsonl` (UTC days).
 * Checkpoint events are derived from every committed run change (created, deleted, expired,
 * published, unpublished, TTL set), so no mutation path can forget to record one.
 * @module
 */
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { identityOf } from "../auth/accounts.ts";
import { tinkerPathOf } from "../routes/wire.ts";
import type { CheckpointRecord, RunRecord } from "../store/records.ts";
import { ensureDirs, FILE_MODE } from "../store/atomic_fs.ts";

/** One entry, as `GET /api/v1/audit` answers it (the SDK's `AuditLogEntry` plus the actor). */
export interface AuditEntry {
  timestamp: string;
  event: string;
  model_id: string | null;
  tinker_path: string | null;
  purpose: string | null;
  /** Org-user URN of who did it. */
  user_id: string;
  /** What changed, where it says more than the event name. */
  event_details?: Record<string, unknown>;
}

/** The `event_type` filter values and the event-name prefix each selects. */
export const AUDIT_EVENT_TYPES: Record<string, string> = {
  all: "",
  checkpoints: "checkpoint.",
  projects: "project.",
  teams: "team.",
  organizations: "organization.",
};

/** A day's entries are read up to this many bytes (older ones first). */
const MAX_DAY_BYTES = 64 << 20;

/** The audit log of one data directory. */
export class AuditLog {
  readonly #dir: string;

  /** Log into `<dataDir>/audit`. */
  constructor(dataDir: string) {
    this.#dir = join(dataDir, "audit");
  }

  /** Append entries (in order) to their days' files. */
  async record(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await ensureDirs(this.#dir);
    const byDay = new Map<string, string>();
    for (const e of entries) {
      const day = e.timestamp.slice(0, 10);
      byDay.set(day, (byDay.get(day) ?? "") + JSON.stringify(e) + "\n");
    }
    for (const [day, lines] of byDay) {
      // Owner-only, like every file of the data directory.
      const handle = await open(join(this.#dir, `${day}.jsonl`), "a", FILE_MODE);
      try {
        await handle.writeFile(lines);
      } finally {
        await handle.close();
      }
    }
  }

  /** The entries of a UTC day (`YYYY-MM-DD`) whose event starts with `prefix`, oldest first. */
  async read(day: string, prefix: string): Promise<AuditEntry[]> {
    let text: string;
    try {
      const bytes = await readFile(join(this.#dir, `${day}.jsonl`));
      text = new TextDecoder().decode(bytes.subarray(0, MAX_DAY_BYTES));
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return [];
      throw e;
    }
    const out: AuditEntry[] = [];
    for (const line of text.split("\n")) {
      if (line === "") continue;
      try {
        const entry = JSON.parse(line) as AuditEntry;
        if (entry.event.startsWith(prefix)) out.push(entry);
      } catch {
        // A line cut short by a crash: skip it.
      }
    }
    return out;
  }
}

/** The checkpoint events of one committed run change. */
export function checkpointEvents(
  before: RunRecord | undefined,
  after: RunRecord,
  now: number,
): AuditEntry[] {
  const timestamp = new Date(now).toISOString();
  const user_id = identityOf(after.owner).org_user_urn;
  const entry = (event: string, c: CheckpointRecord, event_details?: Record<string, unknown>) => ({
    timestamp,
    event,
    model_id: after.id,
    tinker_path: tinkerPathOf(after.id, c),
    purpose: null,
    user_id,
    ...(event_details ? { event_details } : {}),
  });
  const old = before?.checkpoints ?? {};
  const out: AuditEntry[] = [];
  for (const [key, c] of Object.entries(old)) {
    if (key in after.checkpoints) continue;
    const expired = c.expires_at !== null && c.expires_at <= now;
    out.push(entry(expired ? "checkpoint.expired" : "checkpoint.deleted", c));
  }
  for (const [key, c] of Object.entries(after.checkpoints)) {
    const was = old[key];
    if (!was || was.object_id !== c.object_id) {
      out.push(entry("checkpoint.created", c, { size_bytes: c.size_bytes }));
      continue;
    }
    if (was.public !== c.public) {
      out.push(entry(c.public ? "checkpoint.published" : "checkpoint.unpublished", c));
    }
    if (was.expires_at !== c.expires_at) {
      const expires_at = c.expires_at === null ? null : new Date(c.expires_at).toISOString();
      out.push(entry("checkpoint.ttl_updated", c, { expires_at }));
    }
  }
  return out;
}

const logs = new WeakMap<object, AuditLog>();

/**
 * Start a server's audit log: from now on every committed run change records its checkpoint
 * events. (Called after seeding, so sample data is not logged as activity.)
 */
export function attachAuditLog(
  server: {
    store: {
      dir: string;
      observeRuns(o: (b: RunRecord | undefined, a: RunRecord) => Promise<void>): void;
    };
  },
): AuditLog {
  const log = new AuditLog(server.store.dir);
  server.store.observeRuns((before, after) =>
    log.record(checkpointEvents(before, after, Date.now()))
  );
  logs.set(server, log);
  return log;
}

/** The audit log of a server started with {@link attachAuditLog}. */
export function auditLogOf(server: object): AuditLog {
  const log = logs.get(server);
  if (!log) throw new Error("the server has no audit log");
  return log;
}
