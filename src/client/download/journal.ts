/**
 * Partial downloads that survive the process: a download extracts into
 * `<outputDir>/.<name>.tinkex-tmp-partial/` and keeps a journal there (the archive's validator,
 * the files completed, the offset of the next member, the member being written). If the process
 * is killed or crashes, the next {@link download} of the same checkpoint to the same place
 * continues from the journal. An `owner` file names the process using the directory, so two
 * live downloads never share one, and {@link cleanPartialDownloads} leaves live ones alone.
 * @module
 */
import type { DownloadedFile } from "./download.ts";

/** What a partial directory's `journal.json` holds. */
export interface Journal {
  /** Format version (1). */
  tinkex_journal: 1;
  /** The checkpoint being downloaded. */
  tinker_path: string;
  /** The archive's validator: a resume asks `If-Range` with it. */
  validator: string;
  /** The archive's size. */
  total: number;
  /** The store's digest of the archive, when sent. */
  digest?: string;
  /** The selection of this download. */
  include?: string[];
  /** The selection of this download. */
  exclude?: string[];
  /** Archive offset where the next member's header starts. */
  offset: number;
  /** Files completed so far, in archive order. */
  files: DownloadedFile[];
  /** Members passed so far (directories and skipped ones included), for the limits. */
  entries: number;
  /** Bytes extracted so far, for the limits. */
  extracted: number;
  /** Which save this is (the newest of the two journal files wins). */
  seq?: number;
  /** The file being written when the journal was last saved. */
  current?: {
    /** Its member path. */
    path: string;
    /** Offset of its header, and of its data. */
    headerStart: number;
    dataStart: number;
    /** Its size, and the bytes of it already on disk. */
    size: number;
    written: number;
    /** Its header bytes (base64), replayed on resume. */
    header: string;
  };
}

/** The part of `node:fs/promises` used here. */
export interface JournalFs {
  mkdir(path: string, options?: { recursive?: boolean }): Promise<unknown>;
  readFile(path: string, encoding: "utf8"): Promise<string>;
  writeFile(path: string, data: string): Promise<void>;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  readdir(path: string): Promise<string[]>;
}

/** The name of the partial directory of a destination named `name`. */
export function partialDirName(name: string): string {
  return `.${name}.tinkex-tmp-partial`;
}

/** The journal is written to these in turn; the one with the higher `seq` that parses wins. */
const JOURNAL_NAMES = ["journal-a.json", "journal-b.json"] as const;
const OWNER = "owner";
/** Partial directories this process is using right now (the pid alone cannot tell them apart). */
const inUse = new Set<string>();

/** A partial directory taken for one download. */
export interface PartialDir {
  /** Its path. */
  dir: string;
  /** The journal an earlier, interrupted run left, if any. */
  journal?: Journal;
  /** Save the journal (to the older of its two files). */
  save(journal: Journal): Promise<void>;
  /** Let go of it (the directory itself is removed or renamed by the caller). */
  release(): void;
}

/**
 * Take the partial directory for `name` under `outputDir`: create it, or take over one whose
 * owner is gone (returning its journal). Undefined when a live download is using it.
 */
export async function takePartialDir(
  fs: JournalFs,
  outputDir: string,
  name: string,
): Promise<PartialDir | undefined> {
  const dir = `${outputDir}/${partialDirName(name)}`;
  if (inUse.has(dir)) return undefined;
  inUse.add(dir); // reserved at once: a concurrent call in this process sees it
  let created = true;
  try {
    try {
      await fs.mkdir(dir);
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") throw e;
      created = false;
    }
    if (!created && await ownerAlive(fs, dir, true)) {
      inUse.delete(dir);
      return undefined;
    }
    await writeOwner(fs, dir);
  } catch (e) {
    inUse.delete(dir);
    throw e;
  }
  const journal = created ? undefined : await readJournal(fs, dir);
  let saved = journal?.seq ?? 0;
  return {
    dir,
    journal,
    async save(j: Journal): Promise<void> {
      // Two files written in turn, each with a sequence number: a write cut short by a kill
      // leaves the other intact. (No rename: under Deno, a node:fs rename during a fetch can
      // swallow that fetch's abort, which stall detection relies on.)
      const seq = ++saved;
      await fs.writeFile(`${dir}/${JOURNAL_NAMES[seq % 2]}`, JSON.stringify({ ...j, seq }));
    },
    release(): void {
      inUse.delete(dir);
    },
  };
}

/**
 * Mark a private temporary directory as this process's, so cleaning leaves it alone; the
 * returned function lets go of it.
 */
export async function claimTempDir(fs: JournalFs, dir: string): Promise<() => void> {
  inUse.add(dir);
  await writeOwner(fs, dir);
  return () => inUse.delete(dir);
}

async function writeOwner(fs: JournalFs, dir: string): Promise<void> {
  const { pid } = await import("node:process");
  await fs.writeFile(`${dir}/${OWNER}`, String(pid));
}

/** The name of the owner marker inside a download's working directory (not a member). */
export const OWNER_FILE = OWNER;
/** The names of the journal files inside a partial directory (not members). */
export const JOURNAL_FILES: readonly string[] = JOURNAL_NAMES;

/** The newest complete journal in `dir`. */
async function readJournal(fs: JournalFs, dir: string): Promise<Journal | undefined> {
  let best: Journal | undefined;
  for (const name of JOURNAL_NAMES) {
    try {
      const j = JSON.parse(await fs.readFile(`${dir}/${name}`, "utf8")) as Journal;
      if (j?.tinkex_journal !== 1 || typeof j.offset !== "number") continue;
      if (best === undefined || (j.seq ?? 0) > (best.seq ?? 0)) best = j;
    } catch {
      // missing, or cut short by a kill: the other one counts
    }
  }
  return best;
}

/**
 * Whether the process named in `dir/owner` still runs (on this machine). For this process, the
 * directories it is using count (not `ignoreOwn`: the caller has just reserved it itself).
 */
async function ownerAlive(fs: JournalFs, dir: string, ignoreOwn = false): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await fs.readFile(`${dir}/${OWNER}`, "utf8")).trim());
  } catch {
    return false;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  const process = await import("node:process");
  if (pid === process.pid) return !ignoreOwn && inUse.has(dir);
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM"; // alive, someone else's
  }
}

/** One partial download found by {@link cleanPartialDownloads}. */
export interface PartialDownload {
  /** Absolute path of the working directory. */
  path: string;
  /** The checkpoint it was downloading, when its journal says. */
  tinker_path?: string;
  /** Archive bytes it had reached, when its journal says. */
  offset?: number;
  /** The archive's size, when its journal says. */
  total?: number;
  /** True when a running download owns it (then it is never removed). */
  in_use: boolean;
  /** True when it was removed (false with `dryRun` or when in use). */
  removed: boolean;
}

/** Options of {@link cleanPartialDownloads}. */
export interface CleanPartialsOptions {
  /** List only; remove nothing. */
  dryRun?: boolean;
}

/**
 * List, and unless `dryRun` remove, the partial state interrupted downloads left in `outputDir`
 * (`.<name>.tinkex-tmp-*` directories). Directories of downloads still running are listed with
 * `in_use: true` and never touched; finished destinations are never touched.
 *
 * @example
 * ```ts
 * import { cleanPartialDownloads } from "@tinkex/tinkex";
 * for (const p of await cleanPartialDownloads("./checkpoints", { dryRun: true })) {
 *   console.log(p.path, p.tinker_path ?? "?", p.in_use ? "(in use)" : "");
 * }
 * ```
 */
export async function cleanPartialDownloads(
  outputDir: string,
  opts: CleanPartialsOptions = {},
): Promise<PartialDownload[]> {
  const fs: JournalFs = await import("node:fs/promises");
  const paths: { resolve(p: string): string } = await import("node:path");
  const root = paths.resolve(outputDir);
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return [];
    throw e;
  }
  const found: PartialDownload[] = [];
  for (const name of names.sort()) {
    if (!/^\..+\.tinkex-tmp-/.test(name)) continue;
    const path = `${root}/${name}`;
    const journal = await readJournal(fs, path);
    const busy = await ownerAlive(fs, path);
    if (!busy && !opts.dryRun) await fs.rm(path, { recursive: true, force: true });
    found.push({
      path,
      tinker_path: journal?.tinker_path,
      offset: journal?.offset,
      total: journal?.total,
      in_use: busy,
      removed: !busy && !opts.dryRun,
    });
  }
  return found;
}
