// Node and Bun without JSR, for real: `deno task build:npm` packs the module, the server and the
// CLI as an npm package; its tarball is installed (offline: nothing is fetched) into a fresh
// Node project and a fresh Bun project; a TypeScript consumer is type-checked with tsc against
// the package's .d.ts; the complete workflow runs under both runtimes, against a Deno-hosted
// `tinkex serve` and against a server the runtime hosts itself; and the `tinkex` bin lists
// checkpoints under Node (`npx tinkex`) and under Bun. Tools: tests/runtimes/install.sh.
import assert from "node:assert/strict";
import { copyFile, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BUN_CACHE, ROOT, runOk, startServeProcess, tool, TOOLS_DIR } from "./runtimes/tools.ts";

const CONSUMER = join(ROOT, "tests/runtimes/consumer");
const denoJson = JSON.parse(await readFile(join(ROOT, "deno.json"), "utf8"));
const TAR_VERSION: string = denoJson.imports["modern-tar"].split("@").at(-1);

/** A fresh project depending on the tarball, with the TypeScript consumer beside it. */
async function freshProject(dir: string, tarball: string): Promise<void> {
  await Deno.mkdir(dir);
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({
      name: "tinkex-consumer",
      private: true,
      type: "module",
      dependencies: { "@tinkex/tinkex": `file:${tarball}` },
    }),
  );
  for (const f of ["main.ts", "deno_entry.d.ts"]) {
    await copyFile(join(CONSUMER, f), join(dir, f));
  }
  await copyFile(join(ROOT, "examples/complete_workflow.ts"), join(dir, "complete_workflow.ts"));
  const tsconfig = JSON.parse(await readFile(join(CONSUMER, "tsconfig.json"), "utf8"));
  tsconfig.compilerOptions.typeRoots = [join(TOOLS_DIR, "@types")];
  await writeFile(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
}

async function assertWorkflow(stdout: string, outputDir: string, label: string): Promise<void> {
  const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
  assert.equal(summary.version, denoJson.version, label);
  assert.ok(summary.runs > 0, label);
  assert.ok(summary.progressCalls >= 2, `${label}: progress was reported`);
  const names = summary.files.map((f: { path: string }) => f.path);
  for (const n of ["adapter_config.json", "adapter_model.safetensors", "checkpoint_complete"]) {
    assert.ok(names.includes(n), `${label}: ${names}`);
  }
  assert.ok(summary.destination.startsWith(outputDir), label);
  for (const f of summary.files) {
    assert.equal((await stat(join(summary.destination, f.path))).size, f.size, label);
  }
}

Deno.test("npm package: built, installed into fresh Node and Bun projects, type-checked with tsc, runs the complete workflow and the tinkex bin", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tinkex-npm-" });
  const api = await startServeProcess();
  const env = { TINKER_API_KEY: api.apiKey, TINKER_BASE_URL: api.baseUrl, NO_COLOR: "1" };
  try {
    const tarball =
      (await runOk(Deno.execPath(), ["run", "-A", "scripts/build_npm.ts", join(dir, "dist")]))
        .trim();
    const files = (await runOk("tar", ["-tzf", tarball])).trim().split("\n");
    for (
      const f of [
        "mod.js",
        "mod.d.ts",
        "server.js",
        "server.d.ts",
        "cli.js",
        "cli.d.ts",
        "bin/tinkex.js",
      ]
    ) {
      assert.ok(files.includes(`package/${f}`), `${f} is in the tarball`);
    }
    assert.deepEqual(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")), []);

    // Node: npm install from the tarball (modern-tar from npm's cache), tsc, run.
    const node = join(dir, "node");
    await freshProject(node, tarball);
    await runOk("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: node,
    });
    const installed = JSON.parse(
      await readFile(join(node, "node_modules/@tinkex/tinkex/package.json"), "utf8"),
    );
    assert.equal(installed.dependencies["modern-tar"], TAR_VERSION);
    assert.equal(installed.bin.tinkex, "./bin/tinkex.js");
    await runOk(tool("tsc"), ["-p", "."], { cwd: node }); // type errors fail here
    for (const host of ["deno", "self"]) {
      const out = join(node, `out-${host}`);
      await assertWorkflow(
        await runOk("node", ["build/main.js", out, host], { cwd: node, env }),
        out,
        `node (server: ${host})`,
      );
    }
    const listed = await (await fetch(`${api.baseUrl}/api/v1/checkpoints?limit=100`, {
      headers: { "X-API-Key": api.apiKey },
    })).json();
    const paths = listed.checkpoints.map((c: { tinker_path: string }) => c.tinker_path);
    const npx = await runOk("npx", ["--offline", "tinkex", "checkpoint", "list", "--json"], {
      cwd: node,
      env,
    });
    assert.deepEqual(
      JSON.parse(npx).checkpoints.map((c: { tinker_path: string }) => c.tinker_path),
      paths,
    );
    const table = await runOk("npx", ["--offline", "tinkex", "checkpoint", "list"], {
      cwd: node,
      env,
    });
    assert.ok(table.includes(paths[0]), table);
    assert.match(
      await runOk("npx", ["--offline", "tinkex", "version"], { cwd: node }),
      /\(Node 2\d\./,
    );
    // `tinkex … | head`: the reader goes away before the CLI writes; no EPIPE crash.
    const piped = new Deno.Command("node", {
      args: ["node_modules/.bin/tinkex", "checkpoint", "list", "--json", "--limit", "0"],
      cwd: node,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await piped.stdout.cancel();
    const closed = await piped.output();
    const closedErr = new TextDecoder().decode(closed.stderr);
    assert.doesNotMatch(closedErr, /EPIPE|Unhandled/);
    assert.equal(closed.code, 0, closedErr);

    // Bun: bun install from the tarball (modern-tar from the cache install.sh primed), run the TS.
    const bun = join(dir, "bun");
    await freshProject(bun, tarball);
    await runOk(tool("bun"), ["install", "--offline", `--cache-dir=${BUN_CACHE}`, "--no-save"], {
      cwd: bun,
    });
    for (const host of ["deno", "self"]) {
      const out = join(bun, `out-${host}`);
      await assertWorkflow(
        await runOk(tool("bun"), ["main.ts", out, host], { cwd: bun, env }),
        out,
        `bun (server: ${host})`,
      );
    }
    const bunCli = await runOk(tool("bun"), [
      "node_modules/.bin/tinkex",
      "checkpoint",
      "list",
      "--json",
    ], {
      cwd: bun,
      env,
    });
    assert.deepEqual(
      JSON.parse(bunCli).checkpoints.map((c: { tinker_path: string }) => c.tinker_path),
      paths,
    );
    assert.match(
      await runOk(tool("bun"), ["node_modules/.bin/tinkex", "version"], { cwd: bun }),
      /\(Bun 1\./,
    );
  } finally {
    await api.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("npm package: the tools pin the modern-tar that deno.json pins (bundles and caches match)", async () => {
  const tools = JSON.parse(await readFile(join(ROOT, "tests/runtimes/package.json"), "utf8"));
  assert.equal(tools.devDependencies["modern-tar"], TAR_VERSION);
});
