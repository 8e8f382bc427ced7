/**
 * Training runs: list, walk, inspect.
 * @module
 */
import type { TinkerConfig } from "./config.ts";
import { requestJson, type RequestOptions } from "./http/request.ts";
import { type IterateOptions, pagesOf } from "./pagination.ts";
import { parseTinkerPath } from "../protocol/paths.ts";
import type { AccessScope, TrainingRun, TrainingRunsResponse } from "../protocol/types.ts";
import { idSegment } from "./id_segment.ts";

/** Options of {@link listTrainingRuns}. */
export interface ListTrainingRunsOptions extends RequestOptions {
  /** Page size (service default 20). */
  limit?: number;
  /** Offset (default 0). */
  offset?: number;
  /** `owned` (default) or `accessible` (adds others' runs with public checkpoints). */
  accessScope?: AccessScope;
  /** Only runs in this project (`project_id`). */
  projectId?: string;
}

/**
 * One page of training runs.
 *
 * @example
 * ```ts
 * import { configFromEnv, listTrainingRuns } from "@tinkex/tinkex";
 * const { training_runs, cursor } = await listTrainingRuns(configFromEnv(), { limit: 10 });
 * for (const r of training_runs) console.log(r.training_run_id, r.base_model);
 * console.log(`${cursor.total_count} runs in all`);
 * ```
 */
export async function listTrainingRuns(
  config: TinkerConfig,
  opts: ListTrainingRunsOptions = {},
): Promise<TrainingRunsResponse> {
  return await requestJson<TrainingRunsResponse>(config, {
    method: "GET",
    path: "/api/v1/training_runs",
    query: {
      limit: opts.limit ?? 20,
      offset: opts.offset ?? 0,
      access_scope: opts.accessScope,
      project_id: opts.projectId,
    },
  }, opts);
}

/** Options of {@link iterateTrainingRuns}. */
export interface IterateTrainingRunsOptions extends IterateOptions {
  /** `owned` (default) or `accessible`. */
  accessScope?: AccessScope;
  /** Only runs in this project. */
  projectId?: string;
}

/**
 * Every training run across all pages.
 *
 * @example
 * ```ts
 * import { configFromEnv, iterateTrainingRuns } from "@tinkex/tinkex";
 * for await (const run of iterateTrainingRuns(configFromEnv())) console.log(run.training_run_id);
 * ```
 */
export async function* iterateTrainingRuns(
  config: TinkerConfig,
  opts: IterateTrainingRunsOptions = {},
): AsyncGenerator<TrainingRun, void, undefined> {
  const pages = pagesOf(
    async (offset, limit) => {
      const page = await listTrainingRuns(config, { ...opts, offset, limit });
      return { items: page.training_runs, cursor: page.cursor };
    },
    opts,
    20,
  );
  for await (const page of pages) for (const run of page) yield run;
}

/**
 * One training run by id.
 *
 * @example
 * ```ts
 * import { configFromEnv, getTrainingRun } from "@tinkex/tinkex";
 * const run = await getTrainingRun(configFromEnv(), "session-1:train:0");
 * console.log(run.base_model, run.lora_rank, run.last_checkpoint?.tinker_path);
 * ```
 * @throws {NotFoundError} when there is no such run (or it is not visible to you).
 */
export async function getTrainingRun(
  config: TinkerConfig,
  runId: string,
  opts: RequestOptions & { accessScope?: AccessScope } = {},
): Promise<TrainingRun> {
  return await requestJson<TrainingRun>(config, {
    method: "GET",
    path: `/api/v1/training_runs/${idSegment(runId, "training run id")}`,
    query: { access_scope: opts.accessScope },
  }, opts);
}

/**
 * The training run a tinker path belongs to (the path is parsed locally first).
 *
 * @example
 * ```ts
 * import { configFromEnv, getTrainingRunByTinkerPath } from "@tinkex/tinkex";
 * const run = await getTrainingRunByTinkerPath(configFromEnv(), "tinker://session-1:train:0/weights/0001");
 * ```
 * @throws {InvalidTinkerPathError} before any request when the path is malformed.
 */
export async function getTrainingRunByTinkerPath(
  config: TinkerConfig,
  tinkerPath: string,
  opts: RequestOptions & { accessScope?: AccessScope } = {},
): Promise<TrainingRun> {
  return await getTrainingRun(config, parseTinkerPath(tinkerPath).runId, opts);
}
