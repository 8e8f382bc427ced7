/**
 * Copy a sampler checkpoint into a run of your own (with its own TTL), open a sampling session
 * on the copy, then finish the session, as the official SDK does when it closes.
 *
 * Run: `npx -y deno@2 run -A examples/copy_and_sample.ts`
 * @module
 */
import {
  configFromEnv,
  copyWeights,
  createSamplingSession,
  createSession,
  createTrainingClient,
  finishSession,
  getSampler,
  getServerCapabilities,
  saveWeightsForSampler,
} from "@tinkex/tinkex";

const config = configFromEnv();
const { supported_models } = await getServerCapabilities(config);
console.log(`the service offers ${supported_models.map((m) => m.model_name).join(", ")}`);

const client = await createTrainingClient(config, {
  baseModel: "Qwen/Qwen3-8B",
  rank: 8,
  userMetadata: { example: "copy_and_sample" },
});
const source = await saveWeightsForSampler(client, "final", { userMetadata: { stage: "final" } });

const session = await createSession(config, { userMetadata: { purpose: "evaluation" } });
let status: "success" | "errored" = "errored";
try {
  const copy = await copyWeights(config, source, { session, ttlSeconds: 30 * 86_400 });
  console.log(`copied ${source}\n    to ${copy}`);
  const samplerId = await createSamplingSession(config, { modelPath: copy }, { session });
  const sampler = await getSampler(config, samplerId);
  console.log(`sampler ${sampler.sampler_id} on ${sampler.base_model} from ${sampler.model_path}`);
  status = "success";
} finally {
  await finishSession(config, session.sessionId, status);
  console.log(`session finished: ${status}`);
}
