/**
 * Session trace exports: the first request starts a job (`pending` until `traceExportDelayMs`
 * passed; with 0 it is built at once); once built it is `ready`
 * with a signed URL to a trace file (Chrome trace-event JSON, which ui.perfetto.dev opens) of the
 * session's runs and checkpoint saves. A session with nothing to trace `failed`s.
 * @module
 */
import type { ServerContext } from "../http/context.ts";

const jobs = new WeakMap<ServerContext, Map<string, number>>();

/** Signed trace URLs live this long (the SDK: about an hour). */
const TRACE_URL_TTL_SECONDS = 3600;

/** The object id a trace URL signs. */
export function traceObjectId(sessionId: string): string {
  return `trace/${sessionId}`;
}

/** The poll answer for a session `user` owns; the URL is signed for them. */
export async function traceExportStatus(
  server: ServerContext,
  sessionId: string,
  user: string,
  origin: string,
  now: number,
): Promise<{ status: "pending" | "ready" | "failed"; url?: string; error?: string }> {
  let perServer = jobs.get(server);
  if (!perServer) jobs.set(server, perServer = new Map());
  let readyAt = perServer.get(sessionId);
  if (readyAt === undefined) {
    perServer.set(sessionId, readyAt = now + server.options.traceExportDelayMs);
  }
  if (now < readyAt) return { status: "pending" };
  const session = server.store.session(sessionId)!;
  const runs = server.store.runs().filter((r) => r.session_id === sessionId);
  if (runs.length === 0 && session.sampler_ids.length === 0) {
    return { status: "failed", error: "the session made no requests to trace" };
  }
  const expires = Math.floor(now / 1000) + TRACE_URL_TTL_SECONDS;
  const sig = await server.signer.sign({ objectId: traceObjectId(sessionId), expires, user });
  const query = new URLSearchParams({ expires: String(expires), user, sig });
  return { status: "ready", url: `${origin}/${sessionId}.json?${query}` };
}

/** The trace file of a session: its runs as spans, its checkpoint saves as instants. */
export function traceFile(server: ServerContext, sessionId: string): Record<string, unknown> {
  const session = server.store.session(sessionId)!;
  const us = (ms: number) => ms * 1000;
  const traceEvents: Record<string, unknown>[] = [
    { name: "process_name", ph: "M", pid: 1, args: { name: `session ${sessionId}` } },
    { name: "session created", ph: "i", s: "p", ts: us(session.created), pid: 1, tid: 0 },
  ];
  const runs = server.store.runs().filter((r) => r.session_id === sessionId)
    .sort((a, b) => a.created - b.created);
  runs.forEach((run, i) => {
    const tid = i + 1;
    traceEvents.push({ name: "thread_name", ph: "M", pid: 1, tid, args: { name: run.id } });
    traceEvents.push({
      name: `training run ${run.id}`,
      ph: "X",
      ts: us(run.created),
      dur: us(Math.max(1, run.last_request_time - run.created)),
      pid: 1,
      tid,
      args: { base_model: run.lora.base_model, lora_rank: run.lora.lora_rank },
    });
    for (const c of Object.values(run.checkpoints).sort((a, b) => a.created - b.created)) {
      traceEvents.push({
        name: `save ${c.kind}/${c.name}`,
        ph: "i",
        s: "t",
        ts: us(c.created),
        pid: 1,
        tid,
        args: { size_bytes: c.size_bytes },
      });
    }
  });
  return { traceEvents, displayTimeUnit: "ms" };
}
