/**
 * What the module costs where it is bundled: the esbuild bundle of `mod.ts` for browsers and of
 * the Cloudflare worker example (raw, minified, gzip -9), and the price of reaching the file
 * system through `process.getBuiltinModule` (what `download()` does) against `import()`, per call,
 * under Deno, Node and Bun. Needs the tools of `deno task setup:runtimes`. Prints figures only.
 *
 * Run: `deno run -A bench/bundle_size.ts`
 * @module
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT, runOk, tool } from "../tests/runtimes/tools.ts";

const CALLS = 100_000;
const LOOKUP = `
const t0 = performance.now();
for (let i = 0; i < ${CALLS}; i++) process.getBuiltinModule("node:fs/promises");
const t1 = performance.now();
for (let i = 0; i < ${CALLS}; i++) await import("node:fs/promises");
const t2 = performance.now();
console.log(((t1 - t0) * 1e6 / ${CALLS}).toFixed(0), ((t2 - t1) * 1e6 / ${CALLS}).toFixed(0));
`;

async function bundleSizes(entry: string, platform: string): Promise<string> {
  const sizes: string[] = [];
  for (const minify of [false, true]) {
    const outfile = await Deno.makeTempFile({ suffix: ".js" });
    await runOk(tool("esbuild"), [
      join(ROOT, entry),
      "--bundle",
      "--format=esm",
      `--platform=${platform}`,
      ...(minify ? ["--minify"] : []),
      "--log-level=warning",
      `--alias:@tinkex/tinkex=${join(ROOT, "mod.ts")}`,
      `--outfile=${outfile}`,
    ], { env: { NODE_PATH: join(ROOT, "tests/runtimes/node_modules") } });
    const bytes = await Deno.readFile(outfile);
    await Deno.remove(outfile);
    const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`;
    sizes.push(
      minify
        ? `minified ${kb(bytes.length)}, gzip ${kb(gzipSync(bytes, { level: 9 }).length)}`
        : kb(bytes.length),
    );
  }
  return sizes.join("; ");
}

console.log(`esbuild bundle of mod.ts (browser): ${await bundleSizes("mod.ts", "browser")}`);
console.log(
  `esbuild bundle of examples/cloudflare_worker.ts (workerd): ${await bundleSizes(
    "examples/cloudflare_worker.ts",
    "neutral",
  )}`,
);
const script = await Deno.makeTempFile({ suffix: ".mjs" });
await Deno.writeTextFile(script, LOOKUP);
try {
  for (
    const [name, cmd, args] of [
      ["Deno", Deno.execPath(), ["run", "-A", script]],
      ["Node", "node", [script]],
      ["Bun", tool("bun"), [script]],
    ] as const
  ) {
    const [builtin, dynamic] = (await runOk(cmd, [...args])).trim().split(" ");
    console.log(`${name}: process.getBuiltinModule ${builtin} ns per call, import() ${dynamic} ns`);
  }
} finally {
  await Deno.remove(script);
}
