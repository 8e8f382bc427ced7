/**
 * Choosing archive members by glob patterns (`include` / `exclude`), as `hf download` does.
 * @module
 */

/** Which members to extract: glob patterns on member paths. */
export interface MemberSelection {
  /**
   * Extract only members matching one of these (default: all). `*` and `?` stay within one
   * path segment, `**` spans segments, `[abc]` is a class; a pattern without `/` also matches
   * the file name alone, so `*.json` finds `a/b.json`.
   */
  include?: string[];
  /** Skip members matching one of these (applied after `include`). */
  exclude?: string[];
}

/**
 * A predicate for member paths from a selection (`undefined` patterns select everything).
 *
 * @example
 * ```ts
 * const wanted = memberSelector({ include: ["adapter_*"], exclude: ["*.bin"] });
 * wanted("adapter_model.safetensors"); // true
 * wanted("optimizer_state.safetensors"); // false
 * ```
 */
export function memberSelector(selection: MemberSelection): (path: string) => boolean {
  const include = (selection.include ?? []).map(globMatcher);
  const exclude = (selection.exclude ?? []).map(globMatcher);
  return (path) =>
    (include.length === 0 || include.some((m) => m(path))) && !exclude.some((m) => m(path));
}

/** True when the selection picks only some members (some pattern given). */
export function isPartialSelection(selection: MemberSelection): boolean {
  return (selection.include?.length ?? 0) + (selection.exclude?.length ?? 0) > 0;
}

function globMatcher(pattern: string): (path: string) => boolean {
  const re = new RegExp(`^${globSource(pattern.replace(/^\.\//, ""))}$`);
  const basenameOnly = !pattern.includes("/");
  return (path) =>
    re.test(path) || (basenameOnly && re.test(path.slice(path.lastIndexOf("/") + 1)));
}

function globSource(pattern: string): string {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") {
          i++;
          out += "(?:.*/)?";
        } else out += ".*";
      } else out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) out += "\\[";
      else {
        const body = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
        out += `[${body.startsWith("!") ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return out;
}
