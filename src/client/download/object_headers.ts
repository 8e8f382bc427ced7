/**
 * What an object store's response headers say about the object (internal): its validator,
 * length, byte range and digest.
 * @module
 */

/** A strong ETag, else Last-Modified: what `If-Range` may carry. */
export function validatorOf(headers: Headers): string | undefined {
  const etag = headers.get("etag");
  if (etag && !etag.startsWith("W/")) return etag;
  return headers.get("last-modified") ?? undefined;
}

/** `Content-Length` of an unencoded body, when it is a plain number. */
export function contentLength(headers: Headers): number | undefined {
  const encoding = headers.get("content-encoding");
  if (encoding && encoding !== "identity") return undefined; // length of the encoded bytes
  const raw = headers.get("content-length");
  if (raw === null || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw);
}

/** A parsed `Content-Range: bytes start-end/total` (`total` undefined for `*`). */
export interface ContentRange {
  /** First byte sent. */
  start: number;
  /** Last byte sent (inclusive). */
  end: number;
  /** Size of the whole object, when the server says. */
  total?: number;
}

/** Parse `Content-Range`, or undefined when absent or malformed. */
export function parseContentRange(raw: string | null): ContentRange | undefined {
  const m = raw?.trim().match(/^bytes (\d+)-(\d+)\/(\d+|\*)$/);
  if (!m) return undefined;
  return {
    start: Number(m[1]),
    end: Number(m[2]),
    total: m[3] === "*" ? undefined : Number(m[3]),
  };
}

/**
 * The whole-object digest a store announces, as `algorithm=base64`: RFC 9530 `Repr-Digest`
 * (`sha-256=:…:`) or GCS `x-goog-hash` (`crc32c=…,md5=…`). Undefined when none is sent.
 */
export function objectDigestOf(headers: Headers): string | undefined {
  const repr = headers.get("repr-digest");
  if (repr) {
    const parts = repr.split(",").map((p) => p.trim().match(/^([\w-]+)=:([A-Za-z0-9+/=]+):$/));
    const best = parts.find((m) => m?.[1].toLowerCase() === "sha-256") ?? parts.find((m) => m);
    if (best) return `${best[1].toLowerCase()}=${best[2]}`;
  }
  const goog = headers.get("x-goog-hash");
  if (goog) {
    const parts = goog.split(",").map((p) => p.trim().match(/^(\w+)=([A-Za-z0-9+/=]+)$/));
    const best = parts.find((m) => m?.[1] === "md5") ?? parts.find((m) => m);
    if (best) return `${best[1]}=${best[2]}`;
  }
  return undefined;
}
