/**
 * A local Tinker-compatible server: the management API, signed archive downloads and the
 * training-state futures of the hosted service, over a data directory on disk. Use it to
 * develop and test offline, in tests (port 0), or from the command line
 * (`tinkex serve --data ./data --seed`).
 *
 * This entry point uses the file system (`node:fs`); the web-standard client lives in `mod.ts`.
 *
 * @example
 * ```ts
 * import { serve } from "@tinkex/tinkex/server";
 * const server = await serve({ port: 0, seed: true });
 * const res = await fetch(`${server.baseUrl}/api/v1/checkpoints`, {
 *   headers: { "X-API-Key": server.apiKeys[0] },
 * });
 * console.log((await res.json()).checkpoints.length);
 * await server.close();
 * ```
 * @module
 */
import {
  contextOf,
  createHandler as create,
  type StartupReport,
  type TinkerHandler,
} from "./src/server/http/handler.ts";
import type { SeedOptions, ServerOptions } from "./src/server/options.ts";
import {
  seedCheckpoints as seedInto,
  type SeedCheckpointsOptions,
  type SeedCheckpointsResult,
} from "./src/server/seed.ts";
import {
  type RunningServer,
  serve as serveHandler,
  type ServeOptions,
} from "./src/server/http/listen.ts";

export type {
  RunningServer,
  SeedCheckpointsOptions,
  SeedCheckpointsResult,
  SeedOptions,
  ServeOptions,
  ServerOptions,
  StartupReport,
  TinkerHandler,
};
export { DEFAULT_API_KEY } from "./src/server/options.ts";

/**
 * Create the web-standard handler over a data directory (a temp one, removed by `close()`,
 * when `dataDir` is not given). Mount it in any server that speaks `Request`/`Response` under
 * Deno, Node or Bun; it needs their file system, so not in browsers or edge runtimes.
 *
 * @example
 * ```ts
 * import { createHandler } from "@tinkex/tinkex/server";
 * const handler = await createHandler({ apiKeys: ["tml-alice-key"] });
 * const res = await handler.fetch(new Request("http://local/api/v1/healthz"));
 * console.log(await res.json()); // { status: "ok" }
 * await handler.close();
 * ```
 */
export function createHandler(options?: ServerOptions): Promise<TinkerHandler> {
  return create(options);
}

/**
 * Create a handler and serve it on `hostname:port` (default `127.0.0.1:0`, a free port) with
 * `Deno.serve`, `Bun.serve` or `node:http`, whichever runtime this is.
 *
 * @example
 * ```ts
 * import { serve } from "@tinkex/tinkex/server";
 * const server = await serve({ apiKeys: ["tml-alice-key", "tml-bob-key"], futureDelayMs: 500 });
 * console.log(`export TINKER_BASE_URL=${server.baseUrl} TINKER_API_KEY=${server.apiKeys[0]}`);
 * await server.close();
 * ```
 */
export function serve(options?: ServeOptions): Promise<RunningServer> {
  return serveHandler(options);
}

/**
 * Add `count` checkpoint records for the user of `userKey`, cheaply (one write; archives are
 * built on first download). For listing benchmarks and tests that need many checkpoints.
 *
 * @example
 * ```ts
 * import { seedCheckpoints, serve } from "@tinkex/tinkex/server";
 * const server = await serve();
 * const { runId, tinkerPaths } = await seedCheckpoints(server.handler, {
 *   userKey: server.apiKeys[0],
 *   count: 10_000,
 * });
 * console.log(runId, tinkerPaths.length);
 * await server.close();
 * ```
 */
export function seedCheckpoints(
  handler: TinkerHandler,
  options: SeedCheckpointsOptions,
): Promise<SeedCheckpointsResult> {
  return seedInto(contextOf(handler), options);
}
