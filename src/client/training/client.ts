/**
 * Training state (protocol §5): create a LoRA training client, save and load its state, and
 * resume from a checkpoint.
 * @module
 */
import { resolveConfig, type ResolvedConfig, type TinkerConfig } from "../config.ts";
import { AbortError, NotFoundError, TrainingStepError } from "../errors.ts";
import { parseTinkerPath } from "../../protocol/paths.ts";
import { getWeightsInfo } from "../weights.ts";
import { createSession, nextModelSeqId, type Session } from "../sessions.ts";
import { checkTtl } from "../ttl.ts";
import { type FutureOptions, submitAndWait } from "./futures.ts";

/** A LoRA training client: one training run on the service. */
export interface TrainingClient {
  /** The configuration its requests use (the key stays hidden). */
  readonly config: ResolvedConfig;
  /** The session it belongs to. */
  readonly sessionId: string;
  /** The model id, which is also the training run id (`<session>:train:<n>`). */
  readonly modelId: string;
  /** Its base model. */
  readonly baseModel: string;
  /** Its LoRA rank. */
  readonly rank: number;
  /** The `seq_id` of the last request sent (0 before any). */
  readonly lastSeqId: number;
}

/** Options of {@link createTrainingClient}. */
export interface CreateTrainingClientOptions extends FutureOptions {
  /** The base model to fine-tune, e.g. `Qwen/Qwen3-8B`. */
  baseModel: string;
  /** LoRA rank (default 32). */
  rank?: number;
  /** LoRA initialization seed. */
  seed?: number;
  /** Train the unembedding (default true). */
  trainUnembed?: boolean;
  /** Train MLP layers (default true). */
  trainMlp?: boolean;
  /** Train attention layers (default true). */
  trainAttn?: boolean;
  /** Free-form metadata stored with the run and (for a new session) the session. */
  userMetadata?: Record<string, string>;
  /** Session tags. */
  tags?: string[];
  /** Create the client on this session (its next `model_seq_id`) instead of a new one. */
  session?: Session;
}

/** Result of a load: the path loaded and, where the service says, the restored optimizer step. */
export interface LoadResult {
  /** The checkpoint loaded. */
  path?: string;
  /** The model it was loaded into. */
  model_id?: string;
  /** Fields the service adds (e.g. `optimizer_step`). */
  [extra: string]: unknown;
}

/** Options of {@link saveState}. */
export interface SaveStateOptions extends FutureOptions {
  /** Expire the checkpoint this many seconds after saving (3600 to 315,360,000). */
  ttlSeconds?: number;
  /** Replace an existing checkpoint of the same name (default false: it fails instead). */
  overwrite?: boolean;
  /**
   * Metadata stored with the checkpoint and returned on it (`user_metadata`). An overwrite
   * replaces the old checkpoint's metadata, as the service does.
   */
  userMetadata?: Record<string, string>;
}

interface ClientState {
  seq: number;
  /** Requests of one client are sent one after another, in `seq_id` order. */
  tail: Promise<unknown>;
}

const states = new WeakMap<TrainingClient, ClientState>();

/**
 * Start a session and create a LoRA training client on it (the create_model future).
 *
 * @example
 * ```ts
 * import { configFromEnv, createTrainingClient, saveState } from "@tinkex/tinkex";
 * const client = await createTrainingClient(configFromEnv(), { baseModel: "Qwen/Qwen3-8B", rank: 16 });
 * console.log(client.modelId); // the training run id
 * const path = await saveState(client, "step-0100");
 * ```
 */
export async function createTrainingClient(
  config: TinkerConfig,
  opts: CreateTrainingClientOptions,
): Promise<TrainingClient> {
  const resolved = resolveConfig(config);
  const session = opts.session ?? await createSession(resolved, opts);
  return await createModel(resolved, session.sessionId, nextModelSeqId(session), opts);
}

async function createModel(
  config: ResolvedConfig,
  sessionId: string,
  modelSeqId: number,
  opts: CreateTrainingClientOptions,
): Promise<TrainingClient> {
  const rank = opts.rank ?? 32;
  const loraConfig: Record<string, unknown> = {
    rank,
    train_unembed: opts.trainUnembed ?? true,
    train_mlp: opts.trainMlp ?? true,
    train_attn: opts.trainAttn ?? true,
  };
  if (opts.seed !== undefined) loraConfig.seed = opts.seed;
  const body: Record<string, unknown> = {
    session_id: sessionId,
    model_seq_id: modelSeqId,
    base_model: opts.baseModel,
    lora_config: loraConfig,
    type: "create_model",
  };
  if (opts.userMetadata) body.user_metadata = opts.userMetadata;
  const created = await submitAndWait<{ model_id: string }>(
    config,
    "/api/v1/create_model",
    body,
    opts,
  );
  const state: ClientState = { seq: 0, tail: Promise.resolve() };
  const client: TrainingClient = {
    config,
    sessionId,
    modelId: created.model_id,
    baseModel: opts.baseModel,
    rank,
    get lastSeqId() {
      return state.seq;
    },
  };
  states.set(client, state);
  return client;
}

/**
 * Send one request of a training client with the next `seq_id`. Sends are chained so the
 * service sees them in order even when the caller does not await each one.
 */
export async function submitInOrder<T>(
  client: TrainingClient,
  path: string,
  body: Record<string, unknown>,
  opts: FutureOptions,
): Promise<T> {
  const state = states.get(client);
  if (!state) throw new TypeError("Not a training client made by createTrainingClient");
  const seqId = ++state.seq;
  const previous = state.tail;
  const result = previous.catch(() => {}).then(() =>
    submitAndWait<T>(client.config, path, { ...body, seq_id: seqId }, opts)
  );
  state.tail = result.catch(() => {});
  return await result;
}

/**
 * Save the full training state (weights and optimizer) as `tinker://<run>/weights/<name>`.
 *
 * @example
 * ```ts
 * import { configFromEnv, createTrainingClient, saveState } from "@tinkex/tinkex";
 * const client = await createTrainingClient(configFromEnv(), { baseModel: "Qwen/Qwen3-8B" });
 * const path = await saveState(client, "epoch-1", { ttlSeconds: 7 * 24 * 3600 });
 * ```
 * @throws {FutureFailedError} e.g. when the name exists and `overwrite` is not set.
 * @throws {RangeError} before any request when `ttlSeconds` is outside 3600..315,360,000.
 */
export async function saveState(
  client: TrainingClient,
  name: string,
  opts: SaveStateOptions = {},
): Promise<string> {
  return await save(client, "save_weights", name, opts);
}

/**
 * Save sampler weights (a PEFT adapter) as `tinker://<run>/sampler_weights/<name>`.
 *
 * @example
 * ```ts
 * import { configFromEnv, createTrainingClient, saveWeightsForSampler } from "@tinkex/tinkex";
 * const client = await createTrainingClient(configFromEnv(), { baseModel: "Qwen/Qwen3-8B" });
 * const path = await saveWeightsForSampler(client, "final");
 * ```
 */
export async function saveWeightsForSampler(
  client: TrainingClient,
  name: string,
  opts: SaveStateOptions = {},
): Promise<string> {
  return await save(client, "save_weights_for_sampler", name, opts);
}

async function save(
  client: TrainingClient,
  type: "save_weights" | "save_weights_for_sampler",
  name: string,
  opts: SaveStateOptions,
): Promise<string> {
  checkSaveRequest(name, opts.ttlSeconds);
  const body: Record<string, unknown> = {
    model_id: client.modelId,
    path: name,
    overwrite: opts.overwrite ?? false,
    type,
  };
  if (opts.ttlSeconds !== undefined) body.ttl_seconds = opts.ttlSeconds;
  if (opts.userMetadata) body.user_metadata = opts.userMetadata;
  const result = await submitInOrder<{ path: string }>(client, `/api/v1/${type}`, body, opts);
  return result.path;
}

/** Refuse, before any request, a checkpoint name with `/` or empty, or an out-of-range TTL. */
export function checkSaveRequest(name: string, ttlSeconds: number | undefined): void {
  if (name === "" || name.includes("/")) {
    throw new RangeError(
      `Cannot save as ${JSON.stringify(name)}: use a non-empty name without '/'`,
    );
  }
  checkTtl(ttlSeconds, `save ${JSON.stringify(name)}`);
}

/**
 * Load a training checkpoint's weights into the client; the optimizer starts fresh. It must be
 * the client's first request: the service refuses a later load (`BadRequestError`,
 * "LoadWeights is not permitted with seq_id N"); see {@link createTrainingClientFromState}.
 *
 * @example
 * ```ts
 * import { configFromEnv, createTrainingClient, loadState } from "@tinkex/tinkex";
 * const client = await createTrainingClient(configFromEnv(), { baseModel: "Qwen/Qwen3-8B", rank: 32 });
 * await loadState(client, "tinker://run-1:train:0/weights/epoch-1");
 * ```
 * @throws {FutureFailedError} with category `user` when base model or rank differ.
 */
export async function loadState(
  client: TrainingClient,
  path: string,
  opts: FutureOptions = {},
): Promise<LoadResult> {
  return await load(client, path, false, opts);
}

/**
 * Load a training checkpoint's weights and optimizer state, to resume training exactly. Like
 * {@link loadState}, only as the client's first request.
 *
 * @example
 * ```ts
 * import { configFromEnv, createTrainingClient, loadStateWithOptimizer } from "@tinkex/tinkex";
 * const client = await createTrainingClient(configFromEnv(), { baseModel: "Qwen/Qwen3-8B", rank: 32 });
 * const r = await loadStateWithOptimizer(client, "tinker://run-1:train:0/weights/epoch-1");
 * console.log(r.optimizer_step);
 * ```
 */
export async function loadStateWithOptimizer(
  client: TrainingClient,
  path: string,
  opts: FutureOptions = {},
): Promise<LoadResult> {
  return await load(client, path, true, opts);
}

async function load(
  client: TrainingClient,
  path: string,
  optimizer: boolean,
  opts: FutureOptions,
): Promise<LoadResult> {
  parseTinkerPath(path);
  return await submitInOrder<LoadResult>(client, "/api/v1/load_weights", {
    model_id: client.modelId,
    path,
    optimizer,
    type: "load_weights",
  }, opts);
}

/**
 * Release a training client's resources on the service (`unload_model`). A service that does
 * not offer unloading (404) is treated as done.
 *
 * @example
 * ```ts
 * import { configFromEnv, createTrainingClient, releaseTrainingClient } from "@tinkex/tinkex";
 * const client = await createTrainingClient(configFromEnv(), { baseModel: "Qwen/Qwen3-8B" });
 * await releaseTrainingClient(client);
 * ```
 */
export async function releaseTrainingClient(
  client: TrainingClient,
  opts: FutureOptions = {},
): Promise<void> {
  try {
    await submitInOrder(client, "/api/v1/unload_model", {
      model_id: client.modelId,
      type: "unload_model",
    }, opts);
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
  }
}

/** Options of {@link createTrainingClientFromState}. */
export interface FromStateOptions extends FutureOptions {
  /** Also restore the optimizer state (default false). */
  withOptimizer?: boolean;
  /** Metadata for the new run. */
  userMetadata?: Record<string, string>;
}

/**
 * A new training client positioned at a checkpoint: weights info, then create_model with the
 * checkpoint's base model, rank and train flags, then load. If the load fails, the client made
 * for it is released; the error ({@link TrainingStepError}) names the failed step.
 *
 * @example
 * ```ts
 * import { configFromEnv, createTrainingClientFromState, saveState } from "@tinkex/tinkex";
 * const client = await createTrainingClientFromState(
 *   configFromEnv(),
 *   "tinker://run-1:train:0/weights/epoch-1",
 *   { withOptimizer: true },
 * );
 * await saveState(client, "epoch-2");
 * ```
 */
export async function createTrainingClientFromState(
  config: TinkerConfig,
  path: string,
  opts: FromStateOptions = {},
): Promise<TrainingClient> {
  const resolved = resolveConfig(config);
  parseTinkerPath(path);
  const info = await step(path, "weights_info", () => getWeightsInfo(resolved, path, opts));
  const client = await step(path, "create_model", () =>
    createTrainingClient(resolved, {
      ...opts,
      baseModel: info.base_model,
      rank: info.lora_rank ?? undefined,
      trainUnembed: info.train_unembed ?? undefined,
      trainMlp: info.train_mlp ?? undefined,
      trainAttn: info.train_attn ?? undefined,
    }));
  try {
    await (opts.withOptimizer ? loadStateWithOptimizer : loadState)(client, path, opts);
  } catch (e) {
    await releaseTrainingClient(client).catch(() => {});
    if (e instanceof AbortError) throw e;
    throw new TrainingStepError(path, "load_weights", e);
  }
  return client;
}

async function step<T>(path: string, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AbortError) throw e;
    throw new TrainingStepError(path, name, e);
  }
}
