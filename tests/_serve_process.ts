/**
 * `tinkex serve` as a child process (`deno run -A cli.ts serve --port 0 …`): its base URL and
 * banner, and everything it wrote to stderr (its log) once stopped.
 * @module
 */

/** A running `tinkex serve` child. */
export interface ServeProcess {
  baseUrl: string;
  /** The JSON object `serve --json` printed (`{}` for the text banner). */
  banner: Record<string, unknown>;
  /** The text banner (`--json`: the JSON text). */
  bannerText: string;
  /** SIGTERM (or `signal`), wait for the exit; resolves to its stderr and exit code. */
  stop(signal?: Deno.Signal): Promise<{ stderr: string; code: number }>;
}

/**
 * Start `tinkex serve --port 0` with `args` (and `--json` unless `json: false`) and `env`;
 * resolves once it listens.
 */
export async function startServeProcess(
  args: string[],
  env: Record<string, string> = {},
  opts: { json?: boolean } = {},
): Promise<ServeProcess> {
  const json = opts.json ?? true;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", "serve", "--port", "0", ...(json ? ["--json"] : []), ...args],
    cwd: new URL("..", import.meta.url).pathname,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let banner: Record<string, unknown> | undefined;
  while (banner === undefined) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    if (!json) {
      if (text.includes("Press Ctrl+C to stop.")) banner = {};
      continue;
    }
    try {
      banner = JSON.parse(text);
    } catch {
      // not the whole object yet
    }
  }
  if (banner === undefined) {
    await reader.cancel();
    const status = await child.status;
    throw new Error(`serve exited (${status.code}) before listening: ${await stderr}`);
  }
  const baseUrl = json ? banner.base_url as string : /listening on (\S+)/.exec(text)?.[1] ?? "";
  return {
    baseUrl,
    banner,
    bannerText: text,
    async stop(signal: Deno.Signal = "SIGTERM") {
      child.kill(signal);
      const status = await child.status;
      await reader.cancel();
      return { stderr: await stderr, code: status.code };
    },
  };
}
