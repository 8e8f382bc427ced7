/**
 * `tinkex checkpoint download PATH [-o DIR] [--force]`: fetch and extract an archive with
 * progress on stderr; Ctrl-C cancels cleanly.
 * @module
 */
import * as tinkex from "../../mod.ts";
import { CliError } from "./errors.ts";
import { formatSize, plural } from "./format.ts";
import { configOf, isJson, printJson, printLine } from "./output.ts";
import { createProgress, type ProgressInfo } from "./progress.ts";
import type { CommandContext } from "./spec.ts";

/** What `download` resolves to. */
interface DownloadResult {
  destination: string;
  files: { path: string; size: number }[];
  bytes: number;
}

type DownloadFn = (
  config: tinkex.ResolvedConfig,
  path: string,
  opts: {
    outputDir?: string;
    force?: boolean;
    onProgress?: (info: ProgressInfo) => void;
    signal?: AbortSignal;
  },
) => Promise<DownloadResult>;

interface SignalHost {
  addSignalListener?(signal: "SIGINT", handler: () => void): void;
  removeSignalListener?(signal: "SIGINT", handler: () => void): void;
}

/** `tinkex checkpoint download`. */
export async function downloadCommand(ctx: CommandContext): Promise<number> {
  const download = (tinkex as unknown as { download?: DownloadFn }).download;
  if (!download) {
    throw new CliError("Cannot download: this build of tinkex has no download support");
  }
  const path = ctx.args[0];
  tinkex.parseTinkerPath(path);
  const config = configOf(ctx);
  const progress = createProgress(ctx.io);
  const controller = new AbortController();
  const stop = onInterrupt(() => controller.abort(new Error("interrupted by Ctrl-C")));
  let result: DownloadResult;
  try {
    result = await download(config, path, {
      outputDir: ctx.options.output as string | undefined,
      force: ctx.options.force === true,
      onProgress: (info) => progress.update(info),
      signal: controller.signal,
    });
  } finally {
    stop();
    progress.finish();
  }
  if (isJson(ctx)) {
    printJson(ctx, { tinker_path: path, ...result });
  } else {
    const count = plural(result.files.length, "file");
    printLine(
      ctx,
      `Downloaded ${path} to ${result.destination} (${count}, ${formatSize(result.bytes)})`,
    );
  }
  return 0;
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
