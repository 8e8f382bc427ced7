/**
 * Checkpoint listing and management: list, inspect, publish, unpublish, TTL, delete.
 * @module
 */
import type { TinkerConfig } from "./config.ts";
import { NotFoundError } from "./errors.ts";
import { requestJson, type RequestOptions, sendRequest } from "./http/request.ts";
import { type IterateOptions, pagesOf, walkArray } from "./pagination.ts";
import { checkpointApiPath, parseTinkerPath } from "../protocol/paths.ts";
import { checkTtl } from "./ttl.ts";
import type { Checkpoint, CheckpointsListResponse } from "../protocol/types.ts";
import { idSegment } from "./id_segment.ts";

/** Options of {@link listCheckpoints}. */
export interface ListCheckpointsOptions extends RequestOptions {
  /** List this training run's checkpoints (not paginated) instead of all of the user's. */
  runId?: string;
  /** Page size for the user listing (service default 100). */
  limit?: number;
  /** Offset for the user listing (default 0). */
  offset?: number;
}

/**
 * List checkpoints: a run's (with `runId`) or one page of the user's, newest first.
 *
 * @example
 * ```ts
 * import { configFromEnv, listCheckpoints } from "@tinkex/tinkex";
 * const config = configFromEnv();
 * const page = await listCheckpoints(config, { limit: 20 });
 * for (const c of page.checkpoints) console.log(c.tinker_path, c.size_bytes);
 * const ofRun = await listCheckpoints(config, { runId: "session-1:train:0" });
 * ```
 */
export async function listCheckpoints(
  config: TinkerConfig,
  opts: ListCheckpointsOptions = {},
): Promise<CheckpointsListResponse> {
  if (opts.runId !== undefined) {
    return await requestJson<CheckpointsListResponse>(config, {
      method: "GET",
      path: `/api/v1/training_runs/${idSegment(opts.runId, "training run id")}/checkpoints`,
    }, opts);
  }
  return await listUserCheckpoints(config, opts);
}

/**
 * One page of all the user's checkpoints, newest first (`limit` default 100, `offset` 0).
 *
 * @example
 * ```ts
 * import { configFromEnv, hasMore, listUserCheckpoints } from "@tinkex/tinkex";
 * const page = await listUserCheckpoints(configFromEnv(), { limit: 50, offset: 0 });
 * console.log(page.checkpoints.length, hasMore(page.cursor));
 * ```
 */
export async function listUserCheckpoints(
  config: TinkerConfig,
  opts: Omit<ListCheckpointsOptions, "runId"> = {},
): Promise<CheckpointsListResponse> {
  return await requestJson<CheckpointsListResponse>(config, {
    method: "GET",
    path: "/api/v1/checkpoints",
    query: { limit: opts.limit ?? 100, offset: opts.offset ?? 0 },
  }, opts);
}

/** Options of {@link iterateCheckpoints}. */
export interface IterateCheckpointsOptions extends IterateOptions {
  /** Walk this run's checkpoints instead of all of the user's. */
  runId?: string;
}

/**
 * Every checkpoint, newest first, across all pages (a few pages fetched at once).
 *
 * @example
 * ```ts
 * import { configFromEnv, iterateCheckpoints } from "@tinkex/tinkex";
 * for await (const c of iterateCheckpoints(configFromEnv())) console.log(c.tinker_path);
 * ```
 */
export async function* iterateCheckpoints(
  config: TinkerConfig,
  opts: IterateCheckpointsOptions = {},
): AsyncGenerator<Checkpoint, void, undefined> {
  if (opts.runId !== undefined) {
    yield* walkArray(
      (await listCheckpoints(config, { ...opts, runId: opts.runId })).checkpoints,
      opts,
    );
    return;
  }
  // Offsets shift if checkpoints are created mid-walk: never yield one twice.
  const seen = new Set<string>();
  const pages = pagesOf(
    async (offset, limit) => {
      const page = await listUserCheckpoints(config, { ...opts, offset, limit });
      return { items: page.checkpoints, cursor: page.cursor };
    },
    opts,
    100,
  );
  for await (const page of pages) {
    for (const c of page) {
      if (seen.has(c.tinker_path)) continue;
      seen.add(c.tinker_path);
      yield c;
    }
  }
}

/**
 * One checkpoint's record, found in its run's listing.
 *
 * @example
 * ```ts
 * import { configFromEnv, getCheckpoint } from "@tinkex/tinkex";
 * const c = await getCheckpoint(configFromEnv(), "tinker://run-1:train:0/weights/0001");
 * console.log(c.size_bytes, c.public, c.expires_at);
 * ```
 * @throws {NotFoundError} when the run has no such checkpoint.
 */
export async function getCheckpoint(
  config: TinkerConfig,
  tinkerPath: string,
  opts: RequestOptions = {},
): Promise<Checkpoint> {
  const p = parseTinkerPath(tinkerPath);
  const { checkpoints } = await listCheckpoints(config, { ...opts, runId: p.runId });
  const found = checkpoints.find((c) => c.tinker_path === tinkerPath);
  if (!found) {
    throw new NotFoundError({
      status: 404,
      body: { detail: `Checkpoint ${tinkerPath} not found` },
      method: "GET",
      url: `/api/v1/training_runs/${encodeURIComponent(p.runId)}/checkpoints`,
    }, `Checkpoint not found: ${tinkerPath}`);
  }
  return found;
}

/**
 * Make a checkpoint public, so other users can read and download it.
 *
 * @example
 * ```ts
 * import { configFromEnv, publishCheckpoint } from "@tinkex/tinkex";
 * await publishCheckpoint(configFromEnv(), "tinker://run-1:train:0/sampler_weights/final");
 * ```
 * @throws {ConflictError} when it is already public (at once; never retried).
 */
export async function publishCheckpoint(
  config: TinkerConfig,
  tinkerPath: string,
  opts: RequestOptions = {},
): Promise<void> {
  await checkpointAction(config, tinkerPath, "POST", "/publish", undefined, opts);
}

/**
 * Make a public checkpoint private again.
 *
 * @example
 * ```ts
 * import { configFromEnv, unpublishCheckpoint } from "@tinkex/tinkex";
 * await unpublishCheckpoint(configFromEnv(), "tinker://run-1:train:0/sampler_weights/final");
 * ```
 * @throws {ConflictError} when it is already private.
 */
export async function unpublishCheckpoint(
  config: TinkerConfig,
  tinkerPath: string,
  opts: RequestOptions = {},
): Promise<void> {
  await checkpointAction(config, tinkerPath, "DELETE", "/publish", undefined, opts);
}

/**
 * Set a checkpoint to expire `ttlSeconds` from now, or `null` to keep it forever. The service
 * accepts 3600 (one hour) to 315,360,000 (ten years): `MIN_TTL_SECONDS`, `MAX_TTL_SECONDS`.
 *
 * @example
 * ```ts
 * import { configFromEnv, setCheckpointTtl } from "@tinkex/tinkex";
 * const path = "tinker://run-1:train:0/weights/0001";
 * await setCheckpointTtl(configFromEnv(), path, 7 * 24 * 3600); // a week
 * await setCheckpointTtl(configFromEnv(), path, null); // never expire
 * ```
 * @throws {RangeError} when `ttlSeconds` is not a whole number in that range, or null (nothing
 *   is sent).
 */
export async function setCheckpointTtl(
  config: TinkerConfig,
  tinkerPath: string,
  ttlSeconds: number | null,
  opts: RequestOptions = {},
): Promise<void> {
  if (ttlSeconds !== null && typeof ttlSeconds !== "number") {
    throw new RangeError(`Cannot set the TTL of ${tinkerPath}: expected seconds, or null`);
  }
  checkTtl(ttlSeconds, `set the TTL of ${tinkerPath}`);
  await checkpointAction(config, tinkerPath, "PUT", "/ttl", { ttl_seconds: ttlSeconds }, opts);
}

/**
 * Delete a checkpoint permanently.
 *
 * @example
 * ```ts
 * import { configFromEnv, deleteCheckpoint } from "@tinkex/tinkex";
 * await deleteCheckpoint(configFromEnv(), "tinker://run-1:train:0/weights/0001");
 * ```
 * @throws {NotFoundError} when it does not exist or is not yours.
 */
export async function deleteCheckpoint(
  config: TinkerConfig,
  tinkerPath: string,
  opts: RequestOptions = {},
): Promise<void> {
  await checkpointAction(config, tinkerPath, "DELETE", "", undefined, opts);
}

async function checkpointAction(
  config: TinkerConfig,
  tinkerPath: string,
  method: "POST" | "PUT" | "DELETE",
  suffix: string,
  body: unknown,
  opts: RequestOptions,
): Promise<void> {
  const path = checkpointApiPath(parseTinkerPath(tinkerPath)) + suffix;
  const res = await sendRequest(config, { method, path, body }, opts);
  await res.body?.cancel();
}
