/**
 * Partial downloads that survive the process: a download extracts into a partial directory
 * beside its destination (`<outputDir>/.tinkex-<hash of the name>-partial/`) and keeps a journal there (the archive's validator,
 * the files completed, the offset of the next member, the member being written). If the process
 * is killed or crashes, the next {@link download} of the same checkpoint to the same place
 * continues from the journal. An `owner` file names the process using the directory, so two
 * live downloads never share one, and {@link cleanPartialDownloads} leaves live ones alone.
 * @module
 */
import type { DownloadedFile } from "./download.ts";
import { codeOf, type LocalFs, type LocalSystem, localSystem } from "../local/system.ts";
import { shortHash } from "./names.ts";

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

/** The part of the local file system used here. */
export type JournalFs = Pick<
  LocalFs,
  "mkdir" | "lstat" | "readFile" | "writeFile" | "rm" | "readdir"
>;

/**
 * What the journal needs of the machine: its file system, this process, whether another one is
 * alive, and `host`, the short hash of this machine's name that owner markers carry.
 */
export interface JournalMachine extends Pick<LocalSystem, "pid" | "isAlive"> {
  /** The file system. */
  fs: JournalFs;
  /** This machine, as owner markers and temporary names name it. */
  host: string;
}

const OWNER = "owner";
/** The journal is written to these in turn; the one with the higher `seq` that parses wins. */
const JOURNAL_NAMES = ["journal-a.json", "journal-b.json"] as const;
/** Partial directories this process is using right now (the pid alone cannot tell them apart). */
const inUse = new Set<string>();

/** A partial directory taken for one download. */
export interface PartialDir {
  /** Its path. */
  dir: string;
  /** The journal an earlier, interrupted run left, if any. */
  journal?: Journal;
  /**
   * Its path, to work in: as taken (it exists and is marked ours), or with `reset` emptied and
   * made again.
   */
  open(reset: boolean): Promise<string>;
  /** Save the journal (to the older of its two files). */
  save(journal: Journal): Promise<void>;
  /** Whether it holds a journal a later run can continue from (none saved yet: nothing to keep). */
  hasJournal(): boolean;
  /** Let go of it (the directory itself is removed or renamed by the caller). */
  release(): void;
}

/**
 * Take the partial directory `dir`: create it, or take over one whose owner is gone (returning
 * its journal). Undefined when a live download is using it.
 */
export async function takePartialDir(
  machine: JournalMachine,
  dir: string,
): Promise<PartialDir | undefined> {
  const { fs, pid, host } = machine;
  const markOurs = () => fs.writeFile(`${dir}/${OWNER}`, `${pid} ${host}`);
  if (inUse.has(dir)) return undefined;
  inUse.add(dir); // reserved at once: a concurrent call in this process sees it
  let created = false;
  try {
    try {
      await fs.mkdir(dir);
      created = true;
    } catch (e) {
      if (codeOf(e) !== "EEXIST") throw e;
    }
    // Not a directory (a symlink to one elsewhere, a file): not ours, and never written through.
    if (!created && !(await fs.lstat(dir)).isDirectory()) {
      await fs.rm(dir, { force: true });
      await fs.mkdir(dir);
      created = true;
    }
    if (!created && await ownerAlive(machine, dir, true)) {
      inUse.delete(dir);
      return undefined;
    }
    await markOurs();
  } catch (e) {
    // A directory made here but not marked ours (the disk is full) is nobody's: not left behind.
    if (created) await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
    inUse.delete(dir);
    throw e;
  }
  const journal = created ? undefined : await readJournal(fs, dir);
  let saved = journal?.seq ?? 0;
  let hasJournal = journal !== undefined;
  return {
    dir,
    journal,
    async open(reset: boolean): Promise<string> {
      if (!reset) return dir;
      hasJournal = false;
      await fs.rm(dir, { recursive: true, force: true });
      await fs.mkdir(dir, { recursive: true });
      await markOurs();
      return dir;
    },
    async save(j: Journal): Promise<void> {
      // Two files written in turn, each with a sequence number: a write cut short by a kill
      // leaves the other intact. (No rename: under Deno, a node:fs rename while a fetch body is
      // read has been seen to swallow that fetch's abort.)
      const seq = ++saved;
      await fs.writeFile(`${dir}/${JOURNAL_NAMES[seq % 2]}`, JSON.stringify({ ...j, seq }));
      hasJournal = true;
    },
    hasJournal: () => hasJournal,
    release(): void {
      inUse.delete(dir);
    },
  };
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
 * Whether the process named in `dir/owner` may still be using it: alive on this machine, or on
 * another machine (which cannot be checked from here). For this process, the directories it is
 * using count (not with `ignoreOwn`: the caller has just reserved it itself).
 */
async function ownerAlive(
  machine: JournalMachine,
  dir: string,
  ignoreOwn = false,
): Promise<boolean> {
  let owner: string[];
  try {
    owner = (await machine.fs.readFile(`${dir}/${OWNER}`, "utf8")).trim().split(" ");
  } catch {
    return false;
  }
  return processAlive(machine, Number(owner[0]), owner[1] ?? machine.host, dir, ignoreOwn);
}

function processAlive(
  machine: JournalMachine,
  id: number,
  ownerHost: string,
  dir: string,
  ignoreOwn = false,
): boolean {
  if (!Number.isSafeInteger(id) || id <= 0) return false;
  if (ownerHost !== machine.host) return true;
  if (id === machine.pid) return !ignoreOwn && inUse.has(dir);
  return machine.isAlive(id);
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
 * (its hidden `.tinkex-*` working directories). Directories of downloads still running (or of
 * another machine, which cannot be checked) are listed with `in_use: true` and never touched;
 * finished destinations are never touched.
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
  const system = localSystem();
  const { fs } = system;
  const machine: JournalMachine = { ...system, host: await shortHash(system.hostname(), 6) };
  const root = system.path.resolve(outputDir);
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch (e) {
    if (codeOf(e) === "ENOENT") return [];
    throw e;
  }
  const found: PartialDownload[] = [];
  for (const name of names.sort()) {
    const m = name.match(
      /^\.tinkex-[0-9a-f]{10}-(?:partial|(\d+)-([0-9a-f]{6})-[0-9a-f]{6}(?:-old)?)$/,
    );
    if (!m) continue;
    const path = `${root}/${name}`;
    const journal = await readJournal(fs, path);
    const busy = m[1] === undefined
      ? await ownerAlive(machine, path)
      : processAlive(machine, Number(m[1]), m[2], path);
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
