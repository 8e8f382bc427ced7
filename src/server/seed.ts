/**
 * Seeding: a few sessions, runs and checkpoints of both kinds for an empty data directory (real
 * archives, optionally large), and cheap bulk checkpoint records for listing benchmarks (their
 * archives are built on first download).
 * @module
 */
import { type CheckpointKind, formatTinkerPath } from "../protocol/paths.ts";
import { archiveSize, DEFAULT_HIDDEN, hiddenForSize } from "./archive/build_archive.ts";
import { buildStoredArchive, specOf } from "./archive/archive_store.ts";
import type { ServerContext } from "./http/context.ts";
import type { SeedOptions } from "./options.ts";
import {
  checkpointKey,
  newCheckpointRecord,
  newRunRecord,
  type SessionRecord,
} from "./store/records.ts";

const DAY = 86_400_000;
const MODELS: [string, number][] = [
  ["Qwen/Qwen3-8B", 32],
  ["meta-llama/Llama-3.2-1B", 16],
  ["Qwen/Qwen3-30B-A3B", 8],
];

/**
 * Options of {@link seedCheckpoints}.
 *
 * @example
 * ```ts
 * import { seedCheckpoints, serve } from "@tinkex/tinkex/server";
 * const server = await serve();
 * const first = await seedCheckpoints(server.handler, { userKey: server.apiKeys[0], count: 500 });
 * await seedCheckpoints(server.handler, { userKey: server.apiKeys[0], count: 500, runId: first.runId });
 * await server.close();
 * ```
 */
export interface SeedCheckpointsOptions {
  /** API key of the user who will own the checkpoints. */
  userKey: string;
  /** How many checkpoint records to add. */
  count: number;
  /** Add to this run (created if missing); default: a new session and run. */
  runId?: string;
}

/**
 * What {@link seedCheckpoints} made.
 *
 * @example
 * ```ts
 * import { seedCheckpoints, serve } from "@tinkex/tinkex/server";
 * const server = await serve();
 * const { runId, tinkerPaths } = await seedCheckpoints(server.handler, {
 *   userKey: server.apiKeys[0],
 *   count: 3,
 * });
 * console.log(runId, tinkerPaths); // tinker://<run>/weights/bench-0000001, …
 * await server.close();
 * ```
 */
export interface SeedCheckpointsResult {
  /** The run holding the new checkpoints. */
  runId: string;
  /** Their tinker paths, newest last. */
  tinkerPaths: string[];
}

/** Fill an empty store with a few runs; a no-op when it already holds data. */
export async function seedStore(server: ServerContext, opts: SeedOptions): Promise<void> {
  const { store } = server;
  if (!store.isEmpty()) return;
  const runs = positive("runs", opts.runs, 3);
  const perRun = positive("checkpointsPerRun", opts.checkpointsPerRun, 3);
  const users = server.users.ids();
  const now = Date.now();
  for (let i = 0; i < runs; i++) {
    const owner = runs > 1 && i === runs - 1 && users.length > 1 ? users[1] : users[0];
    const created = now - (runs - i) * DAY;
    const [base_model, lora_rank] = MODELS[i % MODELS.length];
    const lora = {
      base_model,
      lora_rank,
      train_attn: true,
      train_mlp: true,
      train_unembed: i % 2 === 0,
    };
    const session = newSession(owner, created);
    const run = newRunRecord({
      id: `${session.id}:train:0`,
      owner,
      session_id: session.id,
      lora,
      created,
    });
    for (let j = 0; j < perRun; j++) {
      const kind: CheckpointKind = (i + j) % 2 === 0 ? "weights" : "sampler_weights";
      const ckpt = newCheckpointRecord(kind, String((j + 1) * 100).padStart(4, "0"), lora, {
        created: created + (j + 1) * Math.floor(DAY / (perRun + 1)),
        seq: store.nextSeq(),
        hidden: opts.checkpointBytes
          ? hiddenForSize(lora, kind, opts.checkpointBytes)
          : DEFAULT_HIDDEN,
        optimizer_step: kind === "weights" ? (j + 1) * 100 : null,
        public: (i === 0 && j === perRun - 1) || (owner !== users[0] && j === 0),
        expires_at: i === 1 && j === 0 ? now + 7 * DAY : null,
      });
      ckpt.size_bytes = await buildStoredArchive(store, ckpt);
      ckpt.built = true;
      run.checkpoints[checkpointKey(kind, ckpt.name)] = ckpt;
      if (kind === "weights") run.optimizer_step = ckpt.optimizer_step!;
      if (kind === "sampler_weights" && session.sampler_ids.length === 0) {
        session.sampler_ids.push(`${session.id}:sample:0`);
      }
      run.last_request_time = Math.max(run.last_request_time, ckpt.created);
    }
    await store.createSession(session);
    await store.createRun(run);
  }
}

/**
 * Add `count` checkpoint records (alternating kinds) for a user, cheaply: one write, archives
 * built lazily on first download, sizes exact.
 */
export async function seedCheckpoints(
  server: ServerContext,
  opts: SeedCheckpointsOptions,
): Promise<SeedCheckpointsResult> {
  const owner = server.users.idOf(opts.userKey);
  if (!owner) {
    throw new TypeError("Cannot seed checkpoints: userKey is not one of the server's API keys");
  }
  const count = positive("count", opts.count, 1);
  const { store } = server;
  const now = Date.now();
  let runId = opts.runId;
  let run = runId === undefined ? undefined : store.run(runId);
  if (run && run.owner !== owner) {
    throw new TypeError(`Cannot seed checkpoints: run ${runId} belongs to another user`);
  }
  if (!run) {
    const session = newSession(owner, now - count * 1000);
    runId ??= `${session.id}:train:0`;
    formatTinkerPath({ runId, kind: "weights", name: "x" });
    const [base_model, lora_rank] = MODELS[0];
    const lora = { base_model, lora_rank, train_attn: true, train_mlp: true, train_unembed: true };
    run = newRunRecord({
      id: runId,
      owner,
      session_id: session.id,
      lora,
      created: session.created,
    });
    await store.createSession(session);
    await store.createRun(run);
  }
  const id = runId!;
  const tinkerPaths = await store.updateRun(id, (draft) => {
    const paths: string[] = [];
    const first = Object.keys(draft.checkpoints).length;
    const sizes = new Map<CheckpointKind, number>();
    for (let k = 0; k < count; k++) {
      const kind: CheckpointKind = k % 2 === 0 ? "weights" : "sampler_weights";
      const name = `bench-${String(first + k + 1).padStart(7, "0")}`;
      const ckpt = newCheckpointRecord(kind, name, draft.lora, {
        created: now - (count - k) * 1000,
        seq: store.nextSeq(),
        hidden: DEFAULT_HIDDEN,
        optimizer_step: kind === "weights" ? k : null,
      });
      if (!sizes.has(kind)) sizes.set(kind, archiveSize(specOf(ckpt)));
      ckpt.size_bytes = sizes.get(kind)!;
      draft.checkpoints[checkpointKey(kind, name)] = ckpt;
      paths.push(formatTinkerPath({ runId: id, kind, name }));
    }
    return paths;
  });
  return { runId: id, tinkerPaths };
}

function newSession(owner: string, created: number): SessionRecord {
  return {
    id: crypto.randomUUID(),
    owner,
    created,
    tags: ["seed"],
    user_metadata: null,
    sdk_version: null,
    sampler_ids: [],
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`Cannot seed: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}
