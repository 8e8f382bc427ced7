/**
 * `tinkex checkpoint …`: list, info, url, publish, unpublish, set-ttl; delete, prune and
 * download live in their own files.
 * @module
 */
import {
  type Checkpoint,
  getArchiveUrl,
  getCheckpoint,
  getWeightsInfo,
  iterateCheckpoints,
  publishCheckpoint,
  setCheckpointTtl,
  unpublishCheckpoint,
} from "../../mod.ts";
import {
  checkpointPathArg,
  itemError,
  parsePaths,
  reportBulk,
  runBulk,
  settledInOrder,
} from "./bulk.ts";
import { deleteCommand, pruneCommand } from "./checkpoint_delete.ts";
import { downloadCommand, verifyCommand } from "./checkpoint_download.ts";
import { copyCommand } from "./checkpoint_copy.ts";
import { filteredWindow, parseMetaFilter } from "./metadata_filter.ts";
import { UsageError } from "./errors.ts";
import { formatDuration, formatTime, takenTitle } from "./format.ts";
import {
  announceBuilding,
  configOf,
  isJson,
  note,
  printJson,
  printLine,
  printPairs,
  printResult,
} from "./output.ts";
import { listingCursor, pageOptions, takeListing, type Taken } from "./paging.ts";
import type { CommandContext, GroupModule, Handler } from "./spec.ts";
import { checkpointPairs, checkpointTable } from "./views.ts";

async function list(ctx: CommandContext): Promise<number> {
  const config = configOf(ctx);
  const runId = ctx.options["run-id"] as string | undefined;
  const page = pageOptions(ctx.options);
  const meta = parseMetaFilter(ctx.options.meta, ctx.command);
  const taken: Taken<Checkpoint> = await takeListing(
    page,
    (opts) =>
      meta.length === 0
        ? iterateCheckpoints(config, { ...opts, runId })
        : filteredWindow(iterateCheckpoints(config, { runId }), meta, opts),
  );
  const json = { checkpoints: taken.items, cursor: listingCursor(taken, page) };
  printResult(ctx, json, () => checkpointTable(takenTitle(taken, page, "checkpoint"), taken.items));
  return 0;
}

async function info(ctx: CommandContext): Promise<number> {
  const path = checkpointPathArg(ctx);
  const config = configOf(ctx);
  // Both at once, but the checkpoint's own error wins: the same failure, the same message.
  const [checkpoint, weights] = await settledInOrder([
    getCheckpoint(config, path),
    getWeightsInfo(config, path),
  ]);
  if (isJson(ctx)) printJson(ctx, { ...checkpoint, weights_info: weights });
  else printPairs(ctx, checkpointPairs(checkpoint, weights));
  return 0;
}

async function url(ctx: CommandContext): Promise<number> {
  const path = checkpointPathArg(ctx);
  const config = configOf(ctx);
  const archive = await getArchiveUrl(config, path, { onBuilding: announceBuilding(ctx) });
  if (isJson(ctx)) {
    printJson(ctx, archive);
  } else {
    printLine(ctx, archive.url);
    note(
      ctx,
      `Expires ${formatTime(archive.expires)} (${archive.expires}). Fetch it without the API key.`,
    );
  }
  return 0;
}

function visibility(makePublic: boolean): Handler {
  return async (ctx) => {
    const config = configOf(ctx);
    const paths = [...parsePaths(ctx.args).keys()];
    const act = makePublic ? publishCheckpoint : unpublishCheckpoint;
    const outcome = await runBulk(
      paths,
      (p) => act(config, p),
      (e) => itemError(e, makePublic ? "already public" : "already private"),
    );
    return reportBulk(ctx, outcome, {
      verb: makePublic ? "publish" : "unpublish",
      past: makePublic ? "Published" : "Unpublished",
      jsonKey: makePublic ? "published" : "unpublished",
    });
  };
}

async function setTtl(ctx: CommandContext): Promise<number> {
  const ttl = ctx.options.ttl as number | undefined;
  const remove = ctx.options.remove === true;
  if (ttl !== undefined && remove) {
    throw new UsageError("Give either --ttl DURATION or --remove, not both", ctx.command);
  }
  if (ttl === undefined && !remove) {
    throw new UsageError("Missing --ttl DURATION or --remove", ctx.command);
  }
  const path = checkpointPathArg(ctx);
  await setCheckpointTtl(configOf(ctx), path, remove ? null : ttl!);
  if (isJson(ctx)) printJson(ctx, { tinker_path: path, ttl_seconds: remove ? null : ttl });
  else if (remove) printLine(ctx, `Removed the expiry of ${path}: it is kept until deleted.`);
  else printLine(ctx, `${path} now expires in ${formatDuration(ttl!)}.`);
  return 0;
}

/** Handlers of `tinkex checkpoint`. */
export const handlers: GroupModule["handlers"] = {
  list,
  info,
  download: downloadCommand,
  verify: verifyCommand,
  copy: copyCommand,
  url,
  publish: visibility(true),
  unpublish: visibility(false),
  "set-ttl": setTtl,
  delete: deleteCommand,
  prune: pruneCommand,
};
