/**
 * Serving the handler on a host and port: `Deno.serve` under Deno, `Bun.serve` under Bun, a
 * `node:http` adapter under Node.
 * @module
 */
import {
  abortWaits,
  createHandler,
  setDefaultPublicUrl,
  type StartupReport,
  type TinkerHandler,
} from "./handler.ts";
import { listenNode } from "./node_adapter.ts";
import type { ServerOptions } from "../options.ts";

/**
 * Options of {@link serve}: the handler's plus where to listen.
 *
 * @example
 * ```ts
 * import { serve } from "@tinkex/tinkex/server";
 * const server = await serve({ hostname: "0.0.0.0", port: 8080, dataDir: "./tinker-data" });
 * await server.close();
 * ```
 */
export interface ServeOptions extends ServerOptions {
  /** Interface to listen on (default `127.0.0.1`). */
  hostname?: string;
  /** Port (default 0: a free port). */
  port?: number;
}

/**
 * A server listening on a port.
 *
 * @example
 * ```ts
 * import { serve } from "@tinkex/tinkex/server";
 * const server = await serve();
 * const res = await fetch(`${server.baseUrl}/api/v1/healthz`);
 * console.log(await res.json(), server.port, server.apiKeys);
 * await server.close();
 * ```
 */
export interface RunningServer {
  /** Base URL to give clients, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** The port it listens on. */
  port: number;
  /** The API keys it accepts. */
  apiKeys: string[];
  /** Its data directory. */
  dataDir: string;
  /** What start-up reclaimed and warned about. */
  startup: StartupReport;
  /** The underlying handler. */
  handler: TinkerHandler;
  /** Stop listening and close the handler. */
  close(): Promise<void>;
}

interface Listener {
  port: number;
  close(): Promise<void>;
}

interface DenoLike {
  serve(
    options: { hostname: string; port: number; signal: AbortSignal; onListen: () => void },
    handler: (request: Request) => Promise<Response>,
  ): { addr: { port: number }; finished: Promise<void> };
}

interface BunLike {
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request) => Promise<Response>;
  }): { port: number; stop(closeActive?: boolean): Promise<void> | void };
}

/** Create a handler and serve it. */
export async function serve(options: ServeOptions = {}): Promise<RunningServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`Cannot serve: port must be an integer from 0 to 65535, got ${port}`);
  }
  const handler = await createHandler(options);
  let listener: Listener;
  try {
    listener = await listen(hostname, port, handler.fetch);
  } catch (e) {
    await handler.close();
    throw e;
  }
  const baseUrl = `http://${urlHost(hostname)}:${listener.port}`;
  setDefaultPublicUrl(handler, baseUrl);
  let closing: Promise<void> | undefined;
  return {
    baseUrl,
    port: listener.port,
    apiKeys: handler.apiKeys,
    dataDir: handler.dataDir,
    startup: handler.startup,
    handler,
    close(): Promise<void> {
      closing ??= (async () => {
        abortWaits(handler);
        await listener.close();
        await handler.close();
      })();
      return closing;
    },
  };
}

function listen(
  hostname: string,
  port: number,
  fetch: (request: Request) => Promise<Response>,
): Promise<Listener> {
  const g = globalThis as { Deno?: DenoLike; Bun?: BunLike };
  if (g.Deno?.serve) {
    const stop = new AbortController();
    const server = g.Deno.serve({ hostname, port, signal: stop.signal, onListen() {} }, fetch);
    return Promise.resolve({
      port: server.addr.port,
      close: async () => {
        stop.abort();
        await server.finished;
      },
    });
  }
  if (g.Bun?.serve) {
    const server = g.Bun.serve({ hostname, port, fetch });
    return Promise.resolve({ port: server.port, close: async () => await server.stop(true) });
  }
  return listenNode(hostname, port, fetch);
}

function urlHost(hostname: string): string {
  if (hostname === "0.0.0.0") return "127.0.0.1";
  if (hostname === "::") return "[::1]";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
