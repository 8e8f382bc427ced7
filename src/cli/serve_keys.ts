/**
 * Where `tinkex serve` takes its API keys from, and which of them the banner may print: keys
 * typed on the command line (already visible in `ps`) or the default development key, never
 * keys from `--api-key-file` or the environment.
 * @module
 */
import { DEFAULT_API_KEY } from "../../server.ts";
import type { CommandContext } from "./spec.ts";

/** The environment variable of `tinkex serve`'s keys (separated by spaces, commas or newlines). */
export const SERVE_KEYS_ENV = "TINKEX_SERVE_API_KEYS";

/** The keys to start with, and what the banner says about them. */
export interface ServeKeys {
  /** Keys for `apiKeys` (the command line's and the environment's). */
  apiKeys: string[];
  /** A key file for `apiKeyFile`, if given. */
  apiKeyFile?: string;
  /** Keys the banner may print. */
  shown: string[];
  /** Where hidden keys came from, for the banner (e.g. `keys.txt`, `TINKEX_SERVE_API_KEYS`). */
  hiddenSources: string[];
}

/** Gather the keys of `--api-key`, `--api-key-file` and {@link SERVE_KEYS_ENV}. */
export function serveKeys(ctx: CommandContext): ServeKeys {
  const argv = (ctx.options["api-key"] as string[] | undefined) ?? [];
  const file = ctx.options["api-key-file"] as string | undefined;
  const fromEnv = (ctx.io.env(SERVE_KEYS_ENV) ?? "").split(/[\s,]+/).filter((k) => k !== "");
  const hiddenSources = [
    ...(file === undefined ? [] : [file]),
    ...(fromEnv.length ? [SERVE_KEYS_ENV] : []),
  ];
  const anyKey = argv.length > 0 || hiddenSources.length > 0;
  return {
    apiKeys: [...argv, ...fromEnv],
    apiKeyFile: file,
    shown: anyKey ? argv : [DEFAULT_API_KEY],
    hiddenSources,
  };
}
