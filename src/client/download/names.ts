/**
 * Names on disk: destination names that fit the file system's limit, and the short hidden
 * names of temporary directories (which say whose they are, so leftovers can be reclaimed).
 * Pure, web APIs only.
 * @module
 */

/** Most bytes in one file name on the common file systems (ext4, XFS, APFS, NTFS in UTF-16). */
export const MAX_NAME_BYTES = 255;
/** Most bytes of a member's whole path (Linux's PATH_MAX): longer ones no file system opens. */
export const MAX_PATH_BYTES = 4096;
/** Hex digits of the SHA-256 that end a shortened name. */
const NAME_HASH_DIGITS = 12;
/** What every temporary directory name starts with. */
const TEMP_MARK = ".tinkex-";

const encoder = new TextEncoder();

/** UTF-8 length of `text`. */
export function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/** The first hex digits of the SHA-256 of `text`. */
export async function shortHash(text: string, digits: number): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, digits);
}

/**
 * `name` when it fits in {@link MAX_NAME_BYTES} UTF-8 bytes; else its longest prefix (whole
 * characters) that leaves room for `-` and 12 hex digits of the SHA-256 of the full name. The
 * same name always gives the same result, and two long names differing anywhere differ.
 *
 * @example
 * ```ts
 * await fitName("run_weights_short"); // "run_weights_short"
 * (await fitName("x".repeat(300))).length; // 255: 242 × "x", "-", 12 hex digits
 * ```
 */
export async function fitName(name: string): Promise<string> {
  if (byteLength(name) <= MAX_NAME_BYTES) return name;
  const room = MAX_NAME_BYTES - 1 - NAME_HASH_DIGITS;
  let prefix = "";
  let bytes = 0;
  for (const ch of name) {
    const n = byteLength(ch);
    if (bytes + n > room) break;
    prefix += ch;
    bytes += n;
  }
  return `${prefix}-${await shortHash(name, NAME_HASH_DIGITS)}`;
}

/** Who made a temporary directory. */
export interface TempOwner {
  /** Process id. */
  pid: number;
  /** Short hash of the host name. */
  host: string;
}

/** The name prefix of the temporary directories for destination `name`: `.tinkex-<hash10>-`. */
export async function tempPrefix(name: string): Promise<string> {
  return `${TEMP_MARK}${await shortHash(name, 10)}-`;
}

/** A temporary directory name: `<prefix><pid>-<host6>-<random6>`, about 40 bytes. */
export function tempName(prefix: string, owner: TempOwner): string {
  const random = crypto.getRandomValues(new Uint8Array(3));
  const tag = [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${prefix}${owner.pid}-${owner.host}-${tag}`;
}

/** The owner written into a temporary directory name of `prefix`, or undefined. */
export function tempOwnerOf(name: string, prefix: string): TempOwner | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const m = name.slice(prefix.length).match(/^(\d+)-([0-9a-f]{6})-[0-9a-f]{6}(?:-old)?$/);
  return m ? { pid: Number(m[1]), host: m[2] } : undefined;
}
