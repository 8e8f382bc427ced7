/**
 * Signed object URLs: the query (`expires`, `user`, `sig`) of a URL the server hands out, and the
 * check of a request made with one (403 when unsigned, altered or expired). The user is signed
 * so that the route can check again, when the URL is used, that this user may still read.
 * @module
 */
import type { UrlSigner } from "./url_signing.ts";
import { HttpError } from "../http/responses.ts";

/** The query that signs access to `objectId` for `user` until `expires` (unix seconds). */
export async function signedQuery(
  signer: UrlSigner,
  grant: { objectId: string; expires: number; user: string },
): Promise<string> {
  const sig = await signer.sign(grant);
  return new URLSearchParams({ expires: String(grant.expires), user: grant.user, sig })
    .toString();
}

/** What a URL gives access to, for messages. */
export interface SignedWhat {
  /** `Archive URL`, `File URL`. */
  label: string;
  /** Where a fresh URL comes from, e.g. `the archive endpoint`. */
  source: string;
}

/**
 * Check the signature of a request's URL for `objectId`; resolves to the user it was issued to,
 * or throws a 403 saying what is wrong.
 */
export async function checkSignedQuery(
  signer: UrlSigner,
  url: URL,
  objectId: string,
  what: SignedWhat,
): Promise<string> {
  const query = url.searchParams;
  const expiresRaw = query.get("expires") ?? "";
  const sig = query.get("sig") ?? "";
  const user = query.get("user") ?? "";
  if (!/^\d{1,12}$/.test(expiresRaw) || sig === "" || user === "") {
    throw new HttpError(403, `${what.label} is not signed: get a signed URL from ${what.source}`);
  }
  const expires = Number(expiresRaw);
  if (!(await signer.verify({ objectId, expires, user }, sig))) {
    throw new HttpError(403, `${what.label} signature does not match: the URL was altered`);
  }
  if (expires * 1000 <= Date.now()) {
    throw new HttpError(
      403,
      `${what.label} expired at ${new Date(expires * 1000).toISOString()}: get a new one`,
    );
  }
  return user;
}
