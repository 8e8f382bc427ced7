/**
 * `tinkex billing usage START END [--csv PATH] [--sessions-csv PATH]`: hourly billing usage, as
 * the official CLI shows it (rows flattened with their `event_info`; CSV with empty cells for
 * null; JSON with the response's own shape).
 * @module
 */
import { type BillingUsageEvent, getBillingUsage, InvalidBillingWindowError } from "../../mod.ts";
import { UsageError } from "./errors.ts";
import { plural } from "./format.ts";
import { configOf, isJson, note, printJson, printTable } from "./output.ts";
import type { CommandContext, GroupModule } from "./spec.ts";

/** A usage row with its `event_info` merged in (the envelope's fields first). */
export function flatRow(event: BillingUsageEvent): Record<string, unknown> {
  const { event_info, ...envelope } = event;
  return { ...envelope, ...event_info };
}

/** Column order: the first row's keys, then keys only later rows carry. */
export function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const columns: string[] = [];
  for (const row of rows) {
    for (const k of Object.keys(row)) if (!columns.includes(k)) columns.push(k);
  }
  return columns;
}

/** RFC 4180 CSV: a header, then one line per row; null and missing cells are empty. */
export function toCsv(rows: readonly Record<string, unknown>[], columns = columnsOf(rows)): string {
  const cell = (v: unknown) => {
    const text = v === null || v === undefined
      ? ""
      : typeof v === "object"
      ? JSON.stringify(v)
      : String(v);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [columns, ...rows.map((r) => columns.map((c) => r[c]))]
    .map((line) => line.map(cell).join(",")).join("\r\n") + "\r\n";
}

async function writeCsv(ctx: CommandContext, path: string, text: string, count: number) {
  if (path === "-") return ctx.io.stdout(text);
  const { writeFile } = await import("node:fs/promises");
  await writeFile(path, text);
  note(ctx, `Wrote ${plural(count, "row")} to ${path}`);
}

const WINDOW_RULES = "START and END are UTC hours (e.g. 2026-07-13T00:00:00Z), END after START " +
  "and at most 14 days later, START not in the future.";

async function usage(ctx: CommandContext): Promise<number> {
  const [start, end] = ctx.args;
  const response = await getBillingUsage(configOf(ctx), start, end).catch((e) => {
    // A window breaking a rule is the user's input, checked before any request: a usage
    // error (exit 2) like a bad --day of audit, in the arguments' names.
    if (!(e instanceof InvalidBillingWindowError)) throw e;
    const reason = e.reason.replace(/\bstarting_on\b/g, "START")
      .replace(/\bending_before\b/g, "END");
    throw new UsageError(`Invalid window: ${reason}`, ctx.command, WINDOW_RULES);
  });
  const csvPath = ctx.options.csv as string | undefined;
  const sessionsPath = ctx.options["sessions-csv"] as string | undefined;
  const rows = response.data.map(flatRow);
  if (sessionsPath !== undefined) {
    const sessions = Object.entries(response.sessions ?? {}).map(([session_id, s]) => ({
      session_id,
      user_metadata: s.user_metadata == null ? null : JSON.stringify(s.user_metadata),
    }));
    await writeCsv(
      ctx,
      sessionsPath,
      toCsv(sessions, ["session_id", "user_metadata"]),
      sessions.length,
    );
  }
  if (csvPath !== undefined) await writeCsv(ctx, csvPath, toCsv(rows), rows.length);
  if (csvPath !== undefined || sessionsPath !== undefined) return 0;
  if (isJson(ctx)) {
    printJson(ctx, {
      data: response.data,
      sessions: response.sessions ?? {},
      cost_data_through: response.cost_data_through ?? null,
    });
    return 0;
  }
  const columns = columnsOf(rows);
  printTable(ctx, {
    title: rows.length === 0
      ? "No billing usage in this window"
      : plural(rows.length, "hourly usage row"),
    columns,
    rows: rows.map((r) =>
      columns.map((c) => (r[c] === null || r[c] === undefined ? "" : String(r[c])))
    ),
  });
  return 0;
}

/** Handlers of `tinkex billing`. */
export const handlers: GroupModule["handlers"] = { usage };
