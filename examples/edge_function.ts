/**
 * An edge function (Deno Deploy, Supabase, Cloudflare Workers style) that streams a checkpoint's
 * files with no file system: `GET /?path=tinker://…` lists the members as NDJSON, and
 * `GET /?path=tinker://…&file=adapter_config.json` streams one member's bytes.
 *
 * A bad `path` is 400 (before anything is fetched), a status from the service is passed on, and
 * any other failure is 502.
 *
 * Run locally (no file access): `npx -y deno@2 serve --allow-net --allow-env --host 127.0.0.1
 * --port 8787 examples/edge_function.ts` (`deno serve` uses the default export).
 * @module
 */
import {
  ApiStatusError,
  archiveEntries,
  configFromEnv,
  InvalidTinkerPathError,
  openArchiveStream,
  parseTinkerPath,
  type TinkerConfig,
} from "@tinkex/tinkex";

/** The handler: web-standard Request in, streamed Response out (config from the environment). */
export function handler(request: Request): Promise<Response> {
  return streamCheckpoint(request, configFromEnv());
}

/** The work of {@link handler} with a given config (a Cloudflare worker's comes from `env`). */
export async function streamCheckpoint(request: Request, config: TinkerConfig): Promise<Response> {
  const url = new URL(request.url);
  const path = url.searchParams.get("path");
  if (!path) return Response.json({ error: "pass ?path=tinker://…" }, { status: 400 });
  const wanted = url.searchParams.get("file");
  try {
    parseTinkerPath(path);
  } catch (e) {
    if (e instanceof InvalidTinkerPathError) {
      return Response.json({ error: e.message }, { status: 400 });
    }
    throw e;
  }
  try {
    const entries = archiveEntries(
      openArchiveStream(config, path, { signal: request.signal }),
    );
    if (wanted) {
      // Step the iterator by hand: leaving a for-await loop would cancel the archive stream
      // while the member's body is still being sent.
      const it = entries[Symbol.asyncIterator]();
      for (let next = await it.next(); !next.done; next = await it.next()) {
        const entry = next.value;
        if (entry.path !== wanted) continue;
        const body = entry.body.pipeThrough(
          new TransformStream({ flush: () => void it.return(undefined) }),
        );
        return new Response(body, {
          headers: {
            "content-type": "application/octet-stream",
            "content-length": String(entry.size),
          },
        });
      }
      return Response.json({ error: `${wanted} is not in ${path}` }, { status: 404 });
    }
    const encoder = new TextEncoder();
    const listing = ReadableStream.from((async function* () {
      for await (const entry of entries) {
        await entry.body.cancel(); // listing only: skip the bytes
        yield encoder.encode(
          JSON.stringify({ path: entry.path, size: entry.size, type: entry.type }) + "\n",
        );
      }
    })());
    return new Response(listing, { headers: { "content-type": "application/x-ndjson" } });
  } catch (e) {
    const status = e instanceof ApiStatusError ? e.status : 502;
    return Response.json({ error: e instanceof Error ? e.message : String(e) }, { status });
  }
}

export default { fetch: handler };
