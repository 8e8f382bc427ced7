/**
 * What a session carries beyond its runs: its project (`PUT /api/v1/sessions/{id}/project`) and
 * its trace (`GET /api/v1/sessions/{id}/trace_export`, polled until built).
 * @module
 */
import type { TinkerConfig } from "./config.ts";
import { TraceExportFailedError } from "./errors.ts";
import { sleep } from "./http/abort.ts";
import { requestJson, type RequestOptions } from "./http/request.ts";
import { idSegment } from "./id_segment.ts";

/**
 * Move a session, with all its training runs and samplers, into a project. Clearing the project
 * is not supported by the service.
 *
 * @example
 * ```ts
 * import { assignSessionProject, configFromEnv } from "@tinkex/tinkex";
 * await assignSessionProject(configFromEnv(), "session-1", "research");
 * ```
 * @throws {NotFoundError} when the session is not found (or not yours).
 */
export async function assignSessionProject(
  config: TinkerConfig,
  sessionId: string,
  projectId: string,
  opts: RequestOptions = {},
): Promise<void> {
  await requestJson(config, {
    method: "PUT",
    path: `/api/v1/sessions/${idSegment(sessionId, "session id")}/project`,
    body: { project_id: projectId },
  }, opts);
}

/** How often the trace export is polled while it is built, in ms (the SDK's 5 s). */
export const TRACE_EXPORT_POLL_MS = 5000;

/** Options of {@link exportSessionTrace}. */
export interface TraceExportOptions extends RequestOptions {
  /** Poll interval while the trace is built, in ms (default 5000). */
  pollIntervalMs?: number;
  /** Called once when the service says the trace is still being built. */
  onPending?: () => void;
}

/**
 * Export a session's timeline as a trace file and get its signed download URL (valid about an
 * hour; fetch it without the API key). Polls until the service has built it.
 *
 * @example
 * ```ts
 * import { configFromEnv, exportSessionTrace } from "@tinkex/tinkex";
 * const url = await exportSessionTrace(configFromEnv(), "session-1", {
 *   onPending: () => console.error("building the trace…"),
 * });
 * const trace = await fetch(url); // no API key: the URL is signed
 * ```
 * @throws {TraceExportFailedError} when the service could not build it.
 */
export async function exportSessionTrace(
  config: TinkerConfig,
  sessionId: string,
  opts: TraceExportOptions = {},
): Promise<string> {
  const interval = opts.pollIntervalMs ?? TRACE_EXPORT_POLL_MS;
  for (let first = true;; first = false) {
    const poll = await requestJson<{ status?: string; url?: string | null; error?: string | null }>(
      config,
      {
        method: "GET",
        path: `/api/v1/sessions/${idSegment(sessionId, "session id")}/trace_export`,
      },
      opts,
    );
    if (poll.status === "ready" && typeof poll.url === "string") return poll.url;
    if (poll.status !== "pending") {
      const why = poll.status === "ready" || poll.status === "failed"
        ? "the service gave no URL"
        : `unexpected status ${JSON.stringify(poll.status)}`;
      throw new TraceExportFailedError(sessionId, poll.error ?? why);
    }
    if (first) opts.onPending?.();
    await sleep(interval, opts.signal);
  }
}
