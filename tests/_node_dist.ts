/**
 * Builds the module as JSR ships it to Node and Bun: every file of mod.ts's graph transpiled to
 * JavaScript (relative `.ts` imports rewritten to `.js`), installed as
 * `node_modules/@tinkex/tinkex` beside its npm dependency, in a fresh directory.
 */
import ts from "typescript";
import { dirname, join, relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { mkdir, writeFile } from "node:fs/promises";

const ROOT = fromFileUrl(new URL("..", import.meta.url));

/** Local modules in the static and dynamic graph of an entry point. */
async function localModules(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  return info.modules
    .map((m: { specifier: string }) => m.specifier)
    .filter((s: string) => s.startsWith("file://"))
    .map((s: string) => fromFileUrl(s));
}

/** Transpile one TypeScript source to ESM JavaScript. */
export function transpile(source: string): string {
  return ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      rewriteRelativeImportExtensions: true,
    },
  }).outputText;
}

/** Build into `dir`: `dir/node_modules/@tinkex/tinkex/{mod,server}.js` and their dependencies. */
export async function buildNodeDist(dir: string): Promise<void> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const tarSpec: string = config.imports["modern-tar"]; // npm:modern-tar@x.y.z
  const tarVersion = tarSpec.split("@").at(-1)!;
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({ type: "module", dependencies: { "modern-tar": tarVersion } }),
  );
  const npm = await new Deno.Command("npm", {
    args: ["install", "--no-audit", "--no-fund", "--loglevel=error"],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!npm.success) throw new Error(`npm install failed: ${new TextDecoder().decode(npm.stderr)}`);
  // After npm install, so npm does not prune the package it does not know of.
  const pkgDir = join(dir, "node_modules", "@tinkex", "tinkex");
  const files = new Set([...await localModules("mod.ts"), ...await localModules("server.ts")]);
  for (const file of files) {
    const target = join(pkgDir, relative(ROOT, file)).replace(/\.ts$/, ".js");
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, transpile(await Deno.readTextFile(file)));
  }
  await writeFile(
    join(pkgDir, "package.json"),
    JSON.stringify({
      name: "@tinkex/tinkex",
      version: config.version,
      type: "module",
      exports: { ".": "./mod.js", "./server": "./server.js" },
      dependencies: { "modern-tar": tarVersion },
    }),
  );
}
