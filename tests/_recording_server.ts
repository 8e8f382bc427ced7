import type { TinkerConfig } from "../mod.ts";

/**
 * A test HTTP server on 127.0.0.1 that records every request and answers from a script,
 * so client tests can assert the exact wire traffic and produce faults for real.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Headers;
  body: string;
}

export type Responder = (req: RecordedRequest, index: number) => Response | Promise<Response>;

export interface RecordingServer {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Replace the responder. */
  respond(fn: Responder): void;
  close(): Promise<void>;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

export function startRecordingServer(responder: Responder = () => json({})): RecordingServer {
  let current = responder;
  const requests: RecordedRequest[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      const rec: RecordedRequest = {
        method: request.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: request.headers,
        body: await request.text(),
      };
      requests.push(rec);
      return await current(rec, requests.length - 1);
    },
  );
  return {
    baseUrl: `http://127.0.0.1:${server.addr.port}`,
    requests,
    respond(fn) {
      current = fn;
    },
    async close() {
      await server.shutdown();
    },
  };
}

/** A config pointing at the server, with tiny backoff so retry tests are quick. */
export function testConfig(
  baseUrl: string,
  extra: Record<string, unknown> = {},
): TinkerConfig {
  return {
    apiKey: "tml-test-secret-key",
    baseUrl,
    retryInitialDelayMs: 1,
    retryMaxDelayMs: 5,
    ...extra,
  };
}
