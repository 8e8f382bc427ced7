// download(): real downloads over loopback HTTP — plain and gzip tar, byte-identical files,
// the destination rules (exists, force, outputDir), progress, and no key sent to the store.
import assert from "node:assert/strict";
import {
  AbortError,
  AuthenticationError,
  ConfigError,
  DestinationExistsError,
  download,
  type DownloadOptions,
  type DownloadProgress,
  InvalidTinkerPathError,
  NotFoundError,
  TimeoutError,
} from "../mod.ts";
import { DIR_NAME, type Fixture, startFixture, TINKER_PATH } from "./_download_fixture.ts";
import { gzip, noise, tar, TYPE } from "./_tar_bytes.ts";

const FILES: Record<string, Uint8Array> = {
  "adapter_config.json": new TextEncoder().encode('{"r": 8, "lora_alpha": 16}'),
  "adapter_model.safetensors": noise(300_000, 7),
  "optim/state.bin": noise(70_001, 9),
  "checkpoint_complete": new Uint8Array(0),
};

function checkpointTar(): Uint8Array {
  return tar([
    { name: "./", type: TYPE.directory },
    { name: "./adapter_config.json", body: FILES["adapter_config.json"] },
    { name: "./adapter_model.safetensors", body: FILES["adapter_model.safetensors"] },
    { name: "./optim/", type: TYPE.directory },
    { name: "./optim/state.bin", body: FILES["optim/state.bin"] },
    { name: "./checkpoint_complete" },
  ]);
}

async function withFixture(
  archive: Uint8Array,
  fn: (fx: Fixture, out: string) => Promise<void>,
): Promise<void> {
  const fx = startFixture({ archive });
  const out = await Deno.makeTempDir({ prefix: "tinkex-dl-" });
  try {
    await fn(fx, out);
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
}

async function assertExtracted(dest: string): Promise<void> {
  for (const [path, bytes] of Object.entries(FILES)) {
    assert.deepEqual(await Deno.readFile(`${dest}/${path}`), bytes, path);
  }
}

function listDir(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

for (const compressed of [false, true]) {
  Deno.test(`download extracts a ${compressed ? "gzip" : "plain"} tar byte for byte`, async () => {
    const archive = compressed ? await gzip(checkpointTar()) : checkpointTar();
    await withFixture(archive, async (fx, out) => {
      const result = await download(fx.config, TINKER_PATH, { outputDir: out });
      assert.equal(result.destination, `${out}/${DIR_NAME}`);
      assert.equal(result.bytes, archive.length);
      assert.deepEqual(result.files, [
        { path: "adapter_config.json", size: FILES["adapter_config.json"].length },
        { path: "adapter_model.safetensors", size: 300_000 },
        { path: "optim/state.bin", size: 70_001 },
        { path: "checkpoint_complete", size: 0 },
      ]);
      await assertExtracted(result.destination);
      assert.deepEqual(listDir(out), [DIR_NAME], "no temporary directory is left");
      assert.equal(fx.blobRequests.length, 1);
    });
  });
}

Deno.test("the signed URL is fetched without the API key or config headers", async () => {
  await withFixture(checkpointTar(), async (fx, out) => {
    await download({ ...fx.config, headers: { "CF-Access-Client-Secret": "cf" } }, TINKER_PATH, {
      outputDir: out,
    });
    assert.equal(fx.archiveRequests, 1);
    assert.equal(fx.blobRequests[0].hadApiKey, false);
  });
});

Deno.test("progress: resolving first, done last, bytes monotonic, percent within 0–100", async () => {
  await withFixture(checkpointTar(), async (fx, out) => {
    const events: DownloadProgress[] = [];
    await download(fx.config, TINKER_PATH, { outputDir: out, onProgress: (p) => events.push(p) });
    assert.equal(events[0].phase, "resolving");
    assert.equal(events[0].transferredBytes, 0);
    const last = events.at(-1)!;
    assert.equal(last.phase, "done");
    assert.equal(last.transferredBytes, checkpointTar().length);
    assert.equal(last.totalBytes, checkpointTar().length);
    assert.equal(last.percent, 100);
    const phases = [...new Set(events.map((e) => e.phase))];
    assert.deepEqual(phases, ["resolving", "downloading", "verifying", "done"]);
    for (let i = 1; i < events.length; i++) {
      assert.ok(events[i].transferredBytes >= events[i - 1].transferredBytes);
      const p = events[i].percent;
      if (p !== undefined) assert.ok(p >= 0 && p <= 100);
    }
  });
});

Deno.test("an existing destination fails before any request; force replaces it", async () => {
  await withFixture(checkpointTar(), async (fx, out) => {
    const dest = `${out}/${DIR_NAME}`;
    await Deno.mkdir(dest);
    await Deno.writeTextFile(`${dest}/old.txt`, "old");
    await assert.rejects(
      download(fx.config, TINKER_PATH, { outputDir: out }),
      (e: unknown) => e instanceof DestinationExistsError && e.destination === dest,
    );
    assert.equal(fx.archiveRequests, 0, "nothing was requested");
    assert.equal(await Deno.readTextFile(`${dest}/old.txt`), "old");

    const result = await download(fx.config, TINKER_PATH, { outputDir: out, force: true });
    assert.equal(result.destination, dest);
    await assertExtracted(dest);
    await assert.rejects(Deno.stat(`${dest}/old.txt`), Deno.errors.NotFound);
    assert.deepEqual(listDir(out), [DIR_NAME], "no temporary or old directory is left");
  });
});

Deno.test("outputDir is created when missing and defaults to the current directory", async () => {
  await withFixture(checkpointTar(), async (fx, out) => {
    const nested = `${out}/a/b`;
    const result = await download(fx.config, TINKER_PATH, { outputDir: nested });
    assert.equal(result.destination, `${nested}/${DIR_NAME}`);
    await assertExtracted(result.destination);

    // The default outputDir is the current directory: run in a child process started there.
    const script = `import { download } from ${
      JSON.stringify(new URL("../mod.ts", import.meta.url).href)
    };
      const r = await download(${JSON.stringify(fx.config)}, ${JSON.stringify(TINKER_PATH)});
      console.log(r.destination);`;
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--config", new URL("../deno.json", import.meta.url).pathname, script],
      cwd: out,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(child.code, 0, new TextDecoder().decode(child.stderr));
    const printed = new TextDecoder().decode(child.stdout).trim();
    assert.equal(await Deno.realPath(printed), await Deno.realPath(`${out}/${DIR_NAME}`));
  });
});

Deno.test("bad path or config fails before touching the disk or the network", async () => {
  await withFixture(checkpointTar(), async (fx, out) => {
    await assert.rejects(
      download(fx.config, "tinker://run/bogus/x", { outputDir: `${out}/new` }),
      InvalidTinkerPathError,
    );
    await assert.rejects(
      download({ apiKey: "sk-wrong", baseUrl: fx.baseUrl }, TINKER_PATH, {
        outputDir: `${out}/new`,
      }),
      ConfigError,
    );
    assert.deepEqual(listDir(out), []);
    assert.equal(fx.archiveRequests, 0);
  });
});

/** An API whose archive endpoint answers `status`, or one that takes connections and never answers. */
function archiveApi(status: number | "never"): { baseUrl: string; close: () => Promise<void> } {
  if (status !== "never") {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => Response.json({ detail: "nope" }, { status }),
    );
    return { baseUrl: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) conns.push(conn); // read nothing, answer nothing
  })().catch(() => {});
  return {
    baseUrl: `http://127.0.0.1:${listener.addr.port}`,
    close: async () => {
      listener.close();
      for (const conn of conns) conn.close();
      await accepting;
    },
  };
}

Deno.test("the archive URL, asked for while the disk is set up: its failure, an abort or the deadline while it hangs is the call's typed error; nothing left", async () => {
  const cases: [number | "never", () => DownloadOptions, new (...a: never[]) => Error][] = [
    [404, () => ({}), NotFoundError],
    [401, () => ({}), AuthenticationError],
    ["never", () => ({ signal: AbortSignal.timeout(200) }), AbortError],
    ["never", () => ({ deadlineMs: 200 }), TimeoutError],
  ];
  for (const [status, opts, type] of cases) {
    for (const resume of [true, false]) {
      const api = archiveApi(status);
      const out = await Deno.makeTempDir({ prefix: "tinkex-dl-" });
      try {
        const config = { apiKey: "tml-early-url-secret", baseUrl: api.baseUrl, maxRetries: 0 };
        await assert.rejects(
          download(config, TINKER_PATH, { outputDir: `${out}/dl`, resume, ...opts() }),
          (e: unknown) => e instanceof type && !String(e).includes("tml-early-url-secret"),
          `${status} resume=${resume}`,
        );
        assert.deepEqual(listDir(out), [], `${status} resume=${resume}: nothing left`);
      } finally {
        await api.close();
        await Deno.remove(out, { recursive: true });
      }
    }
  }
});
