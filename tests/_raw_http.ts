/**
 * HTTP/1.1 over a raw TCP connection, for what `fetch` will not send: a forged `Host`, a body
 * that stalls, a connection cut mid-request.
 * @module
 */

/** A raw connection to 127.0.0.1:`port`. */
export interface RawConnection {
  /** Send text as is. */
  send(text: string): Promise<void>;
  /** Read until the peer closes or `until` matches what was read; resolves to all of it. */
  read(until?: RegExp): Promise<string>;
  close(): void;
}

/** Open a raw connection. */
export async function rawConnect(port: number): Promise<RawConnection> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const decoder = new TextDecoder();
  let closed = false;
  return {
    async send(text) {
      const bytes = new TextEncoder().encode(text);
      let at = 0;
      while (at < bytes.length) at += await conn.write(bytes.subarray(at));
    },
    async read(until) {
      let text = "";
      const buf = new Uint8Array(64 * 1024);
      while (!until?.test(text)) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) break;
        text += decoder.decode(buf.subarray(0, n), { stream: true });
      }
      return text;
    },
    close() {
      if (closed) return;
      closed = true;
      conn.close();
    },
  };
}

/** One request with exactly these header lines; resolves to the whole response text. */
export async function rawRequest(
  port: number,
  requestLine: string,
  headers: Record<string, string>,
): Promise<string> {
  const c = await rawConnect(port);
  try {
    const lines = Object.entries({ ...headers, connection: "close" })
      .map(([k, v]) => `${k}: ${v}\r\n`).join("");
    await c.send(`${requestLine}\r\n${lines}\r\n`);
    return await c.read();
  } finally {
    c.close();
  }
}
