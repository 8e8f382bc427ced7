/**
 * `tinkex session list|info`: sessions and what they made.
 * @module
 */
import { getSession, iterateSessions, listSessions } from "../../mod.ts";
import { stylesFor } from "./color.ts";
import { listTitle } from "./format.ts";
import { configOf, isJson, printJson, printLine, printResult } from "./output.ts";
import { takeAll, takePage } from "./paging.ts";
import type { CommandContext, GroupModule } from "./spec.ts";

async function list(ctx: CommandContext): Promise<number> {
  const config = configOf(ctx);
  const limit = (ctx.options.limit as number | undefined) ?? 20;
  const offset = (ctx.options.offset as number | undefined) ?? 0;
  const taken = limit === 0 ? await takeAll(iterateSessions(config), offset) : await takePage(
    async (o, l) => {
      const page = await listSessions(config, { offset: o, limit: l });
      return { items: page.sessions };
    },
    offset,
    limit,
  );
  const sessions = taken.items;
  printResult(ctx, { sessions }, () => ({
    title: listTitle({
      shown: sessions.length,
      hasMore: taken.hasMore,
      noun: "session",
      howToSeeMore: "use --limit 0 to show all",
    }),
    columns: ["Session ID"],
    rows: sessions.map((id) => [id]),
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
    for (const item of list) printLine(ctx, `  ${item}`);
  };
  printLine(ctx, `${s.bold("Session:")} ${id}`);
  section("Training runs", session.training_run_ids);
  section("Samplers", session.sampler_ids);
  return 0;
}

/** Handlers of `tinkex session`. */
export const handlers: GroupModule["handlers"] = { list, info };
