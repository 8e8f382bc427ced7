/**
 * `tinkex run list|info`: training runs.
 * @module
 */
import {
  type AccessScope,
  getTrainingRun,
  iterateTrainingRuns,
  type TrainingRun,
} from "../../mod.ts";
import { takenTitle } from "./format.ts";
import { configOf, isJson, printJson, printPairs, printResult } from "./output.ts";
import { listingCursor, pageOptions, takeListing, type Taken } from "./paging.ts";
import type { CommandContext, GroupModule } from "./spec.ts";
import { runPairs, runTable } from "./views.ts";

async function list(ctx: CommandContext): Promise<number> {
  const config = configOf(ctx);
  const page = pageOptions(ctx.options);
  const accessScope = ctx.options["access-scope"] as AccessScope | undefined;
  const projectId = ctx.options["project-id"] as string | undefined;
  const taken: Taken<TrainingRun> = await takeListing(
    page,
    (opts) => iterateTrainingRuns(config, { ...opts, accessScope, projectId }),
  );
  const json = { training_runs: taken.items, cursor: listingCursor(taken, page) };
  printResult(ctx, json, () => runTable(takenTitle(taken, page, "training run"), taken.items));
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
