// End to end against the real local server (server.ts): seeded checkpoints downloaded and
// compared byte for byte with the server's own archive, also through a proxy that cuts the
// connection at several offsets, with size_bytes checked and signed URLs refreshed.
import assert from "node:assert/strict";
import { unpackTar } from "modern-tar";
import {
  type Checkpoint,
  download,
  type DownloadResult,
  getArchiveUrl,
  iterateCheckpoints,
  type TinkerConfig,
} from "../mod.ts";
import { type RunningServer, serve } from "../server.ts";
import { type CuttingProxy, startCuttingProxy } from "./_download_fixture.ts";

async function withServer(
  fn: (server: RunningServer, config: TinkerConfig, checkpoints: Checkpoint[]) => Promise<void>,
  options: { signedUrlTtlSeconds?: number; publicUrl?: string } = {},
): Promise<void> {
  const server = await serve({
    apiKeys: ["tml-alice-download", "tml-bob-download"],
    seed: { checkpointBytes: 600_000 },
    ...options,
  });
  try {
    const config = { apiKey: server.apiKeys[0], baseUrl: server.baseUrl, retryInitialDelayMs: 1 };
    const checkpoints: Checkpoint[] = [];
    for await (const c of iterateCheckpoints(config)) checkpoints.push(c);
    assert.ok(checkpoints.length >= 4, "the seed has checkpoints of both kinds");
    await fn(server, config, checkpoints);
  } finally {
    await server.close();
  }
}

/**
 * A cutting proxy in front of a fresh server whose signed URLs point at the proxy, as
 * `--public-url` makes them behind a real one. `cuts` may be filled in by `fn` before the
 * proxied download; `fn` gets the proxied config.
 */
async function withProxiedServer(
  cuts: number[],
  fn: (
    server: RunningServer,
    proxied: TinkerConfig,
    checkpoints: Checkpoint[],
    proxy: CuttingProxy,
  ) => Promise<void>,
  options: { signedUrlTtlSeconds?: number } = {},
): Promise<void> {
  let target = 0;
  const proxy = startCuttingProxy(() => target, cuts);
  const proxyUrl = `http://127.0.0.1:${proxy.port}`;
  try {
    await withServer(async (server, config, checkpoints) => {
      target = server.port;
      await fn(server, { ...config, baseUrl: proxyUrl }, checkpoints, proxy);
    }, { ...options, publicUrl: proxyUrl });
  } finally {
    await proxy.close();
  }
}

/**
 * The server's archive, fetched plainly from the server itself (bypassing any proxy the signed
 * URL points at) and decoded by modern-tar: the reference.
 */
async function reference(
  server: RunningServer,
  config: TinkerConfig,
  path: string,
): Promise<Map<string, Uint8Array>> {
  const signed = new URL((await getArchiveUrl(config, path)).url);
  const res = await fetch(server.baseUrl + signed.pathname + signed.search);
  assert.equal(res.status, 200);
  const entries = await unpackTar(new Uint8Array(await res.arrayBuffer()));
  return new Map(entries.map((e) => [e.header.name, e.data ?? new Uint8Array(0)]));
}

async function assertIdentical(result: DownloadResult, expected: Map<string, Uint8Array>) {
  assert.deepEqual(result.files.map((f) => f.path).sort(), [...expected.keys()].sort());
  for (const [name, bytes] of expected) {
    const file = result.files.find((f) => f.path === name);
    assert.equal(file?.size, bytes.length, name);
    assert.deepEqual(await Deno.readFile(`${result.destination}/${name}`), bytes, name);
  }
}

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tinkex-e2e-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("every seeded checkpoint downloads byte-identical, size_bytes verified", async () => {
  await withServer(async (server, config, checkpoints) => {
    await inTempDir(async (out) => {
      for (const ckpt of checkpoints) {
        const result = await download(config, ckpt.tinker_path, {
          outputDir: out,
          expectedBytes: ckpt.size_bytes ?? undefined,
        });
        assert.equal(result.bytes, ckpt.size_bytes);
        const expected = await reference(server, config, ckpt.tinker_path);
        assert.ok(expected.has("adapter_model.safetensors"));
        assert.ok(expected.has("checkpoint_complete"));
        await assertIdentical(result, expected);
      }
      const dirs = [...Deno.readDirSync(out)].map((e) => e.name);
      assert.equal(dirs.length, checkpoints.length);
      assert.ok(dirs.every((d) => !d.startsWith(".")), "no temporary directory is left");
    });
  });
});

Deno.test("through a proxy that cuts at several offsets, files stay byte-identical", async () => {
  // Connection 0 carries the 302 and then the archive; later ones carry the resumes. Each
  // number is the bytes that connection may carry before it is cut.
  const plans = [
    () => [2_000],
    (size: number) => [size / 2],
    (size: number) => [size - 1_000],
    (size: number) => [0.01, 0.2, 0.25, 0.3].map((f) => f * size),
  ];
  for (const plan of plans) {
    const cuts: number[] = [];
    await withProxiedServer(cuts, async (server, proxied, checkpoints, proxy) => {
      const ckpt = checkpoints.find((c) => c.checkpoint_type === "training")!;
      const expected = await reference(
        server,
        { ...proxied, baseUrl: server.baseUrl },
        ckpt.tinker_path,
      );
      const size = ckpt.size_bytes!;
      cuts.push(...plan(size).map(Math.floor));
      await inTempDir(async (out) => {
        let resumes = 0;
        const result = await download(
          proxied,
          ckpt.tinker_path,
          { outputDir: out, expectedBytes: size, onResume: () => resumes++ },
        );
        await assertIdentical(result, expected);
        assert.equal(resumes, cuts.length, `cuts ${cuts}`);
        assert.ok(proxy.connections > cuts.length, "new connections carried the resumes");
      });
    });
  }
});

Deno.test("a signed URL about to expire is refreshed before a resume", async () => {
  const cuts: number[] = [];
  await withProxiedServer(cuts, async (server, proxied, checkpoints) => {
    const ckpt = checkpoints[0];
    const expected = await reference(
      server,
      { ...proxied, baseUrl: server.baseUrl },
      ckpt.tinker_path,
    );
    cuts.push(Math.floor(ckpt.size_bytes! / 3));
    let archiveUrlCalls = 0;
    const countingFetch: typeof fetch = (input, init) => {
      if (String(input instanceof Request ? input.url : input).endsWith("/archive")) {
        archiveUrlCalls++;
      }
      return fetch(input, init);
    };
    await inTempDir(async (out) => {
      const result = await download(
        { ...proxied, fetch: countingFetch },
        ckpt.tinker_path,
        { outputDir: out },
      );
      await assertIdentical(result, expected);
      assert.equal(archiveUrlCalls, 2, "a fresh URL was fetched for the resume");
    });
  }, { signedUrlTtlSeconds: 5 }); // within the 5 s refresh margin from the start
});
