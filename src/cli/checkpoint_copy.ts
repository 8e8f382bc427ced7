/**
 * `tinkex checkpoint copy PATH [--ttl DURATION]`: copy a checkpoint (yours, or another user's
 * public one) into a new training run of yours; prints the copy's path.
 * @module
 */
import { copyWeights, parseTinkerPath } from "../../mod.ts";
import { formatDuration } from "./format.ts";
import { configOf, isJson, note, printJson, printLine } from "./output.ts";
import type { CommandContext } from "./spec.ts";

/** The handler of `tinkex checkpoint copy`. */
export async function copyCommand(ctx: CommandContext): Promise<number> {
  const source = ctx.args[0];
  parseTinkerPath(source);
  const ttl = ctx.options.ttl as number | undefined;
  const copy = await copyWeights(configOf(ctx), source, { ttlSeconds: ttl });
  if (isJson(ctx)) {
    printJson(ctx, { source_path: source, tinker_path: copy, ttl_seconds: ttl ?? null });
    return 0;
  }
  printLine(ctx, copy);
  note(
    ctx,
    `Copied ${source}; ${
      ttl === undefined ? "the copy never expires" : `the copy expires in ${formatDuration(ttl)}`
    }.`,
  );
  return 0;
}
