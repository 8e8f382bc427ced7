/**
 * The browser test's page script, bundled by esbuild and by Vite: lists checkpoints from
 * `tinkex serve` (another origin, allowed with `--cors`), gets an archive URL where the redirect
 * is opaque, streams the archive's member list and reads one member, and finds that `download()`
 * refuses at once (there is no file system). The outcome lands in
 * `globalThis.tinkexResult` for the driver to read.
 * @module
 */
import {
  archiveEntries,
  download,
  getArchiveUrl,
  listCheckpoints,
  openArchiveStream,
  type TinkerConfig,
} from "@tinkex/tinkex";

const query = new URLSearchParams(location.search);

async function runPage(): Promise<unknown> {
  const apiKey = query.get("key") ?? "";
  // The global fetch passed explicitly, and left to the default: both must work unbound.
  const config: TinkerConfig = { apiKey, baseUrl: query.get("base") ?? "", fetch, maxRetries: 0 };
  const defaultFetch: TinkerConfig = { apiKey, baseUrl: config.baseUrl, maxRetries: 0 };
  const { checkpoints, cursor } = await listCheckpoints(config, { limit: 100 });
  const target = checkpoints.find((c) => c.checkpoint_type === "sampler") ?? checkpoints[0];
  const { url } = await getArchiveUrl(defaultFetch, target.tinker_path);
  const members: { path: string; size: number; type: string }[] = [];
  let adapterRank: unknown;
  for await (const entry of archiveEntries(openArchiveStream(config, target.tinker_path))) {
    members.push({ path: entry.path, size: entry.size, type: entry.type });
    if (entry.path === "adapter_config.json") {
      adapterRank = JSON.parse(await new Response(entry.body).text()).r;
    } else {
      await entry.body.cancel();
    }
  }
  // A server started without --cors: the browser must refuse to let the page read it.
  let withoutCors: string | undefined;
  const other = query.get("nocors");
  if (other) {
    withoutCors = await listCheckpoints({ apiKey, baseUrl: other, maxRetries: 0 })
      .then(() => "readable", (e: Error) => e.name);
  }
  // No file system here: download() says so, before any request.
  let noDiskRequests = 0;
  const counting: TinkerConfig = {
    ...config,
    fetch: (input, init) => {
      noDiskRequests++;
      return fetch(input, init);
    },
  };
  const noDisk = await download(counting, target.tinker_path).then(
    () => "downloaded",
    (e: Error) => `${e.name}: ${e.message}`,
  );
  return {
    noDisk,
    noDiskRequests,
    total: cursor?.total_count,
    paths: checkpoints.map((c) => c.tinker_path),
    target: target.tinker_path,
    archiveUrl: url,
    members,
    adapterRank,
    withoutCors,
  };
}

const g = globalThis as { tinkexResult?: unknown };
runPage().then(
  (result) => g.tinkexResult = { ok: true, result },
  (e: Error) => g.tinkexResult = { ok: false, error: `${e.name}: ${e.message}\n${e.stack}` },
);
