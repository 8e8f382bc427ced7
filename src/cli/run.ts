/**
 * `tinkex run list|info`: training runs.
 * @module
 */
import {
  type AccessScope,
  getTrainingRun,
  iterateTrainingRuns,
  listTrainingRuns,
  type TrainingRun,
} from "../../mod.ts";
import { listTitle } from "./format.ts";
import { configOf, isJson, printJson, printPairs, printResult } from "./output.ts";
import { takeAll, type Taken, takePage } from "./paging.ts";
import type { CommandContext, GroupModule } from "./spec.ts";
import { runPairs, runTable } from "./views.ts";

async function list(ctx: CommandContext): Promise<number> {
  const config = configOf(ctx);
  const limit = (ctx.options.limit as number | undefined) ?? 20;
  const offset = (ctx.options.offset as number | undefined) ?? 0;
  const accessScope = ctx.options["access-scope"] as AccessScope | undefined;
  const taken: Taken<TrainingRun> = limit === 0
    ? await takeAll(iterateTrainingRuns(config, { accessScope }), offset)
    : await takePage(
      async (o, l) => {
        const page = await listTrainingRuns(config, { offset: o, limit: l, accessScope });
        return { items: page.training_runs, total: page.cursor?.total_count };
      },
      offset,
      limit,
    );
  const { items, total } = taken;
  const cursor = { offset, limit: limit === 0 ? items.length : limit, total_count: total ?? null };
  printResult(ctx, { training_runs: items, cursor }, () =>
    runTable(
      listTitle({
        shown: items.length,
        remaining: total === undefined ? undefined : total - offset,
        hasMore: taken.hasMore,
        noun: "training run",
        howToSeeMore: "use --limit 0 to show all",
      }),
      items,
    ));
  return 0;
}

async function info(ctx: CommandContext): Promise<number> {
  const accessScope = ctx.options["access-scope"] as AccessScope | undefined;
  const run = await getTrainingRun(configOf(ctx), ctx.args[0], { accessScope });
  if (isJson(ctx)) printJson(ctx, run);
  else printPairs(ctx, runPairs(run));
  return 0;
}

/** Handlers of `tinkex run`. */
export const handlers: GroupModule["handlers"] = { list, info };
