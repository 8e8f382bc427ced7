/**
 * POSIX path arithmetic (`resolve`, `join`, `dirname`), with the results of `node:path`'s
 * `posix` functions, for the Deno backend of the local file system, which would otherwise
 * load Deno's Node layer only to join strings.
 * @module
 */

/**
 * Collapse `.`, `..` and repeated `/` (an absolute path stays under `/`); a trailing `/` is kept
 * when `keepTrailing`, as `path.posix.normalize` does.
 */
function normalize(path: string, keepTrailing: boolean): string {
  const absolute = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== "..") out.push(part);
    else if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (!absolute) out.push("..");
  }
  const body = out.join("/");
  const trailing = keepTrailing && path.endsWith("/") && body !== "" ? "/" : "";
  if (absolute) return `/${body}${trailing}`;
  if (body === "") return keepTrailing && path.endsWith("/") ? "./" : ".";
  return body + trailing;
}

/**
 * The absolute path of `paths` taken from `cwd`, as `path.posix.resolve`.
 *
 * @example
 * ```ts
 * import { resolvePath } from "./posix_path.ts";
 * resolvePath("/work", "out", "../ckpt"); // "/work/ckpt"
 * ```
 */
export function resolvePath(cwd: string, ...paths: string[]): string {
  let path = "";
  for (let i = paths.length - 1; i >= 0 && !path.startsWith("/"); i--) {
    if (paths[i] !== "") path = path === "" ? paths[i] : `${paths[i]}/${path}`;
  }
  return normalize(path.startsWith("/") ? path : `${cwd}/${path}`, false);
}

/**
 * `paths` joined with `/` and normalized, as `path.posix.join`.
 *
 * @example
 * ```ts
 * import { joinPath } from "./posix_path.ts";
 * joinPath("/out", "a//b", "./c"); // "/out/a/b/c"
 * ```
 */
export function joinPath(...paths: string[]): string {
  const joined = paths.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined, true);
}

/**
 * The directory part of `path`, as `path.posix.dirname`.
 *
 * @example
 * ```ts
 * import { dirnamePath } from "./posix_path.ts";
 * dirnamePath("/out/ckpt/file.bin"); // "/out/ckpt"
 * ```
 */
export function dirnamePath(path: string): string {
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  // The slash before the last segment (trailing slashes are not segments).
  let end = -1;
  let inTrailingSlashes = true;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] !== "/") inTrailingSlashes = false;
    else if (!inTrailingSlashes) {
      end = i;
      break;
    }
  }
  if (end === -1) return absolute ? "/" : ".";
  if (absolute && end === 1) return "//";
  return path.slice(0, end);
}
