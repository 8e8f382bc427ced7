/**
 * `tinkex session list|info|finish`: sessions, what they made, and ending one.
 * @module
 */
import { finishSession, getSession, iterateSessions, type SessionFinishReason } from "../../mod.ts";
import { stylesFor } from "./color.ts";
import { takenTitle } from "./format.ts";
import { configOf, isJson, printJson, printLine, printResult } from "./output.ts";
import { listingCursor, pageOptions, takeListing } from "./paging.ts";
import type { CommandContext, GroupModule } from "./spec.ts";
import { exportTraceCommand, setProjectCommand } from "./session_account.ts";
import { metadataText } from "./views.ts";
import { escapeControls } from "./sanitize.ts";

async function list(ctx: CommandContext): Promise<number> {
  const config = configOf(ctx);
  const page = pageOptions(ctx.options);
  const taken = await takeListing(page, (opts) => iterateSessions(config, opts));
  const json = { sessions: taken.items, cursor: listingCursor(taken, page) };
  printResult(ctx, json, () => ({
    title: takenTitle(taken, page, "session"),
    columns: ["Session ID"],
    rows: taken.items.map((id) => [id]),
  }));
  return 0;
}

async function info(ctx: CommandContext): Promise<number> {
  const id = ctx.args[0];
  const session = await getSession(configOf(ctx), id);
  if (isJson(ctx)) {
    printJson(ctx, { session_id: id, ...session });
    return 0;
  }
  const s = stylesFor(ctx.io, "stdout");
  const section = (title: string, ids: readonly string[] | undefined) => {
    const list = ids ?? [];
    printLine(ctx, s.bold(`${title} (${list.length}):`) + (list.length === 0 ? " none" : ""));
    for (const item of list) printLine(ctx, `  ${escapeControls(item)}`);
  };
  printLine(ctx, `${s.bold("Session:")} ${id}`);
  section("Training runs", session.training_run_ids);
  section("Samplers", session.sampler_ids);
  printLine(ctx, `${s.bold("Metadata:")} ${escapeControls(metadataText(session.user_metadata))}`);
  return 0;
}

async function finish(ctx: CommandContext): Promise<number> {
  const id = ctx.args[0];
  const reason = (ctx.options.reason as SessionFinishReason | undefined) ?? "success";
  const detail = ctx.options.detail as string | undefined;
  await finishSession(configOf(ctx), id, reason, { detail });
  if (isJson(ctx)) {
    printJson(ctx, { session_id: id, reason: { type: reason }, detail: detail ?? null });
  } else printLine(ctx, `Finished session ${id} (${reason}).`);
  return 0;
}

/** Handlers of `tinkex session`. */
export const handlers: GroupModule["handlers"] = {
  list,
  info,
  finish,
  "export-trace": exportTraceCommand,
  "set-project": setProjectCommand,
};
