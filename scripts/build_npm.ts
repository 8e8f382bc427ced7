/**
 * `deno task build:npm`: the package for Node and Bun without JSR, in the layout JSR's npm layer
 * serves: every module of `mod.ts`, `server.ts` and `cli.ts` as ESM JavaScript with its `.d.ts`
 * beside it (per file, as JSR does: the public API has explicit types, so no type checking is
 * needed to emit them), `modern-tar` as a dependency, and a `tinkex` bin that runs the CLI under
 * Node. Writes `dist/npm/` and packs it to `dist/tinkex-tinkex-<version>.tgz`.
 *
 * Run: `deno task build:npm [OUT_DIR]` (default `dist`); prints the tarball's path.
 * @module
 */
import ts from "typescript";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ENTRIES = ["mod.ts", "server.ts", "cli.ts"];

/** The bin: the CLI under Node (or Bun), with the process's arguments and exit code. */
const BIN = `#!/usr/bin/env node
import process from "node:process";
import { main } from "../cli.js";

process.exitCode = await main(process.argv.slice(2));
`;

const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  // `./x.ts` → `./x.js` in the JavaScript and in the declarations.
  rewriteRelativeImportExtensions: true,
  declaration: true,
};

/** Local files (absolute paths) in the static and dynamic graphs of the entry points. */
async function localModules(): Promise<string[]> {
  const files = new Set<string>();
  for (const entry of ENTRIES) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: ROOT,
      stdout: "piped",
    }).output();
    if (!out.success) throw new Error(`deno info ${entry} failed`);
    const info = JSON.parse(new TextDecoder().decode(out.stdout));
    for (const m of info.modules as { specifier: string }[]) {
      if (m.specifier.startsWith("file://")) files.add(fileURLToPath(m.specifier));
    }
  }
  return [...files].sort();
}

/** One TypeScript module as ESM JavaScript. */
export function transpile(source: string, fileName = "module.ts"): string {
  return ts.transpileModule(source, { compilerOptions: COMPILER_OPTIONS, fileName }).outputText;
}

/**
 * One TypeScript module's declarations, from its explicit types alone (isolated, as JSR emits
 * them). The few internal constants without an annotation still come out right (`number`);
 * the consumer test type-checks the result with `tsc`.
 */
function declarations(source: string, fileName: string): string {
  const out = ts.transpileDeclaration(source, { compilerOptions: COMPILER_OPTIONS, fileName });
  // Declarations keep `./x.ts` specifiers; the package ships `./x.d.ts` beside `./x.js`.
  return out.outputText.replace(
    /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']*)\.ts(["'])/g,
    "$1$2.js$3",
  );
}

/** Build the package into `outDir/npm` and pack it; resolves to the tarball's path. */
export async function buildNpm(outDir: string = join(ROOT, "dist")): Promise<string> {
  const config = JSON.parse(await readFile(join(ROOT, "deno.json"), "utf8"));
  const tarVersion: string = config.imports["modern-tar"].split("@").at(-1);
  const pkgDir = join(outDir, "npm");
  await rm(pkgDir, { recursive: true, force: true });
  for (const file of await localModules()) {
    const rel = relative(ROOT, file);
    const source = await readFile(file, "utf8");
    const target = join(pkgDir, rel.replace(/\.ts$/, ""));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(`${target}.js`, transpile(source, rel));
    await writeFile(`${target}.d.ts`, declarations(source, rel));
  }
  await mkdir(join(pkgDir, "bin"), { recursive: true });
  await writeFile(join(pkgDir, "bin", "tinkex.js"), BIN, { mode: 0o755 });
  for (const f of ["README.md", "LICENSE"]) await copyFile(join(ROOT, f), join(pkgDir, f));
  const entry = (name: string) => ({ types: `./${name}.d.ts`, default: `./${name}.js` });
  await writeFile(
    join(pkgDir, "package.json"),
    JSON.stringify(
      {
        name: config.name,
        version: config.version,
        description: "Manage Tinker fine-tuning checkpoints: module, CLI and local server",
        license: config.license,
        type: "module",
        exports: { ".": entry("mod"), "./server": entry("server"), "./cli": entry("cli") },
        bin: { tinkex: "./bin/tinkex.js" },
        engines: { node: ">=20.16" },
        dependencies: { "modern-tar": tarVersion },
      },
      null,
      2,
    ) + "\n",
  );
  const pack = await new Deno.Command("npm", {
    args: ["pack", "--json", "--pack-destination", outDir],
    cwd: pkgDir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!pack.success) throw new Error(`npm pack failed: ${new TextDecoder().decode(pack.stderr)}`);
  const [{ filename }] = JSON.parse(new TextDecoder().decode(pack.stdout));
  return join(outDir, filename);
}

if (import.meta.main) {
  console.log(await buildNpm(Deno.args[0] ? resolve(Deno.args[0]) : undefined));
}
