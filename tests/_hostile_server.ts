/**
 * A hostile archive host on 127.0.0.1, port 0: the API's archive endpoint answers 302 to a blob
 * URL whose body is whatever the test makes (endless, trickling, a bomb), with the headers the
 * test gives (no Content-Length: chunked). Records how many blob requests came and whether
 * their bodies were cancelled (the client hung up).
 */
import type { TinkerConfig } from "../mod.ts";

export const HOSTILE_PATH = "tinker://sess-1:train:0/weights/ckpt-1";
export const HOSTILE_DIR = "sess-1:train:0_weights_ckpt-1";

export interface HostileOptions {
  /** The blob body for request i. */
  body: (i: number) => ReadableStream<Uint8Array>;
  /** Headers of blob responses (default: an ETag, no Content-Length). */
  headers?: Record<string, string>;
}

export interface HostileServer {
  config: TinkerConfig;
  /** Blob requests received. */
  readonly blobRequests: number;
  /** Blob bodies the client stopped reading. */
  readonly cancelled: number;
  close(): Promise<void>;
}

export function startHostile(opts: HostileOptions): HostileServer {
  const state = { blobRequests: 0, cancelled: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname.endsWith("/archive")) {
      return new Response(null, { status: 302, headers: { location: `${url.origin}/blob?sig=s` } });
    }
    const inner = opts.body(state.blobRequests++).getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        const { done, value } = await inner.read();
        if (done) c.close();
        else c.enqueue(value);
      },
      cancel(reason) {
        state.cancelled++;
        return inner.cancel(reason);
      },
    });
    return new Response(body, { headers: opts.headers ?? { etag: `"v1"` } });
  });
  const baseUrl = `http://127.0.0.1:${server.addr.port}`;
  return {
    config: { apiKey: "tml-hostile-test", baseUrl, retryInitialDelayMs: 1, retryMaxDelayMs: 5 },
    get blobRequests() {
      return state.blobRequests;
    },
    get cancelled() {
      return state.cancelled;
    },
    close: () => server.shutdown(),
  };
}

/** `head`, then chunks from `next` forever (each after `delayMs`), until cancelled. */
export function endless(
  head: Uint8Array,
  next: () => Uint8Array,
  delayMs = 0,
): ReadableStream<Uint8Array> {
  let sentHead = false;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      if (!sentHead) {
        sentHead = true;
        c.enqueue(head);
        return;
      }
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      c.enqueue(next());
    },
  }, { highWaterMark: 0 });
}

/** Gzip a stream of `head` followed by `zeros` zero bytes, made chunk by chunk. */
export async function gzipWithZeros(
  head: Uint8Array<ArrayBuffer>,
  zeros: number,
): Promise<Uint8Array> {
  const chunk = new Uint8Array(1024 * 1024);
  let left = zeros;
  let sentHead = false;
  const source = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(c) {
      if (!sentHead) {
        sentHead = true;
        return c.enqueue(head);
      }
      if (left <= 0) return c.close();
      const n = Math.min(left, chunk.length);
      left -= n;
      c.enqueue(chunk.subarray(0, n));
    },
  });
  const gz = source.pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(gz).arrayBuffer());
}
