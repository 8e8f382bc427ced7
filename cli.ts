/**
 * The `tinkex` command line: list, inspect, download, publish, expire, delete and prune Tinker
 * checkpoints; list training runs and sessions; run the local server. It calls the functions of
 * `@tinkex/tinkex` and nothing else.
 *
 * ```sh
 * deno run -A jsr:@tinkex/tinkex/cli checkpoint list --limit 0
 * deno install -g -A -n tinkex jsr:@tinkex/tinkex/cli
 * npx tinkex checkpoint list        # Node: the npm package built by `deno task build:npm`
 * tinkex checkpoint prune --keep 3 --dry-run
 * ```
 *
 * Results go to stdout (tables, or JSON with `--json`); progress, prompts and errors to stderr.
 * Exit codes: 0 success, 1 failure (or a declined confirmation), 2 usage error, 130 cancelled by
 * Ctrl-C.
 *
 * @example
 * ```ts
 * import { main } from "@tinkex/tinkex/cli";
 * const code = await main(["checkpoint", "list", "--json"]);
 * ```
 * @module
 */
import { runCli } from "./src/cli/main.ts";
import type { CliIo } from "./src/cli/io.ts";

export type { CliIo } from "./src/cli/io.ts";

/**
 * Run the CLI with `args` (without the program name) and resolve to its exit code: 0 success,
 * 1 failure, 2 usage error, 130 cancelled. Pass `io` to capture output or to embed the CLI;
 * anything left out uses the process's own streams and environment. Without `io` the CLI is the
 * process itself and handles Ctrl-C (`Cancelled.`); with it, it never listens for signals.
 *
 * @example
 * ```ts
 * import { main } from "@tinkex/tinkex/cli";
 * let out = "";
 * const code = await main(["version", "--json"], { stdout: (text) => (out += text) });
 * console.log(code, JSON.parse(out).version);
 * ```
 */
export async function main(args: string[], io?: Partial<CliIo>): Promise<number> {
  return await runCli(args, io);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
