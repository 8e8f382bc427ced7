// Test modules share one process (deno test --parallel runs several per worker), so none may
// change the process environment: variables reach the code under test through `{ env }`.
import assert from "node:assert/strict";

const MUTATION =
  /Deno\.env\.(set|delete)\(|process\.env(\.\w+|\[[^\]]+\])\s*=(?!=)|delete\s+process\.env/;

Deno.test("no test, example or bench script mutates the process environment", async () => {
  const offenders: string[] = [];
  for (const dir of ["tests", "examples", "bench"]) {
    const walk = async (path: string): Promise<void> => {
      for await (const e of Deno.readDir(new URL(`../${path}`, import.meta.url))) {
        const child = `${path}/${e.name}`;
        if (e.isDirectory && e.name !== "node_modules") await walk(child);
        else if (e.isFile && /\.(ts|js|mjs)$/.test(e.name) && child !== "tests/" + SELF) {
          const text = await Deno.readTextFile(new URL(`../${child}`, import.meta.url));
          text.split("\n").forEach((line, i) => {
            if (MUTATION.test(line)) offenders.push(`${child}:${i + 1}`);
          });
        }
      }
    };
    await walk(dir);
  }
  assert.deepEqual(offenders, []);
});

const SELF = "no_env_mutation.test.ts";
