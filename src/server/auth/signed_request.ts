/**
 * Signed object URLs: the `expires` and `sig` query of a URL the server hands out, and the check
 * of a request made with one (403 when unsigned, altered or expired).
 * @module
 */
import type { UrlSigner } from "./url_signing.ts";
import { HttpError } from "../http/responses.ts";

/** The query (`expires=…&sig=…`) that signs access to `signedId` until `expires` (unix s). */
export async function signedQuery(
  signer: UrlSigner,
  signedId: string,
  expires: number,
): Promise<string> {
  return `expires=${expires}&sig=${await signer.sign(signedId, expires)}`;
}

/** What a URL gives access to, for messages: `Archive` and where to get a new one. */
export interface SignedWhat {
  /** `Archive URL`, `File URL`. */
  label: string;
  /** Where a fresh URL comes from, e.g. `the archive endpoint`. */
  source: string;
}

/** Check the signature of a request's URL for `signedId`; a 403 saying what is wrong. */
export async function checkSignedQuery(
  signer: UrlSigner,
  url: URL,
  signedId: string,
  what: SignedWhat,
): Promise<void> {
  const expiresRaw = url.searchParams.get("expires") ?? "";
  const sig = url.searchParams.get("sig") ?? "";
  if (!/^\d{1,12}$/.test(expiresRaw) || sig === "") {
    throw new HttpError(403, `${what.label} is not signed: get a signed URL from ${what.source}`);
  }
  const expires = Number(expiresRaw);
  if (!(await signer.verify(signedId, expires, sig))) {
    throw new HttpError(403, `${what.label} signature does not match: the URL was altered`);
  }
  if (expires * 1000 <= Date.now()) {
    throw new HttpError(
      403,
      `${what.label} expired at ${new Date(expires * 1000).toISOString()}: get a new one`,
    );
  }
}
