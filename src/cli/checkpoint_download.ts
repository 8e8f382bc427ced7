/**
 * `tinkex checkpoint download PATH [-o DIR] [--force]`: fetch and extract an archive with
 * progress on stderr; Ctrl-C cancels cleanly (nothing is left behind).
 * @module
 */
import { download, parseTinkerPath } from "../../mod.ts";
import { formatSize, plural } from "./format.ts";
import { announceBuilding, configOf, isJson, printJson, printLine } from "./output.ts";
import { createProgress } from "./progress.ts";
import type { CommandContext } from "./spec.ts";

interface SignalHost {
  addSignalListener?(signal: "SIGINT", handler: () => void): void;
  removeSignalListener?(signal: "SIGINT", handler: () => void): void;
}

/** `tinkex checkpoint download`. */
export async function downloadCommand(ctx: CommandContext): Promise<number> {
  const path = ctx.args[0];
  parseTinkerPath(path);
  const config = configOf(ctx);
  const progress = createProgress(ctx.io);
  const controller = new AbortController();
  const stop = onInterrupt(() => controller.abort(new Error("interrupted by Ctrl-C")));
  try {
    const result = await download(config, path, {
      outputDir: ctx.options.output as string | undefined,
      force: ctx.options.force === true,
      onProgress: (info) => progress.update(info),
      onBuilding: announceBuilding(ctx),
      signal: controller.signal,
    });
    progress.finish();
    if (isJson(ctx)) {
      printJson(ctx, { tinker_path: path, ...result });
    } else {
      const what = `${plural(result.files.length, "file")}, ${formatSize(result.bytes)}`;
      printLine(ctx, `Downloaded ${path} to ${result.destination} (${what})`);
    }
    return 0;
  } finally {
    stop();
    progress.finish();
  }
}

/** Call `handler` on Ctrl-C until the returned function is called. */
function onInterrupt(handler: () => void): () => void {
  const host = (globalThis as { Deno?: SignalHost }).Deno;
  try {
    host?.addSignalListener?.("SIGINT", handler);
  } catch {
    return () => {};
  }
  return () => host?.removeSignalListener?.("SIGINT", handler);
}
