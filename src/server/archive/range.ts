/**
 * HTTP range decisions (RFC 9110): `Range: bytes=…` with `If-Range`.
 * @module
 */

/** What to send: the whole object, one byte range, or 416. */
export type RangeDecision =
  | { kind: "full" }
  | { kind: "partial"; start: number; end: number }
  | { kind: "unsatisfiable" };

/**
 * Decide how to answer a GET of an object of `size` bytes. A syntactically invalid or
 * multi-part Range is ignored (full response), as RFC 9110 allows; an `If-Range` that does not
 * match the current ETag / Last-Modified also gives the full response.
 */
export function decideRange(
  headers: Headers,
  etag: string,
  lastModified: string,
  size: number,
): RangeDecision {
  const range = headers.get("range");
  if (range === null) return { kind: "full" };
  const ifRange = headers.get("if-range");
  if (ifRange !== null && ifRange.trim() !== etag && ifRange.trim() !== lastModified) {
    return { kind: "full" };
  }
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(range);
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "full" };
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return { kind: "full" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", start, end };
}
