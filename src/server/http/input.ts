/**
 * Reading and validating request input: JSON bodies, fields, query parameters.
 * Malformed input is a 400, well-formed but invalid values a 422.
 * @module
 */
import type { AccessScope } from "../../protocol/types.ts";
import { badRequest, HttpError, unprocessable } from "./responses.ts";

/** A parsed JSON object body. */
export type JsonObject = Record<string, unknown>;

const MAX_BODY_BYTES = 1 << 20;

/** Parse the body as a JSON object; an empty body is `{}` unless `required`. */
export async function readJsonBody(request: Request, required = true): Promise<JsonObject> {
  const text = new TextDecoder().decode(await readCapped(request, MAX_BODY_BYTES));
  if (text.trim() === "") {
    if (required) throw badRequest("Request body is empty: expected a JSON object");
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw badRequest(`Request body is not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw badRequest("Request body must be a JSON object");
  }
  return value as JsonObject;
}

/** The body's bytes, refusing (413) past `max` bytes without reading the rest into memory. */
async function readCapped(request: Request, max: number): Promise<Uint8Array> {
  const tooLarge = () => new HttpError(413, `Request body is larger than ${max} bytes`);
  if (Number(request.headers.get("content-length") ?? 0) > max) throw tooLarge();
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of request.body) {
      size += chunk.length;
      if (size > max) throw tooLarge(); // leaving the loop cancels the rest of the body
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof HttpError) throw e;
    // The connection broke mid-body: the client's doing, not an internal error.
    throw badRequest("Request body ended early: the connection closed before it was complete");
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/** A required non-empty string field. */
export function stringField(body: JsonObject, name: string): string {
  const v = body[name];
  if (v === undefined || v === null) throw unprocessable(`Field "${name}" is required`);
  if (typeof v !== "string" || v === "") {
    throw unprocessable(`Field "${name}" must be a non-empty string, got ${describe(v)}`);
  }
  return v;
}

/** An optional string field (absent or null → undefined). */
export function optionalString(body: JsonObject, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") {
    throw unprocessable(`Field "${name}" must be a string, got ${describe(v)}`);
  }
  return v;
}

/** An optional boolean field with a default. */
export function boolField(body: JsonObject, name: string, fallback: boolean): boolean {
  const v = body[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean") {
    throw unprocessable(`Field "${name}" must be a boolean, got ${describe(v)}`);
  }
  return v;
}

/** An integer field within [min, max]; required unless `fallback` is given. */
export function intField(
  body: JsonObject,
  name: string,
  range: { min: number; max?: number; fallback?: number },
): number {
  const v = body[name];
  if (v === undefined || v === null) {
    if (range.fallback !== undefined) return range.fallback;
    throw unprocessable(`Field "${name}" is required`);
  }
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (typeof v !== "number" || !Number.isInteger(v) || v < range.min || v > max) {
    throw unprocessable(
      `Field "${name}" must be an integer from ${range.min} to ${max}, got ${describe(v)}`,
    );
  }
  return v;
}

/** An optional `{string: string}` map (absent or null → null). */
export function stringMapField(body: JsonObject, name: string): Record<string, string> | null {
  const v = body[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "object" || Array.isArray(v)) {
    throw unprocessable(`Field "${name}" must be an object of strings, got ${describe(v)}`);
  }
  for (const [k, item] of Object.entries(v)) {
    if (typeof item !== "string") {
      throw unprocessable(`Field "${name}.${k}" must be a string, got ${describe(item)}`);
    }
  }
  return { ...(v as Record<string, string>) };
}

/** An optional array of strings (absent or null → []). */
export function stringArrayField(body: JsonObject, name: string): string[] {
  const v = body[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((t) => typeof t !== "string")) {
    throw unprocessable(`Field "${name}" must be an array of strings, got ${describe(v)}`);
  }
  return [...v] as string[];
}

/** If the body carries `type`, it must be `expected`. */
export function checkType(body: JsonObject, expected: string): void {
  if (body.type !== undefined && body.type !== expected) {
    throw unprocessable(`Field "type" must be "${expected}", got ${describe(body.type)}`);
  }
}

/** An integer query parameter within [min, max], or its default. */
function intQuery(
  url: URL,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return fallback;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw badRequest(
      `Query parameter "${name}" must be an integer from ${min} to ${max}, got "${raw}"`,
    );
  }
  return n;
}

/** Page parameters: `limit` in 1..1000 (default given) and `offset` ≥ 0. */
export function pageQuery(url: URL, defaultLimit: number): { limit: number; offset: number } {
  return {
    limit: intQuery(url, "limit", defaultLimit, 1, 1000),
    offset: intQuery(url, "offset", 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

/** The `access_scope` query parameter: `owned` (default) or `accessible`. */
export function scopeQuery(url: URL): AccessScope {
  const raw = url.searchParams.get("access_scope");
  if (raw === null || raw === "" || raw === "owned") return "owned";
  if (raw === "accessible") return "accessible";
  throw badRequest(`Query parameter "access_scope" must be "owned" or "accessible", got "${raw}"`);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}
