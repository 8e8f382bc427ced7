/**
 * The file system as `download()` uses it, in one small place, over the local machine of
 * `local/system.ts` (reached when a download starts, so the module loads and bundles where there
 * is no file system).
 * Every failure becomes a typed {@link FileSystemError} (path, operation, code).
 * @module
 */
import { FileSystemError, type FileSystemOperation } from "../errors.ts";
import {
  codeOf,
  type LocalFileHandle,
  type LocalFs,
  type LocalPath,
  type LocalSystem,
  localSystem,
} from "../local/system.ts";

/** An open file being written. */
export interface DiskFile {
  /** Write all of `chunk`. */
  write(chunk: Uint8Array): Promise<void>;
  /** Every byte written so far handed to the file system (before a journal vouches for them). */
  flush(): Promise<void>;
  /** Close the file. */
  close(): Promise<void>;
}

/** A file-system failure as a typed error (errors without a code are passed on unchanged). */
export function fsError(operation: FileSystemOperation, path: string, e: unknown): unknown {
  const code = codeOf(e);
  return code === undefined || e instanceof FileSystemError
    ? e
    : new FileSystemError(operation, path, code, e);
}

/** `download()`'s view of the file system. Raw calls keep their errors (callers map them). */
export class Disk {
  readonly #fs: LocalFs;
  readonly #path: LocalPath;
  /** The machine this is on (its raw file system for the manifest, the journal, resumed files). */
  readonly system: LocalSystem;
  /** This process's id. */
  readonly pid: number;
  /** This machine's host name. */
  readonly host: string;

  private constructor(system: LocalSystem) {
    this.#fs = system.fs;
    this.#path = system.path;
    this.system = system;
    this.pid = system.pid;
    this.host = system.hostname();
  }

  /** Reach the file system (throws a `TinkerError` where the runtime has none). */
  static open(): Disk {
    return new Disk(localSystem());
  }

  /** `path.resolve`. */
  resolve(...paths: string[]): string {
    return this.#path.resolve(...paths);
  }

  /** `path.join`. */
  join(...paths: string[]): string {
    return this.#path.join(...paths);
  }

  /** `path.dirname`. */
  dirname(path: string): string {
    return this.#path.dirname(path);
  }

  /** Whether anything (even a dangling link) is at `path`. */
  async exists(path: string): Promise<boolean> {
    try {
      await this.#fs.lstat(path);
      return true;
    } catch (e) {
      // ENOTDIR: a part of the path is a file, so nothing can be at `path` either.
      if (codeOf(e) === "ENOENT" || codeOf(e) === "ENOTDIR") return false;
      throw fsError("read", path, e);
    }
  }

  /** Create `dir` and its missing parents; returns the topmost directory created, if any. */
  async makeDirs(
    dir: string,
    operation: FileSystemOperation = "write",
  ): Promise<string | undefined> {
    try {
      return await this.#fs.mkdir(dir, { recursive: true });
    } catch (e) {
      throw fsError(operation, dir, e);
    }
  }

  /** Remove the empty directories from `dir` up to and including `top` (best effort). */
  async removeEmptyDirs(dir: string, top: string): Promise<void> {
    for (let at = dir;; at = this.dirname(at)) {
      try {
        await this.#fs.rmdir(at);
      } catch {
        return; // not empty, or gone: stop there
      }
      if (at === top || this.dirname(at) === at) return;
    }
  }

  /**
   * Create the directory `path` (not its parents; fails with `EEXIST` when taken). Mode 0777
   * before the umask, as any directory the user makes (`mkdtemp` would force 0700).
   */
  async makeDir(path: string): Promise<void> {
    await this.#fs.mkdir(path, { mode: 0o777 });
  }

  /** Open a new file for writing; never follows or replaces what is there (`wx`). */
  async create(path: string): Promise<DiskFile> {
    return writerOf(await this.#fs.open(path, "wx", 0o666)); // 0666 before the umask
  }

  /**
   * Open one of our own files again (a member an interrupted run was writing), cut back to
   * `length` bytes, to write on from there.
   */
  async reopen(path: string, length: number): Promise<DiskFile> {
    const handle = await this.#fs.open(path, "r+");
    await handle.truncate(length);
    return writerOf(handle, length);
  }

  /** The names in `dir` (empty when it cannot be read). */
  async list(dir: string): Promise<string[]> {
    return await this.#fs.readdir(dir).catch(() => []);
  }

  /** `rename` (raw errors). */
  async rename(from: string, to: string): Promise<void> {
    await this.#fs.rename(from, to);
  }

  /** Remove `path` and everything under it; nothing there is fine. */
  async remove(path: string): Promise<void> {
    try {
      await this.#fs.rm(path, { recursive: true, force: true });
    } catch (e) {
      throw fsError("remove", path, e);
    }
  }

  /** Whether process `pid` of this machine is alive (a process we may not signal is). */
  isAlive(pid: number): boolean {
    return this.system.isAlive(pid);
  }
}

/** Whole writes to `handle`: from `position` on when given, else where the last write ended. */
function writerOf(handle: LocalFileHandle, position?: number): DiskFile {
  let at = position;
  return {
    async write(chunk) {
      for (let written = 0; written < chunk.length;) {
        const to = at === undefined ? undefined : at + written;
        written += (await handle.write(chunk, written, chunk.length - written, to)).bytesWritten;
      }
      if (at !== undefined) at += chunk.length;
    },
    flush: async () => await handle.flush?.(),
    close: () => handle.close(),
  };
}
