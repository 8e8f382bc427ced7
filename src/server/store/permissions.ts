/**
 * Checking that an existing data directory is private: it holds every user's archives and the
 * secret that signs archive URLs, so a mode that lets other local users in is worth a warning.
 * @module
 */
import { stat } from "node:fs/promises";
import process from "node:process";
import { join } from "node:path";

/** What is checked: the directory, its subdirectories, and the URL-signing secret. */
const CHECKED = ["", "sessions", "runs", "objects", "digests", "tmp", "secret.key"];

/** A warning when `dir` (if it exists) or its parts give group or others any access. */
export async function looseModeWarning(dir: string): Promise<string | undefined> {
  if (process.platform === "win32") return undefined; // modes mean nothing there
  const loose: string[] = [];
  for (const part of CHECKED) {
    const path = part ? join(dir, part) : dir;
    const info = await stat(path).catch(() => undefined);
    if (info && (info.mode & 0o077) !== 0) {
      loose.push(`${(info.mode & 0o777).toString(8).padStart(3, "0")} on ${path}`);
    }
  }
  if (loose.length === 0) return undefined;
  return `The data directory ${dir} is open to other local users (mode ${
    loose.join(", ")
  }): they can read every archive and forge archive URLs. Run: chmod -R go-rwx ${dir}`;
}
