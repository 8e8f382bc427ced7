/**
 * tinkex: manage Tinker fine-tuning checkpoints, training runs and sessions from TypeScript.
 *
 * Every call takes a plain config first. Web-standard code only (fetch, Web Streams): this
 * entry point loads in Deno, Bun, Node, browsers and edge functions.
 *
 * @example
 * ```ts
 * import { configFromEnv, iterateCheckpoints } from "@tinkex/tinkex";
 * const config = configFromEnv(); // TINKER_API_KEY, TINKER_BASE_URL
 * for await (const c of iterateCheckpoints(config)) console.log(c.tinker_path, c.size_bytes);
 * ```
 * @module
 */
export * from "./src/types.ts";
export * from "./src/errors.ts";
export * from "./src/config.ts";
export * from "./src/paths.ts";
export { USER_AGENT } from "./src/http/request.ts";
export type { RequestOptions } from "./src/http/request.ts";
export {
  DEFAULT_ITERATE_CONCURRENCY,
  DEFAULT_ITERATE_PAGE_SIZE,
  hasMore,
  type IterateOptions,
} from "./src/pagination.ts";
export * from "./src/checkpoints.ts";
export * from "./src/runs.ts";
export * from "./src/sessions.ts";
export * from "./src/weights.ts";
export * from "./src/archive_url.ts";
export { VERSION } from "./src/version.ts";
export * from "./src/training/futures.ts";
export * from "./src/training/client.ts";
export * from "./src/download/mod.ts";
