/**
 * The persistent store: sessions and runs (each run file holds its checkpoints), kept in memory
 * and written through atomically. Mutations run one at a time under a mutex and are applied to a
 * copy first, so a failing mutation changes nothing, in memory or on disk.
 * @module
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  ensureDirs,
  fileNameFor,
  isDiskFull,
  readJsonDir,
  removeFilesIn,
  writeFileAtomic,
} from "./atomic_fs.ts";
import { Mutex } from "./mutex.ts";
import { type CheckpointRecord, isLive, type RunRecord, type SessionRecord } from "./records.ts";

/** What opening a store removed. */
export interface ReclaimReport {
  /** Archive objects no record referred to (an archive with its digest file counts once). */
  objects: number;
  /** Temp files of interrupted writes, and digest files whose archive never came. */
  tempFiles: number;
  /** Bytes freed by both. */
  bytes: number;
}

/** A checkpoint together with its run. */
export interface CheckpointRef {
  run: RunRecord;
  ckpt: CheckpointRecord;
}

/** Persistent, concurrency-safe state of one server. */
export class Store {
  /** The data directory. */
  readonly dir: string;
  /** Directory of temp files (same file system, for atomic renames). */
  readonly tmpDir: string;
  /** Directory of archive objects. */
  readonly objectsDir: string;
  /** Directory of the archives' digest files. */
  readonly digestsDir: string;
  readonly #sessions = new Map<string, SessionRecord>();
  readonly #runs = new Map<string, RunRecord>();
  readonly #objects = new Map<string, { runId: string; key: string }>();
  readonly #mutex = new Mutex();
  #seq = 0;
  #version = 0;
  #liveCache = new Map<string, { version: number; validUntil: number; refs: CheckpointRef[] }>();
  readonly #runObservers: RunObserver[] = [];

  private constructor(dir: string) {
    this.dir = dir;
    this.tmpDir = join(dir, "tmp");
    this.objectsDir = join(dir, "objects");
    this.digestsDir = join(dir, "digests");
  }

  /** What opening reclaimed: leftovers of interrupted writes and crashes. */
  reclaimed: ReclaimReport = { objects: 0, tempFiles: 0, bytes: 0 };

  /**
   * Open (or create, owner-only) the store in `dir`, drop checkpoints whose TTL has passed, and
   * remove what crashes leave: temp files, and archive objects no record refers to.
   */
  static async open(dir: string): Promise<Store> {
    const store = new Store(dir);
    await ensureDirs(
      dir,
      join(dir, "sessions"),
      join(dir, "runs"),
      store.objectsDir,
      store.digestsDir,
      store.tmpDir,
    );
    const temps = await removeFilesIn(store.tmpDir);
    for (const s of await readJsonDir<SessionRecord>(join(dir, "sessions"))) {
      store.#sessions.set(s.id, s);
    }
    for (const r of await readJsonDir<RunRecord>(join(dir, "runs"))) {
      store.#runs.set(r.id, r);
      store.#index(undefined, r);
      for (const c of Object.values(r.checkpoints)) store.#seq = Math.max(store.#seq, c.seq);
    }
    const now = Date.now();
    for (const run of [...store.#runs.values()]) {
      if (Object.values(run.checkpoints).some((c) => !isLive(c, now))) {
        await store.updateRun(run.id, () => undefined);
      }
    }
    // An object is written before the record naming it, and removed after the record that
    // drops it: a crash in between leaves it unreferenced. Nothing is being built yet.
    // Archives are `<id>.tar`; an external checkpoint's files are the directory `<id>/`.
    const listed = new Set(await readdir(store.objectsDir));
    const orphans = await removeFilesIn(
      store.objectsDir,
      (name) => store.#objects.has(name.replace(/\.tar$/, "")),
    );
    const kept = new Set(await readdir(store.objectsDir));
    // A digest file (`digests/<id>.json`) is written just before its archive is renamed into
    // place and removed with it: one whose archive is not kept goes, with its orphan (part of
    // that object) or alone (the leftover of an interrupted build).
    const archiveOf = (digestFile: string): string => digestFile.replace(/\.json$/, ".tar");
    const withOrphans = await removeFilesIn(
      store.digestsDir,
      (name) => !listed.has(archiveOf(name)) || kept.has(archiveOf(name)),
    );
    const alone = await removeFilesIn(store.digestsDir, (name) => kept.has(archiveOf(name)));
    store.reclaimed = {
      objects: orphans.files,
      tempFiles: temps.files + alone.files,
      bytes: orphans.bytes + temps.bytes + withOrphans.bytes + alone.bytes,
    };
    return store;
  }

  /** Whether archive object `objectId` is referenced by a stored checkpoint. */
  hasObject(objectId: string): boolean {
    return this.#objects.has(objectId);
  }

  /** Whether the store holds nothing yet. */
  isEmpty(): boolean {
    return this.#sessions.size === 0 && this.#runs.size === 0;
  }

  /** A session by id. */
  session(id: string): SessionRecord | undefined {
    return this.#sessions.get(id);
  }

  /** All sessions. */
  sessions(): SessionRecord[] {
    return [...this.#sessions.values()];
  }

  /** A run by id. */
  run(id: string): RunRecord | undefined {
    return this.#runs.get(id);
  }

  /** All runs. */
  runs(): RunRecord[] {
    return [...this.#runs.values()];
  }

  /** The checkpoint stored as archive object `objectId`, if any. */
  objectOwner(objectId: string): CheckpointRef | undefined {
    const at = this.#objects.get(objectId);
    const run = at && this.#runs.get(at.runId);
    const ckpt = run?.checkpoints[at!.key];
    return run && ckpt ? { run, ckpt } : undefined;
  }

  /** Path of an archive object on disk. */
  objectPath(objectId: string): string {
    return join(this.objectsDir, `${objectId}.tar`);
  }

  /** Path of an archive object's digest file. */
  digestPath(objectId: string): string {
    return join(this.digestsDir, `${objectId}.json`);
  }

  /** Remove every file of an object (best effort by the callers: none may exist). */
  async removeObjectFiles(objectId: string): Promise<void> {
    await rm(this.objectPath(objectId), { force: true });
    await rm(this.digestPath(objectId), { force: true });
    // The files of an external checkpoint (a directory; absent for archives).
    await rm(this.objectDir(objectId), { recursive: true, force: true });
  }

  /** Directory of an external checkpoint's files (`objects/<id>/`). */
  objectDir(objectId: string): string {
    return join(this.objectsDir, objectId);
  }

  /** The next ordering number for a new checkpoint (call inside a mutation). */
  nextSeq(): number {
    return ++this.#seq;
  }

  /**
   * The checkpoints alive at `now` of runs owned by `owner`, newest first. Cached until the next
   * mutation or the first expiry among them, so paging through them filters and sorts once.
   */
  liveCheckpointsOf(owner: string, now: number): CheckpointRef[] {
    const hit = this.#liveCache.get(owner);
    if (hit && hit.version === this.#version && now < hit.validUntil) return hit.refs;
    const refs: CheckpointRef[] = [];
    let validUntil = Infinity;
    for (const run of this.#runs.values()) {
      if (run.owner !== owner) continue;
      for (const ckpt of Object.values(run.checkpoints)) {
        if (!isLive(ckpt, now)) continue;
        refs.push({ run, ckpt });
        if (ckpt.expires_at !== null) validUntil = Math.min(validUntil, ckpt.expires_at);
      }
    }
    refs.sort(newestFirst);
    this.#liveCache.set(owner, { version: this.#version, validUntil, refs });
    return refs;
  }

  /**
   * Hear every committed change of a run (before: undefined for a new run), inside the mutation,
   * so observers see changes in order (the audit log).
   */
  observeRuns(observer: RunObserver): void {
    this.#runObservers.push(observer);
  }

  /** Give the sessions and runs owned by a key in `renamed` (old id → new id) the new id. */
  async renameOwners(renamed: ReadonlyMap<string, string>): Promise<void> {
    for (const s of this.sessions()) {
      const to = renamed.get(s.owner);
      if (to !== undefined && to !== s.owner) await this.updateSession(s.id, (d) => d.owner = to);
    }
    for (const r of this.runs()) {
      const to = renamed.get(r.owner);
      if (to !== undefined && to !== r.owner) await this.updateRun(r.id, (d) => d.owner = to);
    }
  }

  /** Run a critical section under the store's mutex (for multi-step reads-then-writes). */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.#mutex.run(fn);
  }

  /** Create a session; false (and no change) if one with its id exists. */
  createSession(session: SessionRecord): Promise<boolean> {
    return this.#mutex.run(async () => {
      if (this.#sessions.has(session.id)) return false;
      await this.#writeSession(session);
      return true;
    });
  }

  /** Change a session: `fn` edits a copy, which replaces the stored one once written. */
  updateSession<T>(id: string, fn: (draft: SessionRecord) => T): Promise<T> {
    return this.#mutex.run(async () => {
      const current = this.#sessions.get(id);
      if (!current) throw new Error(`session ${id} is missing`);
      const draft = structuredClone(current);
      const result = fn(draft);
      await this.#writeSession(draft);
      return result;
    });
  }

  /** Create a run; false (and no change) if one with its id exists. */
  createRun(run: RunRecord): Promise<boolean> {
    return this.#mutex.run(async () => {
      if (this.#runs.has(run.id)) return false;
      await this.#commitRun(undefined, run);
      return true;
    });
  }

  /**
   * Change a run: `fn` edits a copy (expired checkpoints already dropped); if it throws,
   * nothing changes. Archives of checkpoints that disappear are deleted afterwards.
   */
  updateRun<T>(id: string, fn: (draft: RunRecord, now: number) => T): Promise<T> {
    return this.#mutex.run(() => this.updateRunLocked(id, fn));
  }

  /** {@link updateRun} for a caller already inside {@link exclusive}. */
  async updateRunLocked<T>(id: string, fn: (draft: RunRecord, now: number) => T): Promise<T> {
    const current = this.#runs.get(id);
    if (!current) throw new Error(`run ${id} is missing`);
    const now = Date.now();
    const draft = structuredClone(current);
    for (const [key, c] of Object.entries(draft.checkpoints)) {
      if (!isLive(c, now)) delete draft.checkpoints[key];
    }
    const result = fn(draft, now);
    await this.#commitRun(current, draft);
    return result;
  }

  async #writeSession(session: SessionRecord): Promise<void> {
    const file = join(this.dir, "sessions", fileNameFor(session.id, ".json"));
    await writeFileAtomic(this.tmpDir, file, JSON.stringify(session));
    this.#sessions.set(session.id, session);
    this.#version++;
  }

  async #commitRun(before: RunRecord | undefined, after: RunRecord): Promise<void> {
    const file = join(this.dir, "runs", fileNameFor(after.id, ".json"));
    const kept = new Set(Object.values(after.checkpoints).map((c) => c.object_id));
    const dropped = Object.values(before?.checkpoints ?? {})
      .map((c) => c.object_id).filter((id) => !kept.has(id));
    const removeDropped = async (): Promise<void> => {
      // Best effort: an object left behind is reclaimed at the next start.
      for (const id of dropped) await this.removeObjectFiles(id).catch(() => {});
    };
    const text = JSON.stringify(after);
    try {
      await writeFileAtomic(this.tmpDir, file, text);
    } catch (e) {
      if (!isDiskFull(e) || dropped.length === 0) throw e;
      // A change that drops checkpoints (a delete) must work on a full disk: free their archives
      // first, then write. Should the write still fail, the old record stands and its archives
      // are rebuilt on demand (they are a pure function of the record), so nothing is lost.
      await removeDropped();
      await writeFileAtomic(this.tmpDir, file, text);
    }
    this.#runs.set(after.id, after);
    this.#index(before, after);
    this.#version++;
    await removeDropped();
    // After the space of dropped archives is freed: the audit log appends to the same disk.
    for (const observe of this.#runObservers) await observe(before, after);
  }

  #index(before: RunRecord | undefined, after: RunRecord): void {
    for (const c of Object.values(before?.checkpoints ?? {})) this.#objects.delete(c.object_id);
    for (const [key, c] of Object.entries(after.checkpoints)) {
      this.#objects.set(c.object_id, { runId: after.id, key });
    }
  }
}

/** Hears a committed run change. */
export type RunObserver = (before: RunRecord | undefined, after: RunRecord) => Promise<void> | void;

/** Order: newest creation time first, then the later-made first. */
export function newestFirst(a: CheckpointRef, b: CheckpointRef): number {
  return b.ckpt.created - a.ckpt.created || b.ckpt.seq - a.ckpt.seq;
}
