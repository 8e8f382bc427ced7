/**
 * The local machine as `download()`, `verifyDownload()`, the download journal and the
 * credentials file reach it: a file system (the part of `node:fs/promises` tinkex uses, with its
 * signatures and error codes), path arithmetic, this process's id, the host name, and whether
 * another process is alive.
 *
 * Two backends, one interface. Under Deno on POSIX systems, the `Deno` namespace: the first use
 * of a Node built-in there loads Deno's Node layer, about 30 ms per process (`process` alone is
 * ~17 ms), a third of a 64 MiB download on loopback. Everywhere else (Node, Bun, Deno on
 * Windows), the built-ins through `process.getBuiltinModule` of `runtime.ts`. Nothing here is
 * reached until called, so the module loads and bundles where there is no file system.
 * @module
 */
import { builtinModule, type NodeProcessGlobal } from "../runtime.ts";
import { type DenoFileSystem, denoLocalFs } from "./deno_fs.ts";
import { dirnamePath, joinPath, resolvePath } from "./posix_path.ts";

/** What `stat` and `lstat` tell (a `node:fs` `Stats` has all of it). */
export interface LocalStat {
  /** Size in bytes. */
  size: number;
  /** Mode bits (type and permissions). */
  mode: number;
  /** A regular file. */
  isFile(): boolean;
  /** A directory. */
  isDirectory(): boolean;
  /** A symbolic link (only `lstat` says so). */
  isSymbolicLink(): boolean;
}

/** One directory entry (a `node:fs` `Dirent` has all of it). */
export interface LocalDirEntry {
  /** Its name in the directory. */
  name: string;
  /** A directory. */
  isDirectory(): boolean;
}

/** An open file (a `node:fs/promises` `FileHandle` has all of it). */
export interface LocalFileHandle {
  /** Write `length` bytes of `data` from `offset`, at `position` (default: where the last write ended). */
  write(
    data: Uint8Array,
    offset: number,
    length: number,
    position?: number,
  ): Promise<{ bytesWritten: number }>;
  /** Cut or extend the file to `length` bytes. */
  truncate(length: number): Promise<void>;
  /**
   * Hand every byte written so far to the file system (a process killed after this loses none
   * of them). Only a handle that gathers writes has it: Node's writes reach the file system
   * before they resolve.
   */
  flush?(): Promise<void>;
  /** Close it. */
  close(): Promise<void>;
}

/**
 * The part of `node:fs/promises` tinkex uses, with its signatures; failures carry the system
 * error code as `code` (`ENOENT`, `EEXIST`, …), as both backends' errors do.
 */
export interface LocalFs {
  /** `stat`, following links. */
  stat(path: string): Promise<LocalStat>;
  /** `lstat`, not following links. */
  lstat(path: string): Promise<LocalStat>;
  /** `mkdir`; with `recursive`, the topmost directory it created (undefined: none). */
  mkdir(
    path: string,
    options?: { recursive?: boolean; mode?: number },
  ): Promise<string | undefined>;
  /** Open for writing: `wx` creates a new file (never one that is there), `r+` an existing one. */
  open(path: string, flags: "wx" | "r+", mode?: number): Promise<LocalFileHandle>;
  /** The names in a directory. */
  readdir(path: string): Promise<string[]>;
  /** The entries of a directory. */
  readdir(path: string, options: { withFileTypes: true }): Promise<LocalDirEntry[]>;
  /** A whole text file. */
  readFile(path: string, encoding: "utf8"): Promise<string>;
  /** Create or replace a text file (`mode` applies when it is created, before the umask). */
  writeFile(path: string, data: string, options?: { mode?: number }): Promise<void>;
  /** `rename`. */
  rename(from: string, to: string): Promise<void>;
  /** Remove; `recursive` for directories, `force`: nothing there is fine. */
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  /** Remove an empty directory. */
  rmdir(path: string): Promise<void>;
}

/** Path arithmetic of this platform (a `node:path` module has all of it). */
export interface LocalPath {
  /** The absolute path of `paths`, from the current directory. */
  resolve(...paths: string[]): string;
  /** `paths` joined and normalized. */
  join(...paths: string[]): string;
  /** The directory part of a path. */
  dirname(path: string): string;
}

/** The local machine (see the module notes). */
export interface LocalSystem {
  /** The file system. */
  fs: LocalFs;
  /** Path arithmetic. */
  path: LocalPath;
  /** This process's id. */
  pid: number;
  /**
   * This machine's host name, or {@link UNKNOWN_HOST} where the runtime may not tell (Deno
   * without `--allow-sys=hostname`: asked without a prompt).
   */
  hostname(): string;
  /**
   * Whether process `pid` of this machine is alive (one we may not signal is, as is any under
   * Deno without `--allow-run`: asked without a prompt).
   */
  isAlive(pid: number): boolean;
}

/**
 * The host name where the runtime may not tell it. Then temporary directories of other machines
 * sharing the file system cannot be told from this machine's: see the README's permissions.
 */
export const UNKNOWN_HOST = "unknown-host";

/**
 * What {@link codeOf} says of a call the runtime's permissions refused (Deno's `NotCapable`;
 * Node's permission model uses the same code).
 */
export const NOT_PERMITTED = "ERR_ACCESS_DENIED";

/**
 * The system error code of a failed call (`ENOENT`, `EEXIST`, …), if it has one; a call the
 * runtime's permissions refused is {@link NOT_PERMITTED}.
 */
export function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  return (e as { name?: unknown } | null)?.name === "NotCapable" ? NOT_PERMITTED : undefined;
}

/** The globals the backends are chosen by (and the Deno backend is built from). */
export interface SystemGlobals {
  /** Deno's namespace, when this is Deno. */
  Deno?: DenoFileSystem & { build?: { os?: string } };
  /** Node's `process` (Node, Bun, and Deno's Node layer). */
  process?: NodeProcessGlobal;
}

/**
 * The local machine, for the runtime this is (see the module notes).
 *
 * @example
 * ```ts
 * import { localSystem } from "./system.ts";
 * const { fs, path } = localSystem();
 * console.log(await fs.readdir(path.resolve(".")));
 * ```
 * @param cannot the first words of the error where there is no file system (default: `Cannot
 *   download to disk`).
 * @throws {TinkerError} where the runtime has no file system (browsers, edge runtimes).
 */
export function localSystem(cannot?: string): LocalSystem {
  return systemFor(globalThis as SystemGlobals, cannot);
}

/**
 * The backend for a runtime whose globals are `g` (internal: tests pass globals of their own).
 *
 * @example
 * ```ts
 * import { systemFor } from "./system.ts";
 * systemFor({}); // throws a TinkerError: no Deno namespace, no process.getBuiltinModule
 * ```
 */
export function systemFor(g: SystemGlobals, cannot?: string): LocalSystem {
  const deno = g.Deno;
  const granted = (d: { name: "sys"; kind: "hostname" } | { name: "run" }): boolean =>
    deno?.permissions?.querySync?.(d).state === "granted";
  if (deno?.open && deno.build?.os !== "windows") {
    return {
      fs: denoLocalFs(deno),
      path: {
        resolve: (...paths) => resolvePath(deno.cwd(), ...paths),
        join: joinPath,
        dirname: dirnamePath,
      },
      pid: deno.pid,
      hostname: () => granted({ name: "sys", kind: "hostname" }) ? deno.hostname() : UNKNOWN_HOST,
      // Rare (a stale temporary directory was found), so the Node layer's cost is paid only then.
      // Signalling needs --allow-run: without it, asked without a prompt, every owner is alive
      // (its directories are left alone, never taken).
      isAlive: (pid) => !granted({ name: "run" }) || nodeProcessAlive(pid),
    };
  }
  return nodeSystem(g, cannot);
}

function nodeSystem(g: SystemGlobals, cannot?: string): LocalSystem {
  const fs = builtinModule<LocalFs>("node:fs/promises", cannot, g);
  const path = builtinModule<LocalPath>("node:path", cannot, g);
  const proc = builtinModule<{ pid: number }>("node:process", cannot, g);
  const os = builtinModule<{ hostname(): string }>("node:os", cannot, g);
  return {
    fs,
    path,
    pid: proc.pid,
    hostname: () => os.hostname(),
    isAlive: nodeProcessAlive,
  };
}

/** Signal 0: the process exists unless the answer is `ESRCH` (`EPERM`: alive, someone else's). */
function nodeProcessAlive(pid: number): boolean {
  const proc = builtinModule<{ kill(pid: number, signal: number): void }>("node:process");
  try {
    proc.kill(pid, 0);
    return true;
  } catch (e) {
    return codeOf(e) !== "ESRCH";
  }
}
