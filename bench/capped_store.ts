/**
 * A store that caps each connection's rate and adds latency to the first byte, as object stores
 * do (`bench/` only). It is a TCP proxy in its own process in front of the benchmark server
 * (started with `publicUrl` pointing at the proxy, so signed URLs lead through it):
 * every request waits `--latency-ms` before it is passed on, and each connection's responses
 * are paced to `--rate-mib` MiB/s. Prints `{ "port": n }` once listening; runs until stdin
 * closes.
 *
 * ```sh
 * deno run -A bench/capped_store.ts --target 8080 --rate-mib 32 --latency-ms 30
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { spawnAnnounced } from "./proc.ts";

/** A running capped store. */
export interface CappedStore {
  /** Base URL of the proxy (same paths as the server behind it). */
  baseUrl: string;
  /** Stop it. */
  close(): Promise<void>;
}

/** Options of {@link startCappedStore}. */
export interface CappedStoreOptions {
  /** Port of the server behind it on 127.0.0.1. */
  targetPort: number;
  /** Most bytes per second per connection (MiB/s). */
  rateMiB: number;
  /** Delay before each request reaches the server, in ms. */
  latencyMs: number;
  /** Port to listen on (default: any free one). */
  port?: number;
}

/** A free port on 127.0.0.1 right now (for a store the server must know before it starts). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Start the capped store in its own process. */
export async function startCappedStore(opts: CappedStoreOptions): Promise<CappedStore> {
  const child = await spawnAnnounced<{ port: number }>([
    "run",
    "-A",
    new URL(import.meta.url).pathname,
    "--target",
    String(opts.targetPort),
    "--rate-mib",
    String(opts.rateMiB),
    "--latency-ms",
    String(opts.latencyMs),
    "--port",
    String(opts.port ?? 0),
  ], "the capped store");
  return { baseUrl: `http://127.0.0.1:${child.info.port}`, close: child.close };
}

/** Credit a connection may bank, in ms of its rate: makes up for timers that oversleep. */
const MAX_CREDIT_MS = 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

/** Proxy one connection: requests delayed, responses paced. */
async function relay(
  client: Deno.Conn,
  targetPort: number,
  bytesPerMs: number,
  latencyMs: number,
): Promise<void> {
  let server: Deno.Conn;
  try {
    server = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
  } catch {
    client.close();
    return;
  }
  const close = (): void => {
    for (const c of [client, server]) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
  };
  const up = async (): Promise<void> => {
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await client.read(buf);
      if (n === null) return;
      await sleep(latencyMs);
      await writeAll(server, buf.subarray(0, n));
    }
  };
  const down = async (): Promise<void> => {
    const buf = new Uint8Array(64 * 1024);
    // Paced: an idle connection earns at most MAX_CREDIT_MS of burst (timers oversleep).
    let due = 0;
    for (;;) {
      const n = await server.read(buf);
      if (n === null) return;
      await writeAll(client, buf.subarray(0, n));
      due = Math.max(due, performance.now() - MAX_CREDIT_MS) + n / bytesPerMs;
      const wait = due - performance.now();
      if (wait >= 1) await sleep(wait);
    }
  };
  await Promise.race([up(), down()]).catch(() => {});
  close();
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      target: { type: "string" },
      "rate-mib": { type: "string", default: "32" },
      "latency-ms": { type: "string", default: "30" },
      port: { type: "string", default: "0" },
    },
  });
  const targetPort = Number(values.target);
  const bytesPerMs = (Number(values["rate-mib"]) * 2 ** 20) / 1000;
  const latencyMs = Number(values["latency-ms"]);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: Number(values.port) });
  console.log(JSON.stringify({ port: (listener.addr as Deno.NetAddr).port }));
  (async () => {
    for await (const _ of Deno.stdin.readable) { /* until EOF */ }
    Deno.exit(0);
  })();
  for await (const conn of listener) void relay(conn, targetPort, bytesPerMs, latencyMs);
}
