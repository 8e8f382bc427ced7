/**
 * The organization's audit log (`GET /api/v1/audit`; needs the admin role).
 * @module
 */
import type { TinkerConfig } from "./config.ts";
import { requestJson, type RequestOptions } from "./http/request.ts";

/** Which events: all, or those about checkpoints, projects, teams or organizations. */
export type AuditEventType = "all" | "checkpoints" | "projects" | "teams" | "organizations";

/** One audit log entry. */
export interface AuditLogEntry {
  /** When it happened. */
  timestamp: string;
  /** What happened. */
  event: string;
  /** The model (training run) concerned. */
  model_id?: string | null;
  /** The checkpoint concerned. */
  tinker_path?: string | null;
  /** Why, when recorded. */
  purpose?: string | null;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** Response of {@link getAuditLog}. */
export interface AuditLogResponse {
  /** Entries, oldest first. */
  entries: AuditLogEntry[];
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** Options of {@link getAuditLog}. */
export interface AuditLogOptions extends RequestOptions {
  /** Which events (default `all`). */
  eventType?: AuditEventType;
  /** The UTC day, `YYYY-MM-DD` (default: today, as the service decides). */
  day?: string;
}

/**
 * A day of the organization's audit log. Needs the admin role: others get
 * `PermissionDeniedError` (403).
 *
 * @example
 * ```ts
 * import { configFromEnv, getAuditLog } from "@tinkex/tinkex";
 * const { entries } = await getAuditLog(configFromEnv(), { day: "2026-07-13", eventType: "checkpoints" });
 * for (const e of entries) console.log(e.timestamp, e.event, e.tinker_path);
 * ```
 */
export async function getAuditLog(
  config: TinkerConfig,
  opts: AuditLogOptions = {},
): Promise<AuditLogResponse> {
  return await requestJson<AuditLogResponse>(config, {
    method: "GET",
    path: "/api/v1/audit",
    query: { event_type: opts.eventType ?? "all", day: opts.day },
  }, opts);
}
