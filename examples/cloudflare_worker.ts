/**
 * A Cloudflare Workers module worker doing what `edge_function.ts` does, with no file system:
 * `GET /?path=tinker://…` lists a checkpoint's members as NDJSON, and
 * `GET /?path=tinker://…&file=adapter_config.json` streams one member. The config comes from the
 * worker's `env` (`TINKER_API_KEY` as a secret, `TINKER_BASE_URL` as a variable).
 *
 * Deploy: `wrangler deploy examples/cloudflare_worker.ts` (wrangler bundles it);
 * `wrangler secret put TINKER_API_KEY`. Proven in workerd by `tests/runtime_workerd.test.ts`.
 * @module
 */
import { configFromEnv } from "@tinkex/tinkex";
import { streamCheckpoint } from "./edge_function.ts";

/** The bindings this worker reads. */
export interface Env {
  /** The Tinker API key (`tml-…`). */
  TINKER_API_KEY: string;
  /** The service base URL; unset means the hosted service. */
  TINKER_BASE_URL?: string;
}

export default {
  /** Workers call this for every request, with the worker's bindings. */
  fetch(request: Request, env: Env): Promise<Response> {
    return streamCheckpoint(request, configFromEnv({}, { env: { ...env } }));
  },
};
