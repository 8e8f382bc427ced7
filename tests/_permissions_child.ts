// A download() run by tests/deno_permissions.test.ts under narrow Deno permissions: prints
// {"ok": true, "destination", "files"} or {"ok": false, "name", "message"} as one JSON line.
import { configFromEnv, download } from "../mod.ts";

const [path, outputDir] = Deno.args;
try {
  const r = await download(configFromEnv(), path, { outputDir });
  console.log(JSON.stringify({ ok: true, destination: r.destination, files: r.files.length }));
} catch (e) {
  const error = e as Error;
  console.log(JSON.stringify({ ok: false, name: error.name, message: error.message }));
}
