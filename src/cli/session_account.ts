/**
 * `tinkex session export-trace ID [-o PATH] [--url-only]` and `tinkex session set-project ID
 * PROJECT`: a session's trace (polled until built, then downloaded) and its project.
 * @module
 */
import { assignSessionProject, exportSessionTrace } from "../../mod.ts";
import { CliError } from "./errors.ts";
import { formatSize } from "./format.ts";
import { configOf, isJson, note, printJson, printLine, printPairs } from "./output.ts";
import type { CommandContext } from "./spec.ts";

/** Refuse to download more than this (a trace file of one session). */
const MAX_TRACE_BYTES = 1 << 30;

/** `tinkex session export-trace`. */
export async function exportTraceCommand(ctx: CommandContext): Promise<number> {
  const id = ctx.args[0];
  if (!isJson(ctx)) note(ctx, `Exporting the trace of session ${id} (this may take a while)...`);
  const url = await exportSessionTrace(configOf(ctx), id, {
    onPending: () => note(ctx, "The service is building the trace; asking again in 5 s..."),
  });
  if (ctx.options["url-only"] === true) {
    if (isJson(ctx)) printJson(ctx, { session_id: id, url });
    else printLine(ctx, url);
    return 0;
  }
  const destination = await traceDestination(ctx.options.output as string | undefined, id);
  const bytes = await downloadTo(url, destination);
  if (isJson(ctx)) {
    printJson(ctx, { session_id: id, destination, file_size_bytes: bytes });
  } else {
    printPairs(ctx, [["Session ID", id], ["Saved to", destination], ["Size", formatSize(bytes)]]);
  }
  return 0;
}

/**
 * Where the trace goes: `-o PATH`, or `<session-id>.pftrace` in the current directory or in
 * `-o DIR` (an existing directory, or a path ending in `/`), as `cp` does.
 */
async function traceDestination(output: string | undefined, id: string): Promise<string> {
  const name = `${id.replace(/[^\w.-]/g, "_")}.pftrace`;
  if (output === undefined) return name;
  const { join, sep } = await import("node:path");
  if (output.endsWith("/") || output.endsWith(sep)) return join(output, name);
  const { stat } = await import("node:fs/promises");
  const isDirectory = await stat(output).then((s) => s.isDirectory(), () => false);
  return isDirectory ? join(output, name) : output;
}

/** Fetch the signed URL (no API key) into `path`, via a temp file renamed when complete. */
async function downloadTo(url: string, path: string): Promise<number> {
  const fs = await import("node:fs/promises");
  const { dirname } = await import("node:path");
  const protocol = URL.canParse(url) ? new URL(url).protocol : "";
  if (protocol !== "https:" && protocol !== "http:") {
    throw new CliError("Cannot download the trace: the service gave a URL that is not http(s)");
  }
  let res: Response;
  try {
    res = await fetch(url, { redirect: "error" });
  } catch (e) {
    // The innermost cause says why (Deno: "fetch failed" outside); it quotes the URL, whose
    // query (the signature) stays out.
    let inner: unknown = e;
    while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
    const { origin, pathname } = new URL(url);
    const why = String(inner instanceof Error ? inner.message : inner)
      .split(url).join(`${origin}${pathname}?…`);
    throw new CliError(
      `Cannot download the trace: ${why}`,
      "Check your network; the signed URL is valid for about an hour.",
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new CliError(
      `Cannot download the trace: HTTP ${res.status}`,
      "The signed URL may have expired (it is valid for about an hour). Run the command again.",
    );
  }
  await fs.mkdir(dirname(path) || ".", { recursive: true });
  const temp = `${path}.tinkex-tmp-${crypto.randomUUID().slice(0, 8)}`;
  const file = await fs.open(temp, "w");
  let bytes = 0;
  try {
    for await (const chunk of res.body ?? new ReadableStream<Uint8Array>()) {
      bytes += chunk.length;
      if (bytes > MAX_TRACE_BYTES) {
        throw new CliError("Cannot download the trace: it is over 1 GiB");
      }
      await file.write(chunk);
    }
    await file.close();
    await fs.rename(temp, path);
  } catch (e) {
    await file.close().catch(() => {});
    await fs.rm(temp, { force: true });
    throw e;
  }
  return bytes;
}

/** `tinkex session set-project`. */
export async function setProjectCommand(ctx: CommandContext): Promise<number> {
  const [id, project] = ctx.args;
  await assignSessionProject(configOf(ctx), id, project);
  if (isJson(ctx)) printJson(ctx, { session_id: id, project_id: project });
  else printLine(ctx, `Session ${id} (with its runs and samplers) is now in project ${project}.`);
  return 0;
}
