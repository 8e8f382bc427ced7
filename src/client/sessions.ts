/**
 * Sessions: list, walk, inspect.
 * @module
 */
import type { TinkerConfig } from "./config.ts";
import { requestJson, type RequestOptions } from "./http/request.ts";
import { type IterateOptions, walkPages } from "./pagination.ts";
import type { AccessScope, SessionResponse, SessionsListResponse } from "../protocol/types.ts";

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
  yield* walkPages(
    async (offset, limit) => {
      const page = await listSessions(config, { ...opts, offset, limit });
      return { items: page.sessions };
    },
    opts,
    20,
  );
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
    path: `/api/v1/sessions/${encodeURIComponent(sessionId)}`,
    query: { access_scope: opts.accessScope },
  }, opts);
}
