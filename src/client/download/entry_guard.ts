/**
 * The safety rules for archive members: where they may go, what they may be, how many and
 * how big. Pure checks, no I/O.
 * @module
 */
import { UnsafeArchiveError } from "../errors.ts";
import { byteLength, MAX_NAME_BYTES, MAX_PATH_BYTES } from "./names.ts";

/** Most bytes an archive may extract, summed over its members (default 64 GiB). */
export const DEFAULT_MAX_BYTES = 64 * 1024 ** 3;
/** Most members an archive may have, directories included (default 100 000). */
export const DEFAULT_MAX_ENTRIES = 100_000;
/**
 * Most bytes of tar headers between two members (PAX and GNU long-name records, padding), and
 * after the end-of-archive marker (default 1 MiB).
 */
export const DEFAULT_MAX_HEADER_BYTES = 1024 ** 2;

/** Limits on what an archive may extract. */
export interface ArchiveLimits {
  /** Most bytes extracted, summed over members (default 64 GiB). */
  maxBytes?: number;
  /**
   * Most entries (default 100 000): members, directories included, and the directories their
   * paths imply (`a/b/c` implies `a` and `a/b`), which are created too.
   */
  maxEntries?: number;
  /**
   * Most bytes of headers (PAX records, GNU long names) and padding before a member, and of
   * zero padding after the end-of-archive marker (default 1 MiB). Bounds the memory a hostile
   * header can claim and the time an endless trailer can take.
   */
  maxHeaderBytes?: number;
}

/** What kind of member: regular files and directories are the only kinds accepted. */
export type ArchiveEntryType = "file" | "directory";

/** A member that passed the checks: its normalized relative path, type and size. */
export interface CheckedEntry {
  /** Relative path with `/` separators, no `.`/`..` segments, no leading or trailing `/`. */
  path: string;
  /** `file` or `directory`. */
  type: ArchiveEntryType;
  /** Declared size in bytes (0 for directories). */
  size: number;
}

/** The header fields the checks look at (as the tar decoder reports them). */
export interface EntryHeader {
  /** Member name as stored (after PAX / GNU long-name overrides). */
  name: string;
  /** Declared size. */
  size: number;
  /** Decoder type: `file`, `directory`, `symlink`, `link`, devices, `fifo`, … */
  type?: string;
}

const REFUSED_TYPES: Record<string, string> = {
  symlink: "symbolic links are not allowed",
  link: "hard links are not allowed",
  "character-device": "character devices are not allowed",
  "block-device": "block devices are not allowed",
  fifo: "FIFOs are not allowed",
};

/**
 * Checks each member of one archive in order: containment (no absolute paths, no `..`, no
 * drive letters or backslashes), types (files and directories only), duplicates (also ones
 * differing only in case, which would overwrite each other on macOS and Windows), file/directory
 * clashes, and the byte and entry limits. Throws {@link UnsafeArchiveError} naming the member.
 *
 * @example
 * ```ts
 * const guard = new EntryGuard({ maxEntries: 10 });
 * guard.check({ name: "./adapter_config.json", size: 12, type: "file" }); // { path: "adapter_config.json", … }
 * guard.check({ name: "../etc/passwd", size: 1, type: "file" }); // throws UnsafeArchiveError
 * ```
 */
export class EntryGuard {
  readonly #maxBytes: number;
  readonly #maxEntries: number;
  #bytes = 0;
  #entries = 0;
  /**
   * Every member and implied parent directory, as a tree: keyed by its parent's id and its
   * case-folded name, so a path of k parts costs k entries, not k prefixes of it.
   */
  readonly #seen = new Map<string, SeenNode>();
  #ids = 0;

  /** Start checking one archive with the given limits. */
  constructor(limits: ArchiveLimits = {}) {
    this.#maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  /**
   * Check the next member. Returns the normalized entry, or `null` for the archive's root
   * directory (`./`), which has nothing to create.
   */
  check(header: EntryHeader): CheckedEntry | null {
    const name = header.name;
    const type = this.#type(header);
    const path = normalize(name);
    // Counted even when it is the root (`./`), which has nothing to create: an endless run of
    // roots is an endless archive.
    this.#count(name);
    if (path === "") {
      if (type === "directory") return null;
      throw new UnsafeArchiveError(name, "a file without a name");
    }
    const size = type === "directory" ? 0 : header.size;
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new UnsafeArchiveError(name, `invalid size ${size}`);
    }
    this.#bytes += size;
    if (this.#bytes > this.#maxBytes) {
      throw new UnsafeArchiveError(
        name,
        `the archive would extract more than ${this.#maxBytes} bytes (raise maxBytes if you trust it)`,
      );
    }
    this.#claim(name, path, type);
    return { path, type, size };
  }

  /** One more entry (a member, or a directory a member implies): within `maxEntries`. */
  #count(name: string): void {
    if (++this.#entries > this.#maxEntries) {
      throw new UnsafeArchiveError(
        name,
        `the archive has more than ${this.#maxEntries} entries, counting the directories its ` +
          "paths imply (raise maxEntries if you trust it)",
      );
    }
  }

  #type(header: EntryHeader): ArchiveEntryType {
    const t = header.type ?? "file";
    if (t === "file" || t === "directory") return t;
    throw new UnsafeArchiveError(
      header.name,
      REFUSED_TYPES[t] ?? `entries of type ${t} are not allowed`,
    );
  }

  /** Record the member and its parents; refuse duplicates and file/directory clashes. */
  #claim(name: string, path: string, type: ArchiveEntryType): void {
    const parts = path.split("/");
    let parent: SeenNode | undefined;
    for (const [i, part] of parts.entries()) {
      const key = `${parent?.id ?? 0}/${fold(part)}`;
      const prior = this.#seen.get(key);
      if (i < parts.length - 1) {
        // A parent directory: implied if new; a file there, or another case of it, clashes.
        if (prior !== undefined && (prior.type === "file" || prior.name !== part)) {
          throw new UnsafeArchiveError(name, clash(pathOf(prior), prior.type));
        }
        if (prior === undefined) this.#count(name); // created on disk too
        parent = prior ?? this.#add(key, parent, part, "directory", false);
        continue;
      }
      if (prior === undefined) {
        this.#add(key, parent, part, type, true);
        return;
      }
      const implicitDir = !prior.explicit && type === "directory" && prior.name === part;
      if (!implicitDir) {
        throw new UnsafeArchiveError(
          name,
          prior.explicit && prior.name === part && prior.type === type
            ? "it appears twice in the archive (duplicate entry)"
            : clash(pathOf(prior), prior.type),
        );
      }
      prior.explicit = true;
    }
  }

  #add(
    key: string,
    parent: SeenNode | undefined,
    name: string,
    type: ArchiveEntryType,
    explicit: boolean,
  ): SeenNode {
    const node: SeenNode = { id: ++this.#ids, parent, name, type, explicit };
    this.#seen.set(key, node);
    return node;
  }
}

/** A member or an implied directory, under its parent. */
interface SeenNode {
  id: number;
  parent?: SeenNode;
  /** Its own name, as the archive spells it. */
  name: string;
  type: ArchiveEntryType;
  /** A member of the archive, not only implied by one below it. */
  explicit: boolean;
}

function pathOf(node: SeenNode): string {
  const parts: string[] = [];
  for (let n: SeenNode | undefined = node; n; n = n.parent) parts.push(n.name);
  return parts.reverse().join("/");
}

/**
 * Normalize a member name to a safe relative path, or throw: absolute paths, drive letters,
 * backslashes, NUL and `..` segments are refused; `.` segments and repeated `/` are dropped.
 */
function normalize(name: string): string {
  if (name.includes("\0")) throw new UnsafeArchiveError(name, "the name contains a NUL byte");
  if (name.startsWith("/")) throw new UnsafeArchiveError(name, "absolute paths are not allowed");
  if (/^[A-Za-z]:/.test(name)) {
    throw new UnsafeArchiveError(name, "paths with a drive letter are not allowed");
  }
  if (name.includes("\\")) {
    throw new UnsafeArchiveError(name, "backslashes are not allowed (a separator on Windows)");
  }
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) {
    throw new UnsafeArchiveError(name, "'..' would leave the destination directory");
  }
  const joined = parts.join("/");
  if (byteLength(joined) > MAX_PATH_BYTES) {
    throw new UnsafeArchiveError(
      name,
      `its path is ${byteLength(joined)} bytes long, longer than file systems allow ` +
        `(${MAX_PATH_BYTES})`,
    );
  }
  const long = parts.find((p) => byteLength(p) > MAX_NAME_BYTES);
  if (long !== undefined) {
    throw new UnsafeArchiveError(
      name,
      `a part of its name is ${byteLength(long)} bytes long, more than file systems hold ` +
        `(${MAX_NAME_BYTES})`,
    );
  }
  return joined;
}

function fold(path: string): string {
  return path.normalize("NFC").toLowerCase();
}

function clash(prior: string, type: ArchiveEntryType): string {
  return `it clashes with the ${type} ${JSON.stringify(prior)} already in the archive ` +
    "(duplicate, file/directory or case-only clash)";
}
