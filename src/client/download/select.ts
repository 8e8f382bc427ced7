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

/**
 * One step of a compiled glob: a literal character, `?`, a class, `*` (within a segment), `**`
 * (across segments), or the two states of `**` followed by a slash (nothing, or anything ending
 * in a slash).
 */
type Step =
  | { kind: "char"; char: string }
  | { kind: "one" }
  | { kind: "class"; test: (c: string) => boolean }
  | { kind: "star" }
  | { kind: "globstar" }
  | { kind: "dirsEntry" }
  | { kind: "dirsLoop" };

/**
 * A matcher simulating the pattern's automaton over all positions at once: time linear in the
 * path's length for a given pattern (a backtracking regex is exponential in the number of `*`
 * on names an archive can choose, e.g. `*a*a*a*a*b` against forty `a`s).
 */
function globMatcher(pattern: string): (path: string) => boolean {
  const steps = compile(pattern.replace(/^\.\//, ""), pattern);
  const basenameOnly = !pattern.includes("/");
  const matches = (path: string): boolean => run(steps, path);
  return (path) =>
    matches(path) || (basenameOnly && matches(path.slice(path.lastIndexOf("/") + 1)));
}

function compile(glob: string, pattern: string): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") {
      if (glob[i + 1] !== "*") {
        if (steps.at(-1)?.kind !== "star") steps.push({ kind: "star" });
        continue;
      }
      i++;
      if (glob[i + 1] === "/") {
        i++;
        steps.push({ kind: "dirsEntry" }, { kind: "dirsLoop" });
      } else steps.push({ kind: "globstar" });
    } else if (c === "?") steps.push({ kind: "one" });
    else if (c === "[" && glob.indexOf("]", i + 2) >= 0) {
      const end = glob.indexOf("]", i + 2);
      const body = glob.slice(i + 1, end).replace(/\\/g, "\\\\");
      let re: RegExp;
      try {
        // One character against one class: no backtracking.
        re = new RegExp(`^[${body.startsWith("!") ? `^${body.slice(1)}` : body}]$`);
      } catch {
        throw new RangeError(
          `Cannot select members with ${JSON.stringify(pattern)}: the class ` +
            `[${glob.slice(i + 1, end)}] is not valid (a range must go upward, as in [a-z])`,
        );
      }
      steps.push({ kind: "class", test: (ch) => re.test(ch) });
      i = end;
    } else steps.push({ kind: "char", char: c });
  }
  return steps;
}

/** Whether `path` matches `steps`, following every live state in step. */
function run(steps: Step[], path: string): boolean {
  let states = closure(steps, [0]);
  for (let k = 0; k < path.length; k++) {
    const c = path[k]; // UTF-16 units, as the pattern's characters are read
    const next: number[] = [];
    for (const i of states) {
      const step = steps[i];
      if (step === undefined) continue; // the end: nothing more may follow
      switch (step.kind) {
        case "char":
          if (c === step.char) next.push(i + 1);
          break;
        case "one":
          if (c !== "/") next.push(i + 1);
          break;
        case "class":
          if (step.test(c)) next.push(i + 1);
          break;
        case "star":
          if (c !== "/") next.push(i);
          break;
        case "globstar":
          next.push(i);
          break;
        case "dirsEntry":
          next.push(i + 1);
          if (c === "/") next.push(i + 2);
          break;
        case "dirsLoop":
          next.push(i);
          if (c === "/") next.push(i + 1);
          break;
      }
    }
    states = closure(steps, next);
    if (states.length === 0) return false;
  }
  return states.includes(steps.length);
}

/** `states` plus every state reachable from them without a character, each once. */
function closure(steps: Step[], states: number[]): number[] {
  const seen = new Set<number>();
  const todo = [...states];
  while (todo.length > 0) {
    const i = todo.pop()!;
    if (seen.has(i)) continue;
    seen.add(i);
    const kind = steps[i]?.kind;
    if (kind === "star" || kind === "globstar") todo.push(i + 1);
    if (kind === "dirsEntry") todo.push(i + 2);
  }
  return [...seen];
}
