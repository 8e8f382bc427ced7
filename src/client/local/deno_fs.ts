/**
 * {@link LocalFs} on the `Deno` namespace, with `node:fs/promises`' behaviour where tinkex
 * relies on it: `wx` never opens what is there, modes are applied at creation (before the
 * umask), a recursive `mkdir` names the topmost directory it made, `rmdir` removes only empty
 * directories, and errors keep their system code (Deno's errors carry `code`, e.g. `ENOENT`).
 * The namespace is typed locally (no `Deno` types in the npm build).
 * @module
 */
import {
  codeOf,
  type LocalDirEntry,
  type LocalFileHandle,
  type LocalFs,
  type LocalStat,
} from "./system.ts";

/** What Deno's `FileInfo` tells. */
interface DenoFileInfo {
  size: number;
  mode: number | null;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

/** The part of Deno's `FsFile` used here. */
interface DenoFile {
  write(data: Uint8Array): Promise<number>;
  seek(offset: number, whence: 0): Promise<number>;
  truncate(length?: number): Promise<void>;
  close(): void;
}

/** The part of the `Deno` namespace used here. */
export interface DenoFileSystem {
  /** This process's id. */
  pid: number;
  /** The current directory. */
  cwd(): string;
  /** The host name (needs `--allow-sys=hostname`). */
  hostname(): string;
  /** Deno's permission state, to ask without prompting. */
  permissions?: {
    querySync?(d: { name: "sys"; kind: "hostname" } | { name: "run" }): { state: string };
  };
  /** Open a file. */
  open(
    path: string,
    options: {
      read?: boolean;
      write?: boolean;
      create?: boolean;
      createNew?: boolean;
      truncate?: boolean;
      mode?: number;
    },
  ): Promise<DenoFile>;
  /** `stat`. */
  stat(path: string): Promise<DenoFileInfo>;
  /** `lstat`. */
  lstat(path: string): Promise<DenoFileInfo>;
  /** `mkdir`. */
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void>;
  /** The entries of a directory. */
  readDir(path: string): AsyncIterable<{ name: string; isDirectory: boolean }>;
  /** A whole text file. */
  readTextFile(path: string): Promise<string>;
  /** `rename`. */
  rename(from: string, to: string): Promise<void>;
  /** Remove a file or (with `recursive`) a directory tree. */
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
}

/** An error with a system code, as Node's file-system errors are. */
class CodedError extends Error {
  /** The system error code. */
  readonly code: string;
  constructor(code: string, syscall: string, path: string) {
    super(`${code}: ${syscall} '${path}'`);
    this.code = code;
  }
}

function asStat(info: DenoFileInfo): LocalStat {
  return {
    size: info.size,
    mode: info.mode ?? 0,
    isFile: () => info.isFile,
    isDirectory: () => info.isDirectory,
    isSymbolicLink: () => info.isSymlink,
  };
}

/** Bytes gathered before one write to the file (two such buffers per open file). */
const WRITE_BUFFER_BYTES = 1 << 20;
/**
 * The first buffer's size, doubled as the file grows: a small file (a config, one of thousands
 * in an archive) does not cost two zeroed 1 MiB allocations (10,000 small files took twice as
 * long as through Deno's Node layer).
 */
const FIRST_BUFFER_BYTES = 64 * 1024;

/** All of `bytes` to `file` (a write may take fewer). */
async function writeAll(file: DenoFile, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
}

/**
 * A file handle over a Deno file that gathers small writes into 1 MiB ones, written while the
 * next one fills: each of Deno's async writes costs a trip to its blocking pool (~50 µs), so
 * the 64 KiB writes of an extraction took twice as long as the data's copy
 * (`bench/stages.ts`). The bytes are copied, so the caller may reuse its buffer at once; a
 * failed write is reported by the next call (at the latest by `close`). Until `flush` or `close`
 * resolves, up to 2 MiB written are not in the file yet.
 */
function bufferedHandle(file: DenoFile): LocalFileHandle {
  let buffer = new Uint8Array(0);
  let spare = new Uint8Array(0);
  let used = 0;
  /** Where the next byte written goes in the file. */
  let position = 0;
  let pending: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  /** Start writing what is gathered (after the write before it), and gather into the other buffer. */
  const flush = async (): Promise<void> => {
    await settled();
    if (used === 0) return;
    const full = buffer.subarray(0, used);
    [buffer, spare] = [spare, buffer];
    used = 0;
    pending = writeAll(file, full).catch((error) => {
      failure = { error };
    });
  };
  /** A bigger buffer to gather into, what is gathered kept (full size once the spare is). */
  const grow = (): void => {
    const size = spare.length === WRITE_BUFFER_BYTES
      ? WRITE_BUFFER_BYTES
      : Math.min(WRITE_BUFFER_BYTES, Math.max(FIRST_BUFFER_BYTES, 2 * buffer.length));
    const bigger = new Uint8Array(size);
    bigger.set(buffer.subarray(0, used));
    buffer = bigger;
  };
  const settled = async (): Promise<void> => {
    await pending;
    if (failure) throw failure.error;
  };
  return {
    async write(data, offset, length, to) {
      if (to !== undefined && to !== position) {
        await flush();
        await settled();
        await file.seek(to, 0);
        position = to;
      }
      if (failure) throw failure.error;
      for (let at = offset; at < offset + length;) {
        if (used === buffer.length) grow();
        const n = Math.min(offset + length - at, buffer.length - used);
        buffer.set(data.subarray(at, at + n), used);
        used += n;
        at += n;
        if (used === WRITE_BUFFER_BYTES) await flush();
      }
      position += length;
      return { bytesWritten: length };
    },
    async flush() {
      await flush();
      await settled();
    },
    async truncate(length) {
      await flush();
      await settled();
      await file.truncate(length);
    },
    async close() {
      try {
        await flush();
        await settled();
      } finally {
        file.close();
      }
    },
  };
}

/**
 * The local file system of `deno`, in `node:fs/promises`' shape.
 *
 * @example
 * ```ts
 * import { denoLocalFs } from "./deno_fs.ts";
 * const fs = denoLocalFs(Deno);
 * await fs.writeFile("/tmp/tinkex-example.txt", "hello\n", { mode: 0o644 });
 * ```
 */
export function denoLocalFs(deno: DenoFileSystem): LocalFs {
  /** `mkdir -p` that names the topmost directory it created, as Node's recursive `mkdir`. */
  const makeDirs = async (path: string, mode: number | undefined): Promise<string | undefined> => {
    try {
      await deno.mkdir(path, { mode });
      return path;
    } catch (e) {
      if (codeOf(e) === "EEXIST" && (await deno.stat(path)).isDirectory) return undefined;
      if (codeOf(e) !== "ENOENT") throw e;
    }
    const slash = path.lastIndexOf("/");
    const top = slash > 0 ? await makeDirs(path.slice(0, slash), mode) : undefined;
    try {
      await deno.mkdir(path, { mode });
    } catch (e) {
      // Made meanwhile by someone else: as good.
      if (codeOf(e) !== "EEXIST" || !(await deno.stat(path)).isDirectory) throw e;
      return top;
    }
    return top ?? path;
  };
  async function readdir(path: string): Promise<string[]>;
  async function readdir(path: string, options: { withFileTypes: true }): Promise<LocalDirEntry[]>;
  async function readdir(
    path: string,
    options?: { withFileTypes: true },
  ): Promise<string[] | LocalDirEntry[]> {
    const entries: LocalDirEntry[] = [];
    for await (const e of deno.readDir(path)) {
      entries.push({ name: e.name, isDirectory: () => e.isDirectory });
    }
    return options?.withFileTypes ? entries : entries.map((e) => e.name);
  }
  return {
    stat: async (path) => asStat(await deno.stat(path)),
    lstat: async (path) => asStat(await deno.lstat(path)),
    async mkdir(path, options = {}) {
      if (options.recursive) return await makeDirs(path.replace(/\/+$/, "") || "/", options.mode);
      await deno.mkdir(path, { mode: options.mode });
      return undefined;
    },
    async open(path, flags, mode) {
      const file = flags === "wx"
        ? await deno.open(path, { write: true, createNew: true, mode })
        : await deno.open(path, { read: true, write: true });
      return bufferedHandle(file);
    },
    readdir,
    readFile: (path) => deno.readTextFile(path),
    async writeFile(path, data, options = {}) {
      // Through `open`: its mode applies at creation, under the umask, as Node's does (Deno's
      // writeTextFile would chmod an existing file too).
      const file = await deno.open(path, {
        write: true,
        create: true,
        truncate: true,
        mode: options.mode,
      });
      try {
        await writeAll(file, new TextEncoder().encode(data));
      } finally {
        file.close();
      }
    },
    rename: (from, to) => deno.rename(from, to),
    async rm(path, options = {}) {
      try {
        await deno.remove(path, { recursive: options.recursive });
      } catch (e) {
        if (!(options.force && codeOf(e) === "ENOENT")) throw e;
      }
    },
    async rmdir(path) {
      // Deno's remove would take a file too; rmdir(2) does not.
      if (!(await deno.lstat(path)).isDirectory) throw new CodedError("ENOTDIR", "rmdir", path);
      await deno.remove(path);
    },
  };
}
