/**
 * "Did you mean …?" for mistyped command words and option names.
 * @module
 */

/**
 * The candidate closest to `word` by edit distance (a transposition counts as one edit), when it
 * is close enough to be a likely typo: at most 1 edit for short words, 2 from 5 letters, 3 from
 * 9; or the only candidate that `word` starts. Undefined otherwise.
 *
 * @example
 * ```ts
 * closest("chekpoint", ["checkpoint", "run"]); // "checkpoint"
 * closest("xyz", ["checkpoint", "run"]); // undefined
 * ```
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const budget = word.length >= 9 ? 3 : word.length >= 5 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  if (best !== undefined && bestDistance <= budget && bestDistance < word.length) return best;
  const starts = candidates.filter((c) => word.length >= 2 && c.startsWith(word));
  return starts.length === 1 ? starts[0] : undefined;
}

/** `Did you mean X?` with X formatted by `show`, or undefined when nothing is close. */
export function didYouMean(
  word: string,
  candidates: readonly string[],
  show: (candidate: string) => string = (c) => `'${c}'`,
): string | undefined {
  const match = closest(word, candidates);
  return match === undefined ? undefined : `Did you mean ${show(match)}?`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, transpositions. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
}
