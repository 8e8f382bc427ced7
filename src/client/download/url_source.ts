/**
 * Where an archive stream's signed URL comes from, when not from the checkpoint's archive URL:
 * the download of an external checkpoint lends one source per file (its entry of
 * `external_weights_urls`), as the `urlSource` dependency of the archive stream.
 * @module
 */

/** A signed URL and its expiry (ISO 8601). */
export interface SignedUrl {
  /** The pre-signed URL. */
  url: string;
  /** When it expires. */
  expires: string;
}
