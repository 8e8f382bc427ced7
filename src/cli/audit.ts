/**
 * `tinkex audit [--day YYYY-MM-DD] [--event-type T] [--jsonl]`: a day of the organization's
 * audit log (the admin role is needed). `--jsonl` prints one entry per line, for `jq` and logs.
 * @module
 */
import { type AuditEventType, getAuditLog, PermissionDeniedError } from "../../mod.ts";
import { CliError, UsageError } from "./errors.ts";
import { formatTime, plural } from "./format.ts";
import { configOf, isJson, printJson, printTable } from "./output.ts";
import type { CommandContext, GroupModule } from "./spec.ts";

async function audit(ctx: CommandContext): Promise<number> {
  const day = ctx.options.day as string | undefined;
  if (day !== undefined && !isCalendarDay(day)) {
    throw new UsageError(
      `Invalid value '${day}' for --day: expected a UTC day YYYY-MM-DD, e.g. 2026-07-13`,
      ctx.command,
    );
  }
  const eventType = ctx.options["event-type"] as AuditEventType | undefined;
  const { entries } = await getAuditLog(configOf(ctx), { day, eventType }).catch(async (e) => {
    if (!(e instanceof PermissionDeniedError)) throw e;
    const { describeFailure } = await import("./failure.ts");
    throw new CliError(
      describeFailure(e).message,
      "The audit log needs the admin role: use the key of an admin of your organization " +
        "(tinkex serve: --admin-key).",
    );
  });
  if (ctx.options.jsonl === true) {
    ctx.io.stdout(entries.map((e) => JSON.stringify(e) + "\n").join(""));
  } else if (isJson(ctx)) {
    printJson(ctx, { entries });
  } else {
    const now = Date.now();
    printTable(ctx, {
      title: entries.length === 0
        ? `No audit events on ${day ?? "this day (UTC)"}`
        : plural(entries.length, "audit event"),
      columns: ["Time", "Event", "Path", "By"],
      rows: entries.map((e) => [
        `${formatTime(e.timestamp, now)} (${e.timestamp})`,
        e.event,
        e.tinker_path ?? e.model_id ?? "",
        typeof e.user_id === "string" ? e.user_id : "",
      ]),
    });
  }
  return 0;
}

function isCalendarDay(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const ms = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === day;
}

/** Handlers of `tinkex audit`. */
export const handlers: GroupModule["handlers"] = { audit };
