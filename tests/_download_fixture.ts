/**
 * A hostile archive host for download tests, on 127.0.0.1 port 0: the API's archive endpoint
 * answers 302 to a signed blob URL served with Content-Length, ETag and Range support, and it
 * can be told to misbehave (ignore Range, expire URLs, stall, fail, change the archive). Blob
 * URLs can go through a TCP proxy that really cuts connections after N bytes.
 */
import type { TinkerConfig } from "../mod.ts";

export const API_KEY = "tml-download-fixture-secret";
export const TINKER_PATH = "tinker://sess-1:train:0/weights/ckpt-1";
export const DIR_NAME = "sess-1:train:0_weights_ckpt-1";

/** Where the archive bytes come from: a buffer, or a lazy generator for huge archives. */
export type ArchiveSource =
  | Uint8Array
  | { size: number; stream: (start: number) => ReadableStream<Uint8Array> };

export interface FixtureOptions {
  archive: ArchiveSource;
  /** Answer every Range request with 200 and the whole archive. */
  ignoreRange?: boolean;
  /** A signed URL works for one request only; later ones get 403 (it "expired"). */
  urlsWorkOnce?: boolean;
  /** Blob request i sends stallAfter[i] body bytes, then nothing (connection stays open). */
  stallAfter?: (number | undefined)[];
  /** Called when a stalling response has sent its bytes and stops. */
  onStall?: () => void;
  /** Blob request i answers this status with a JSON error body. */
  failStatus?: (number | undefined)[];
  /** Every blob request sees a new ETag: the archive "changed" on the server. */
  changingEtag?: boolean;
  /** Blob connection i (through the proxy) is cut after cuts[i] bytes sent to the client. */
  cuts?: (number | undefined)[];
}

export interface BlobRequest {
  url: string;
  range: string | null;
  ifRange: string | null;
  hadApiKey: boolean;
  status: number;
}

export interface Fixture {
  baseUrl: string;
  config: TinkerConfig;
  /** The archive-URL calls made to the API. */
  archiveRequests: number;
  blobRequests: BlobRequest[];
  close(): Promise<void>;
}

function sizeOf(src: ArchiveSource): number {
  return src instanceof Uint8Array ? src.length : src.size;
}

function bodyFrom(src: ArchiveSource, start: number): ReadableStream<Uint8Array> {
  if (!(src instanceof Uint8Array)) return src.stream(start);
  const bytes = src.subarray(start);
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      const n = Math.min(16 * 1024, bytes.length - at);
      c.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}

/** Pass `limit` bytes of `body`, then hold the connection open without sending more. */
function stalling(
  body: ReadableStream<Uint8Array>,
  limit: number,
  onStall?: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let sent = 0;
  return new ReadableStream({
    async pull(c) {
      if (sent >= limit) {
        onStall?.();
        return await new Promise<void>(() => {}); // never more data
      }
      const { done, value } = await reader.read();
      if (done) return c.close();
      const part = value.subarray(0, limit - sent);
      sent += part.length;
      c.enqueue(part);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  const text = JSON.stringify(body);
  return new Response(text, {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

export function startFixture(opts: FixtureOptions): Fixture {
  const size = sizeOf(opts.archive);
  const usedSigs = new Set<string>();
  const blobRequests: BlobRequest[] = [];
  let issued = 0;
  let proxy: CuttingProxy | undefined;
  const state = { archiveRequests: 0 };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    if (
      /^\/api\/v1\/training_runs\/[^/]+\/checkpoints\/[^/]+\/[^/]+\/archive$/.test(url.pathname)
    ) {
      state.archiveRequests++;
      if (req.headers.get("x-api-key") !== API_KEY) return jsonResponse(401, { detail: "bad key" });
      const n = issued++;
      const origin = proxy ? `http://127.0.0.1:${proxy.port}` : url.origin;
      return new Response(null, {
        status: 302,
        headers: {
          location: `${origin}/blob/${n}?exp=9999999999&sig=SECRET-SIGNATURE-${n}`,
          expires: new Date(Date.now() + 15 * 60_000).toUTCString(),
        },
      });
    }
    const m = url.pathname.match(/^\/blob\/(\d+)$/);
    if (m && req.method === "GET") return serveBlob(req, url);
    return jsonResponse(404, { detail: "not found" });
  });

  function serveBlob(req: Request, url: URL): Response {
    const i = blobRequests.length;
    const rec: BlobRequest = {
      url: url.href,
      range: req.headers.get("range"),
      ifRange: req.headers.get("if-range"),
      hadApiKey: req.headers.has("x-api-key"),
      status: 0,
    };
    blobRequests.push(rec);
    const sig = url.searchParams.get("sig") ?? "";
    if (opts.urlsWorkOnce && usedSigs.has(sig)) {
      rec.status = 403;
      return jsonResponse(403, { error: "Request has expired" });
    }
    usedSigs.add(sig);
    const fail = opts.failStatus?.[i];
    if (fail !== undefined) {
      rec.status = fail;
      return jsonResponse(fail, { error: "injected failure" });
    }
    const etag = opts.changingEtag ? `"v${i}"` : `"v0"`;
    const common = { etag, "accept-ranges": "bytes", "content-type": "application/x-tar" };
    const range = rec.range?.match(/^bytes=(\d+)-$/);
    const rangeOk = range && !opts.ignoreRange && (rec.ifRange === null || rec.ifRange === etag);
    const start = rangeOk ? Number(range[1]) : 0;
    if (start > size || (start === size && size > 0)) {
      rec.status = 416;
      return jsonResponse(416, { error: "range not satisfiable" });
    }
    let body = bodyFrom(opts.archive, start);
    const stall = opts.stallAfter?.[i];
    if (stall !== undefined) body = stalling(body, stall, opts.onStall);
    rec.status = rangeOk ? 206 : 200;
    return new Response(body, {
      status: rec.status,
      headers: {
        ...common,
        "content-length": String(size - start),
        ...(rangeOk ? { "content-range": `bytes ${start}-${size - 1}/${size}` } : {}),
      },
    });
  }

  const baseUrl = `http://127.0.0.1:${server.addr.port}`;
  if (opts.cuts) proxy = startCuttingProxy(server.addr.port, opts.cuts);
  return {
    baseUrl,
    config: { apiKey: API_KEY, baseUrl, retryInitialDelayMs: 1, retryMaxDelayMs: 5 },
    get archiveRequests() {
      return state.archiveRequests;
    },
    blobRequests,
    async close() {
      await proxy?.close();
      await server.shutdown();
    },
  };
}

export interface CuttingProxy {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy to 127.0.0.1:`targetPort` (or the port it returns when a connection comes, for a
 * server started after the proxy). Connection i is closed (both ways) once `cuts[i]` bytes
 * went from the server to the client: a real cut in the middle of a response.
 */
export function startCuttingProxy(
  targetPort: number | (() => number),
  cuts: (number | undefined)[],
): CuttingProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const tasks: Promise<void>[] = [];
  let accepted = 0;
  const closeQuietly = (c: Deno.Conn) => {
    if (!open.delete(c)) return;
    try {
      c.close();
    } catch {
      // already closed
    }
  };
  const handle = async (client: Deno.Conn, limit: number | undefined) => {
    open.add(client);
    let server: Deno.Conn;
    try {
      server = await Deno.connect({
        hostname: "127.0.0.1",
        port: typeof targetPort === "number" ? targetPort : targetPort(),
      });
    } catch {
      closeQuietly(client);
      return;
    }
    open.add(server);
    const up = (async () => {
      const buf = new Uint8Array(64 * 1024);
      try {
        for (;;) {
          const n = await client.read(buf);
          if (n === null) break;
          await writeAll(server, buf.subarray(0, n));
        }
      } catch {
        // either side went away
      }
      closeQuietly(server);
      closeQuietly(client);
    })();
    const down = (async () => {
      const buf = new Uint8Array(64 * 1024);
      let sent = 0;
      try {
        for (;;) {
          const n = await server.read(buf);
          if (n === null) break;
          const allowed = limit === undefined ? n : Math.min(n, limit - sent);
          await writeAll(client, buf.subarray(0, allowed));
          sent += allowed;
          if (limit !== undefined && sent >= limit) break;
        }
      } catch {
        // either side went away
      }
      closeQuietly(client);
      closeQuietly(server);
    })();
    await Promise.all([up, down]);
  };
  const acceptLoop = (async () => {
    try {
      for await (const conn of listener) {
        tasks.push(handle(conn, cuts[accepted++]));
      }
    } catch {
      // listener closed
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get connections() {
      return accepted;
    },
    async close() {
      listener.close();
      await acceptLoop;
      for (const c of [...open]) closeQuietly(c);
      await Promise.all(tasks);
    },
  };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}
