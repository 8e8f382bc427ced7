/**
 * Sessions: list, walk, inspect, create, finish.
 * @module
 */
import { resolveConfig, type ResolvedConfig, type TinkerConfig } from "./config.ts";
import { requestJson, type RequestOptions, sendRequest } from "./http/request.ts";
import { type FutureOptions, submitAndWait } from "./training/futures.ts";
import { TINKER_SDK_VERSION } from "../protocol/version.ts";
import { type IterateOptions, pagesOf } from "./pagination.ts";
import type { AccessScope, SessionResponse, SessionsListResponse } from "../protocol/types.ts";
import { idSegment } from "./id_segment.ts";

/** Options of {@link listSessions}. */
export interface ListSessionsOptions extends RequestOptions {
  /** Page size (service default 20). */
  limit?: number;
  /** Offset (default 0). */
  offset?: number;
  /** `owned` (default) or `accessible`. */
  accessScope?: AccessScope;
}

/**
 * One page of session ids (the listing has no cursor: a short page is the last).
 *
 * @example
 * ```ts
 * import { configFromEnv, listSessions } from "@tinkex/tinkex";
 * const { sessions } = await listSessions(configFromEnv(), { limit: 10 });
 * ```
 */
export async function listSessions(
  config: TinkerConfig,
  opts: ListSessionsOptions = {},
): Promise<SessionsListResponse> {
  return await requestJson<SessionsListResponse>(config, {
    method: "GET",
    path: "/api/v1/sessions",
    query: { limit: opts.limit ?? 20, offset: opts.offset ?? 0, access_scope: opts.accessScope },
  }, opts);
}

/**
 * Every session id across all pages.
 *
 * @example
 * ```ts
 * import { configFromEnv, iterateSessions } from "@tinkex/tinkex";
 * for await (const id of iterateSessions(configFromEnv())) console.log(id);
 * ```
 */
export async function* iterateSessions(
  config: TinkerConfig,
  opts: IterateOptions & { accessScope?: AccessScope } = {},
): AsyncGenerator<string, void, undefined> {
  const pages = pagesOf(
    async (offset, limit) => {
      const page = await listSessions(config, { ...opts, offset, limit });
      return { items: page.sessions };
    },
    opts,
    20,
  );
  for await (const page of pages) for (const id of page) yield id;
}

/**
 * A session's training runs and samplers.
 *
 * @example
 * ```ts
 * import { configFromEnv, getSession } from "@tinkex/tinkex";
 * const s = await getSession(configFromEnv(), "session-1");
 * console.log(s.training_run_ids, s.sampler_ids);
 * ```
 */
export async function getSession(
  config: TinkerConfig,
  sessionId: string,
  opts: RequestOptions & { accessScope?: AccessScope } = {},
): Promise<SessionResponse> {
  return await requestJson<SessionResponse>(config, {
    method: "GET",
    path: `/api/v1/sessions/${idSegment(sessionId, "session id")}`,
    query: { access_scope: opts.accessScope },
  }, opts);
}

/** A session made by {@link createSession}: training clients, copies and samplers hang off it. */
export interface Session {
  /** The configuration its requests use (the key stays hidden). */
  readonly config: ResolvedConfig;
  /** The session id. */
  readonly sessionId: string;
}

/** Options of {@link createSession}. */
export interface CreateSessionOptions extends FutureOptions {
  /** Tags of the session. */
  tags?: string[];
  /** Free-form metadata stored with the session (returned by `getSession`). */
  userMetadata?: Record<string, string>;
}

/** Per-session counters: `model_seq_id` (training clients, copies) and sampling sessions. */
const counters = new WeakMap<Session, { models: number; samplers: number }>();

/**
 * Start a session (`create_session`), sending the SDK version tinkex follows as `sdk_version`.
 * `createTrainingClient` makes one itself; make one to copy weights or open sampling sessions
 * several times on the same session, and finish it with {@link finishSession}.
 *
 * @example
 * ```ts
 * import { configFromEnv, createSession, finishSession } from "@tinkex/tinkex";
 * const config = configFromEnv();
 * const session = await createSession(config, { userMetadata: { experiment: "lr-sweep" } });
 * console.log(session.sessionId);
 * await finishSession(config, session.sessionId, "success");
 * ```
 */
export async function createSession(
  config: TinkerConfig,
  opts: CreateSessionOptions = {},
): Promise<Session> {
  const resolved = resolveConfig(config);
  const created = await submitAndWait<{ session_id: string }>(resolved, "/api/v1/create_session", {
    tags: opts.tags ?? [],
    user_metadata: opts.userMetadata ?? {},
    sdk_version: TINKER_SDK_VERSION,
    type: "create_session",
  }, opts);
  const session: Session = { config: resolved, sessionId: created.session_id };
  counters.set(session, { models: 0, samplers: 0 });
  return session;
}

/** The next `model_seq_id` of a session (0 first); a session not made here starts at 0 too. */
export function nextModelSeqId(session: Session): number {
  return countersOf(session).models++;
}

/** The next `sampling_session_seq_id` of a session (0 first). */
export function nextSamplingSeqId(session: Session): number {
  return countersOf(session).samplers++;
}

function countersOf(session: Session): { models: number; samplers: number } {
  let c = counters.get(session);
  if (!c) counters.set(session, c = { models: 0, samplers: 0 });
  return c;
}

/** How a session ended, as the service records it. */
export type SessionFinishReason = "success" | "errored" | "interrupted";

/**
 * Tell the service a session is over (`POST /sessions/{id}/finish`), as newer official SDKs do
 * when a ServiceClient closes: `success`, `errored` or `interrupted`, with an optional detail.
 * The first reason given wins; later ones change nothing. Heartbeats of a finished session are
 * refused (410).
 *
 * @example
 * ```ts
 * import { configFromEnv, finishSession } from "@tinkex/tinkex";
 * await finishSession(configFromEnv(), "session-1", "errored", { detail: "loss diverged" });
 * ```
 * @throws {RangeError} before any request for an unknown reason.
 */
export async function finishSession(
  config: TinkerConfig,
  sessionId: string,
  reason: SessionFinishReason,
  opts: RequestOptions & { detail?: string } = {},
): Promise<void> {
  if (!["success", "errored", "interrupted"].includes(reason)) {
    throw new RangeError(
      `Cannot finish session ${sessionId}: reason must be "success", "errored" or "interrupted", ` +
        `got ${JSON.stringify(reason)}`,
    );
  }
  const res = await sendRequest(config, {
    method: "POST",
    path: `/api/v1/sessions/${idSegment(sessionId, "session id")}/finish`,
    body: { reason: { type: reason }, detail: opts.detail ?? null },
  }, opts);
  await res.body?.cancel();
}
