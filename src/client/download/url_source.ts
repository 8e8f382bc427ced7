/**
 * An internal option of `openArchiveStream`: where the signed URL comes from. By default it is
 * the checkpoint's archive URL; the download of an external checkpoint lends one source per file
 * (its entry of `external_weights_urls`), so every file gets the same resumable, verified stream.
 * @module
 */

/** A signed URL and its expiry (ISO 8601). */
export interface SignedUrl {
  /** The pre-signed URL. */
  url: string;
  /** When it expires. */
  expires: string;
}

/** The option key (a symbol, so it is not part of the public options). */
export const URL_SOURCE: unique symbol = Symbol("tinkex.urlSource");

/** Options that may carry a URL source. */
export interface UrlSourceOptions {
  /** Called for the first URL and for each fresh one (after an expiry or a 403). */
  [URL_SOURCE]?: () => Promise<SignedUrl>;
}
