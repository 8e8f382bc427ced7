/**
 * Keeping secrets out of errors: the API key, secret config headers and the query values of
 * signed URLs are cut from messages, error bodies echoed by a server, and every `cause` of
 * the chain (messages and stacks alike), before an error is built.
 * @module
 */
import { redactUrl } from "../errors.ts";

/** What stands in for a secret. */
const HIDDEN = "***"; // as the CLI shows a redacted key
/** Shorter values are not treated as secrets (they would cut ordinary words out of text). */
const MIN_SECRET_LENGTH = 4;
/** Header names whose values are credentials. */
const SECRET_HEADER = /key|secret|token|auth|cookie|signature|password/i;
/** How deep a cause chain or a body is followed. */
const MAX_DEPTH = 8;

/** Replaces known secret strings (and secret URL parameters) in text, bodies and errors. */
export class Redactor {
  readonly #secrets: string[];

  /** A redactor for these secrets (undefined and too short values are ignored). */
  constructor(secrets: Iterable<string | undefined>) {
    const list = [...secrets].filter((s): s is string =>
      typeof s === "string" && s.length >= MIN_SECRET_LENGTH
    );
    // Longest first, so a secret containing another is cut whole.
    this.#secrets = [...new Set(list)].sort((a, b) => b.length - a.length);
  }

  /** A redactor that also knows `more`. */
  with(more: Iterable<string | undefined>): Redactor {
    return new Redactor([...this.#secrets, ...more]);
  }

  /** Text without any known secret or secret URL parameter. */
  text(text: string): string {
    let out = text;
    for (const s of this.#secrets) out = out.split(s).join(HIDDEN);
    return redactUrl(out);
  }

  /** A copy of a parsed body (JSON or text) with every string redacted. */
  value(value: unknown, depth = 0): unknown {
    if (typeof value === "string") return this.text(value);
    if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
    if (Array.isArray(value)) return value.map((v) => this.value(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[this.text(k)] = this.value(v, depth + 1);
    return out;
  }

  /**
   * A stand-in for an error to use as a `cause`: same name, redacted message and stack, and a
   * redacted cause of its own. Platform errors (e.g. a fetch `TypeError` naming the signed
   * URL) are never kept as they are.
   */
  cause(error: unknown, depth = 0): unknown {
    if (!(error instanceof Error)) return this.value(error);
    const copy: Error & { code?: string } = new Error(this.text(error.message));
    copy.name = error.name;
    // The system code (ECONNREFUSED, ENOTFOUND, …) says what failed and holds no secret.
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") copy.code = code;
    copy.stack = error.stack === undefined ? undefined : this.text(error.stack);
    if (error.cause !== undefined && depth < MAX_DEPTH) {
      copy.cause = this.cause(error.cause, depth + 1);
    }
    return copy;
  }
}

/** The values of headers that carry credentials (`X-API-Key`, `CF-Access-Client-Secret`, …). */
export function secretHeaderValues(headers: Headers | Record<string, string>): string[] {
  const entries = headers instanceof Headers ? [...headers] : Object.entries(headers);
  return entries.filter(([name]) => SECRET_HEADER.test(name)).map(([, value]) => value);
}

/** The query values of a (signed) URL: each may be part of a signature. */
export function urlSecrets(url: string): string[] {
  try {
    return [...new URL(url).searchParams.values()];
  } catch {
    return [];
  }
}

/**
 * A signed URL as errors show it: origin and path, its query (where signatures live, under
 * names no list can foresee) cut to `?…`; for a scheme that is not http(s) (`data:`,
 * `javascript:`, …) only the scheme, since the rest may be the payload itself.
 */
export function shownUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:" && u.protocol !== "file:") {
      return `${u.protocol}…`;
    }
    return `${u.protocol === "file:" ? "file://" : u.origin}${u.pathname}${u.search ? "?…" : ""}`;
  } catch {
    return "(signed URL)";
  }
}
