// A download() in its own process, for tests that kill it: `deno run -A tests/_download_child.ts
// BASE_URL API_KEY TINKER_PATH OUTPUT_DIR`. Prints "done" when it finishes.
import { download } from "../mod.ts";

const [baseUrl, apiKey, path, outputDir] = Deno.args;
await download({ apiKey, baseUrl }, path, { outputDir, connections: 1 });
console.log("done");
