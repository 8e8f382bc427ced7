/**
 * `tinkex checkpoint download PATH [-o DIR] [--force]`: fetch and extract an archive with
 * progress on stderr; Ctrl-C cancels cleanly (nothing is left behind).
 * @module
 */
import { download } from "../../mod.ts";
import { checkpointPathArg } from "./bulk.ts";
import { formatSize, plural } from "./format.ts";
import { announceBuilding, configOf, isJson, printJson, printLine } from "./output.ts";
import { createProgress } from "./progress.ts";
import type { CommandContext } from "./spec.ts";

/** `tinkex checkpoint download`. */
export async function downloadCommand(ctx: CommandContext): Promise<number> {
  const path = checkpointPathArg(ctx);
  const progress = createProgress(ctx.io);
  const notes = (text: string) => progress.note(text); // retries: above the bar, not inside it
  const config = configOf(ctx, notes);
  const signal = ctx.cancellation(); // stop cleanly on Ctrl-C: nothing is left behind
  try {
    const result = await download(config, path, {
      outputDir: ctx.options.output as string | undefined,
      force: ctx.options.force === true,
      onProgress: (info) => progress.update(info),
      onResume: (info) => progress.resuming(info),
      onBuilding: announceBuilding(ctx, notes),
      signal,
    }).catch((e) => {
      progress.finish({ ok: false, cancelled: signal.aborted });
      throw e;
    });
    progress.finish({ ok: true });
    if (isJson(ctx)) {
      printJson(ctx, { tinker_path: path, ...result });
    } else {
      const what = `${plural(result.files.length, "file")}, ${formatSize(result.bytes)}`;
      printLine(ctx, `Downloaded ${path} to ${result.destination} (${what})`);
    }
    return 0;
  } finally {
    progress.finish();
  }
}
