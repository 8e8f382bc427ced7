/**
 * The account's costs: current checkpoint storage (`GET /api/v1/billing/usage/checkpoints/current`)
 * and hourly billing usage (`GET /api/v1/billing/usage/events`, the SDK's window rules checked
 * before sending).
 * @module
 */
import type { TinkerConfig } from "./config.ts";
import { InvalidBillingWindowError } from "./errors.ts";
import { requestJson, type RequestOptions } from "./http/request.ts";
import { billingWindowProblem, parseRfc3339 } from "../protocol/billing_window.ts";

/** Current storage of one project and session owner. */
export interface CheckpointStorageUsageItem {
  /** The project of the checkpoints' sessions. */
  project_id?: string | null;
  /** Org-user URN of the sessions' owner. */
  org_user_urn?: string | null;
  /** Their email. */
  user_email?: string | null;
  /** Their display name. */
  user_name?: string | null;
  /** Active checkpoints. */
  checkpoint_count: number;
  /** Stored bytes. */
  size_bytes: number;
  /** Stored bytes in the billing unit (GiB). */
  size_gigabytes: number;
  /** Projected gross cost of 720 hours at the current rate. */
  estimated_monthly_cost_usd?: number | null;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** Response of {@link getCheckpointStorageUsage}. */
export interface CheckpointStorageUsage {
  /** The current gross storage rate. */
  effective_rate_usd_per_gigabyte_month?: number | null;
  /** Storage grouped by project and session owner. */
  data: CheckpointStorageUsageItem[];
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** Options of {@link getCheckpointStorageUsage}. */
export interface StorageUsageOptions extends RequestOptions {
  /** Only checkpoints of this project (default: the whole organization, as far as you may see). */
  projectId?: string;
}

/**
 * What checkpoints cost in storage now, grouped by project and user, with the projected monthly
 * cost. The service's figures can lag by an hour or two.
 *
 * @example
 * ```ts
 * import { configFromEnv, getCheckpointStorageUsage } from "@tinkex/tinkex";
 * const usage = await getCheckpointStorageUsage(configFromEnv());
 * for (const row of usage.data) console.log(row.user_email, row.size_gigabytes, row.estimated_monthly_cost_usd);
 * ```
 */
export async function getCheckpointStorageUsage(
  config: TinkerConfig,
  opts: StorageUsageOptions = {},
): Promise<CheckpointStorageUsage> {
  return await requestJson<CheckpointStorageUsage>(config, {
    method: "GET",
    path: "/api/v1/billing/usage/checkpoints/current",
    query: { project_id: opts.projectId },
  }, opts);
}

/** The usage of one hourly bucket: what kind, and its quantity. */
export type BillingEventInfo =
  | { type: "training"; token_count: number; [extra: string]: unknown }
  | { type: "sampling_prefill"; cached: boolean; token_count: number; [extra: string]: unknown }
  | { type: "sampling_sample"; token_count: number; [extra: string]: unknown }
  | { type: "checkpoint"; count: number; [extra: string]: unknown }
  | { type: "storage"; gigabyte_hours: number; [extra: string]: unknown };

/** One hourly bucket of usage, attributed to a model, user, session and project. */
export interface BillingUsageEvent {
  /** Inclusive start of the UTC hour. */
  bucket_start: string;
  /** Exclusive end of the UTC hour. */
  bucket_end: string;
  /** The base model billed against. */
  base_model?: string | null;
  /** Org-user URN of the session's creator. */
  user_id?: string | null;
  /** Their display name. */
  user_name?: string | null;
  /** The session (null for storage). */
  session_id?: string | null;
  /** The session's project. */
  project_id?: string | null;
  /** Estimated gross cost (not an invoice amount). */
  estimated_cost_usd?: number | null;
  /** Token rate behind the estimate. */
  effective_rate_usd_per_million_tokens?: number | null;
  /** Storage rate behind the estimate. */
  effective_rate_usd_per_gigabyte_month?: number | null;
  /** What kind of usage, and how much. */
  event_info: BillingEventInfo;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/** Response of {@link getBillingUsage}. */
export interface BillingUsageResponse {
  /** Hourly usage, by bucket. */
  data: BillingUsageEvent[];
  /** Per session in `data`: its user metadata. */
  sessions?: Record<string, { user_metadata?: Record<string, string> | null }>;
  /** Boundary between invoice-derived and published-rate estimates. */
  cost_data_through?: string | null;
  /** Fields added by newer service versions. */
  [extra: string]: unknown;
}

/**
 * Check a billing window as the service does, before sending: RFC 3339 times (or Dates) on UTC
 * hour boundaries, the end after the start, at most 14 days, not starting in the future.
 * Returns both ends as RFC 3339 (`…Z`).
 *
 * @example
 * ```ts
 * import { checkBillingWindow } from "@tinkex/tinkex";
 * const [from, to] = checkBillingWindow("2026-07-13T00:00:00Z", "2026-07-14T00:00:00Z", new Date("2026-08-01"));
 * ```
 * @throws {InvalidBillingWindowError} naming the broken rule.
 */
export function checkBillingWindow(
  startingOn: string | Date,
  endingBefore: string | Date,
  now: Date = new Date(),
): [string, string] {
  const at = (v: string | Date, name: string): number => {
    const ms = v instanceof Date ? v.getTime() : parseRfc3339(v);
    if (ms === undefined || !Number.isFinite(ms)) {
      throw new InvalidBillingWindowError(
        `${name} is not an RFC 3339 time with a zone, e.g. 2026-07-13T00:00:00Z`,
      );
    }
    return ms;
  };
  const start = at(startingOn, "starting_on");
  const end = at(endingBefore, "ending_before");
  const problem = billingWindowProblem(start, end, now.getTime());
  if (problem) throw new InvalidBillingWindowError(problem);
  const rfc = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
  return [rfc(start), rfc(end)];
}

/**
 * Hourly billing usage of the organization in `[startingOn, endingBefore)`: one row per hour,
 * usage type, model, session and user. The window is checked first ({@link checkBillingWindow}).
 *
 * @example
 * ```ts
 * import { configFromEnv, getBillingUsage } from "@tinkex/tinkex";
 * const usage = await getBillingUsage(configFromEnv(), "2026-07-13T00:00:00Z", "2026-07-14T00:00:00Z");
 * for (const e of usage.data) console.log(e.bucket_start, e.event_info.type, e.estimated_cost_usd);
 * ```
 * @throws {InvalidBillingWindowError} before any request when the window breaks a rule.
 */
export async function getBillingUsage(
  config: TinkerConfig,
  startingOn: string | Date,
  endingBefore: string | Date,
  opts: RequestOptions = {},
): Promise<BillingUsageResponse> {
  const [starting_on, ending_before] = checkBillingWindow(startingOn, endingBefore);
  return await requestJson<BillingUsageResponse>(config, {
    method: "GET",
    path: "/api/v1/billing/usage/events",
    query: { starting_on, ending_before },
  }, opts);
}
