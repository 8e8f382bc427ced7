/**
 * A TypeScript consumer of the built npm package (tests/runtime_npm.test.ts type-checks it with
 * tsc, then runs it under Node and Bun): the complete workflow, against the server named by
 * TINKER_BASE_URL / TINKER_API_KEY, or ("self") a local server hosted by this runtime.
 * Usage: main.(ts|js) OUTPUT_DIR deno|self
 * @module
 */
import process from "node:process";
import { completeWorkflow, type WorkflowSummary } from "./complete_workflow.ts";
import { configFromEnv, type TinkerConfig, TinkerError, VERSION } from "@tinkex/tinkex";
import { type RunningServer, serve } from "@tinkex/tinkex/server";

const [outputDir, host] = process.argv.slice(2);
const server: RunningServer | undefined = host === "self" ? await serve({ seed: true }) : undefined;
const config: TinkerConfig = server
  ? { apiKey: server.apiKeys[0], baseUrl: server.baseUrl }
  : configFromEnv();
try {
  const summary: WorkflowSummary = await completeWorkflow(config, outputDir, () => {});
  console.log(JSON.stringify({ version: VERSION, ...summary }));
} catch (e) {
  console.error(e instanceof TinkerError ? `${e.name} (${e.category}): ${e.message}` : e);
  process.exitCode = 1;
} finally {
  await server?.close();
}
