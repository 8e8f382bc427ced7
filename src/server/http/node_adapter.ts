/**
 * Serving a web-standard handler with `node:http` (for Node, which has no `Deno.serve` /
 * `Bun.serve`): IncomingMessage → Request, Response → ServerResponse with backpressure.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { logInternalError, newRequestId } from "./failures.ts";

/** A listening node:http server. */
export interface NodeListener {
  port: number;
  close(): Promise<void>;
}

/** Listen on `hostname:port` and answer with `fetch`. */
export function listenNode(
  hostname: string,
  port: number,
  fetch: (request: Request) => Promise<Response>,
): Promise<NodeListener> {
  const server = createServer((req, res) => {
    void answer(req, res, fetch);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }),
      });
    });
  });
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  fetch: (request: Request) => Promise<Response>,
): Promise<void> {
  const abort = new AbortController();
  res.on("close", () => abort.abort());
  try {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const method = req.method ?? "GET";
    const hasBody = method !== "GET" && method !== "HEAD";
    const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
      method,
      headers,
      signal: abort.signal,
      body: hasBody ? Readable.toWeb(req) as unknown as ReadableStream<Uint8Array> : undefined,
      ...(hasBody ? { duplex: "half" } : {}),
    } as RequestInit);
    const response = await fetch(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return void res.end();
    for await (const chunk of response.body) {
      if (abort.signal.aborted) break;
      if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
    }
    res.end();
  } catch (e) {
    // The handler answers every failure itself; what is left is a client that went away
    // (nothing to log) or a broken stream, answered without its (internal) text.
    if (abort.signal.aborted) return void res.destroy();
    const requestId = newRequestId();
    logInternalError(requestId, `${req.method} ${req.url?.split("?")[0]}`, e);
    if (res.headersSent) return void res.destroy();
    res.writeHead(500, { "content-type": "application/json", "x-request-id": requestId });
    res.end(
      JSON.stringify({ detail: `Internal server error; logged under request id ${requestId}` }),
    );
  }
}
