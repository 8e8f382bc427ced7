/**
 * Telling apart connection failures that retrying cannot fix — nothing listening on this
 * machine, a host name that does not resolve — from transient ones, in any runtime (Deno,
 * Node's undici and Bun word them differently, often in a nested `cause`).
 * @module
 */

/** What a failed connection attempt ran into. */
export type ConnectionFailureKind =
  /** The host answered that nothing listens on the port (`ECONNREFUSED`). */
  | "refused"
  /** The host name does not resolve (`ENOTFOUND`); a temporary DNS failure is `other`. */
  | "unresolvable"
  /** Anything else: a reset, a timeout, a temporary DNS failure… */
  | "other";

/** A connection failure, classified, with the most specific text its cause chain has. */
export interface ConnectionFailure {
  /** What kind of failure it was. */
  kind: ConnectionFailureKind;
  /** The innermost message, e.g. `connect ECONNREFUSED 127.0.0.1:8080`; empty when none. */
  detail: string;
}

/** Refused on this machine: it may be starting up, so a few quick retries, about 1 s in all. */
export const LOCAL_REFUSED_RETRY_DELAYS_MS: readonly number[] = [250, 600];

const REFUSED = /ECONNREFUSED|connection refused/i;
const UNRESOLVABLE =
  /ENOTFOUND|name or service not known|no address associated|nodename nor servname|failed to lookup address|could not resolve host/i;
const TEMPORARY_DNS = /EAI_AGAIN|temporary failure in name resolution/i;

/** Classify a fetch failure by the codes and messages of its cause chain. */
export function classifyConnectionFailure(error: unknown): ConnectionFailure {
  const texts = causeChain(error).flatMap((e) => {
    const { code, message } = e as { code?: unknown; message?: unknown };
    return [code, message].filter((v): v is string => typeof v === "string" && v !== "");
  });
  const all = texts.join("\n");
  const detail = innermostMessage(error);
  if (REFUSED.test(all)) return { kind: "refused", detail };
  if (UNRESOLVABLE.test(all) && !TEMPORARY_DNS.test(all)) return { kind: "unresolvable", detail };
  return { kind: "other", detail };
}

/** Whether `url` points at this machine (localhost, 127.0.0.0/8, ::1). */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === "localhost" || host.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === "[::1]";
}

/**
 * How a failed attempt changes the retry plan: `undefined` keeps the usual backoff; otherwise
 * give up now, or retry after `delayMs`. A refused connection to this machine gets a second's
 * grace (a server starting up), an unresolvable host none: neither heals by waiting 15 s.
 */
export function fastFailure(
  error: unknown,
  url: string,
  retry: number,
): { giveUp: true } | { giveUp: false; delayMs: number } | undefined {
  const { kind } = classifyConnectionFailure(error);
  if (kind === "unresolvable") return { giveUp: true };
  if (kind !== "refused" || !isLoopbackUrl(url)) return undefined;
  const delayMs = LOCAL_REFUSED_RETRY_DELAYS_MS[retry];
  return delayMs === undefined ? { giveUp: true } : { giveUp: false, delayMs };
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  const visit = (e: unknown, depth: number) => {
    if (e === null || e === undefined || depth > 6 || chain.includes(e)) return;
    chain.push(e);
    const { cause, errors } = e as { cause?: unknown; errors?: unknown };
    if (Array.isArray(errors)) { for (const inner of errors.slice(0, 4)) visit(inner, depth + 1); }
    visit(cause, depth + 1);
  };
  visit(error, 0);
  return chain;
}

/** The message of the deepest cause, without Deno's "error sending request for url (…):". */
function innermostMessage(error: unknown): string {
  const messages = causeChain(error)
    .map((e) => (e as { message?: unknown }).message)
    .filter((m): m is string => typeof m === "string" && m !== "" && m !== "fetch failed");
  const last = messages.at(-1) ?? "";
  // Deno's wording names the URL (a signed one carries its signature): keep only the cause.
  const afterUrl = last.startsWith("error sending request") && last.includes("): ")
    ? last.slice(last.indexOf("): ") + 3)
    : last;
  return afterUrl.replace(/^client error \([^)]*\): /, "");
}
