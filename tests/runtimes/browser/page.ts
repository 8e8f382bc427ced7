/**
 * The browser test's page script, bundled by esbuild and by Vite: lists checkpoints from
 * `tinkex serve` (another origin, allowed with `--cors`), gets an archive URL (the JSON form:
 * a browser cannot read a redirect), streams the archive's member list and reads one member, and
 * finds that `download()` refuses at once (there is no file system). Against a service that
 * redirects (the test's stub), it finds the hidden redirect refused, and followed only when asked.
 * The outcome lands in `globalThis.tinkexResult` for the driver to read.
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
  const config: TinkerConfig = {
    apiKey,
    baseUrl: query.get("base") ?? "",
    fetch,
    maxRetries: 0,
  };
  const defaultFetch: TinkerConfig = {
    apiKey,
    baseUrl: config.baseUrl,
    maxRetries: 0,
  };
  const { checkpoints, cursor } = await listCheckpoints(config, { limit: 100 });
  const target = checkpoints.find((c) => c.checkpoint_type === "sampler") ??
    checkpoints[0];
  const { url } = await getArchiveUrl(defaultFetch, target.tinker_path);
  const members: { path: string; size: number; type: string }[] = [];
  let adapterRank: unknown;
  for await (
    const entry of archiveEntries(openArchiveStream(config, target.tinker_path))
  ) {
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
    withoutCors = await listCheckpoints({
      apiKey,
      baseUrl: other,
      maxRetries: 0,
    })
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
  // A service that answers with a redirect, which a browser hides: refused unless asked for.
  let hidden: string | undefined;
  let followed: string | undefined;
  let streamedFollowing: string | undefined;
  let askedJson: string | undefined;
  const redirecting = query.get("redirecting");
  if (redirecting) {
    const stub: TinkerConfig = {
      apiKey,
      baseUrl: redirecting,
      maxRetries: 0,
      auth: "api-key",
    };
    const shown = (e: Error) => `${e.name}: ${e.message}`;
    hidden = await getArchiveUrl(stub, target.tinker_path).then(
      (r) => `got ${r.url}`,
      shown,
    );
    followed = await getArchiveUrl(stub, target.tinker_path, {
      followHiddenRedirect: true,
    })
      .then((r) => r.url, shown);
    const asking: TinkerConfig = { ...stub, baseUrl: `${redirecting}/asks` };
    askedJson = await getArchiveUrl(asking, target.tinker_path).then((r) => r.url, shown);
    const stream = openArchiveStream(stub, target.tinker_path, {
      followHiddenRedirect: true,
    });
    streamedFollowing = await new Response(stream).text().catch(shown);
  }
  return {
    hidden,
    followed,
    streamedFollowing,
    askedJson,
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
  (e: Error) =>
    g.tinkexResult = {
      ok: false,
      error: `${e.name}: ${e.message}\n${e.stack}`,
    },
);
