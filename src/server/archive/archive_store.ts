/**
 * Archive objects on disk: built at save time, or lazily on first use for cheap benchmark
 * records. Concurrent requests for the same object share one build. Each carries its digest.
 * @module
 */
import { type FileHandle, open, stat } from "node:fs/promises";
import { type ArchiveSpec, buildArchive } from "./build_archive.ts";
import { ArchiveDigests } from "./digest.ts";
import type { CheckpointRecord } from "../store/records.ts";
import type { CheckpointRef, Store } from "../store/record_store.ts";

/** The archive spec of a stored checkpoint (its bytes depend on nothing else). */
export function specOf(ckpt: CheckpointRecord): ArchiveSpec {
  return {
    lora: ckpt.lora,
    kind: ckpt.kind,
    hidden: ckpt.hidden,
    optimizer_step: ckpt.optimizer_step,
    seed: seedOf(ckpt.object_id),
  };
}

/** Build the archive of a checkpoint into the store, with its digest file; returns its size. */
export function buildStoredArchive(store: Store, ckpt: CheckpointRecord): Promise<number> {
  return buildArchive(specOf(ckpt), {
    archive: store.objectPath(ckpt.object_id),
    digest: store.digestPath(ckpt.object_id),
    tmpDir: store.tmpDir,
  });
}

/** Makes sure a checkpoint's archive exists on disk, and tells its digest. */
export class Archives {
  readonly #store: Store;
  readonly #digests = new ArchiveDigests();
  readonly #building = new Map<string, Promise<void>>();
  readonly #firstAsked = new Map<string, number>();

  /** Build for a store. */
  constructor(store: Store) {
    this.#store = store;
  }

  /** When the archive of `objectId` was first asked for (recorded on the first call). */
  firstAsked(objectId: string, now: number): number {
    const at = this.#firstAsked.get(objectId);
    if (at !== undefined) return at;
    this.#firstAsked.set(objectId, now);
    return now;
  }

  /**
   * Build the archive if it is not on disk yet (a cheap record, or one whose archive a delete on
   * a full disk freed before failing: its contents follow from the record, its headers' times
   * do not, so it is a new file version with a new ETag); resolves to its path.
   */
  async ensure(ref: CheckpointRef): Promise<string> {
    const id = ref.ckpt.object_id;
    const path = this.#store.objectPath(id);
    if (await exists(path)) return path;
    let pending = this.#building.get(id);
    if (!pending) {
      pending = buildStoredArchive(this.#store, ref.ckpt).then(async () => {
        // A delete that raced the build already dropped the record: leave no orphan.
        if (!this.#store.hasObject(id)) await this.#store.removeObjectFiles(id);
      }).finally(() => this.#building.delete(id));
      this.#building.set(id, pending);
    }
    await pending;
    return path;
  }

  /**
   * Open the archive of `ref` for reading (building it first if needed), or undefined when its
   * checkpoint went away meanwhile (a delete, overwrite or expiry raced this request).
   */
  async open(ref: CheckpointRef): Promise<FileHandle | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const path = await this.ensure(ref);
      try {
        return await open(path, "r");
      } catch (e) {
        if ((e as { code?: string }).code !== "ENOENT") throw e;
        if (!this.#store.hasObject(ref.ckpt.object_id)) return undefined;
      }
    }
    return undefined;
  }

  /**
   * The RFC 9530 `Repr-Digest` of the archive open as `handle` (stored with it; computed once
   * and stored for an archive built by an older server), or undefined when it has none stored
   * and its checkpoint went away meanwhile.
   */
  async reprDigest(objectId: string, handle: FileHandle): Promise<string | undefined> {
    const store = this.#store;
    return await this.#digests.reprDigest(handle, await handle.stat(), {
      objectId,
      archivePath: store.objectPath(objectId),
      digestPath: store.digestPath(objectId),
      tmpDir: store.tmpDir,
      isStored: () => store.hasObject(objectId),
    });
  }

  /** Wait for builds in progress (used on close). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#building.values()]);
  }
}

/** A 32-bit seed derived from an object id. */
function seedOf(objectId: string): number {
  let h = 2166136261;
  for (let i = 0; i < objectId.length; i++) {
    h ^= objectId.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
