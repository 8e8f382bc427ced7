/**
 * Checkpoint addresses from route parameters or tinker paths, with 400s that say what is wrong.
 * @module
 */
import { InvalidTinkerPathError } from "../../protocol/errors.ts";
import { type CheckpointKind, parseTinkerPath, type TinkerPath } from "../../protocol/paths.ts";
import { badRequest } from "../http/responses.ts";

const KINDS: readonly string[] = ["weights", "sampler_weights"];

/**
 * The checkpoint a route's `:run`, `:kind` and `:name` name (the router never yields an empty
 * segment or one holding `/`, so this is a valid tinker path).
 */
export function addressFromParams(params: Record<string, string>): TinkerPath {
  if (!KINDS.includes(params.kind)) {
    throw badRequest(
      `Unknown checkpoint kind ${
        JSON.stringify(params.kind)
      }: expected "weights" or "sampler_weights"`,
    );
  }
  return { runId: params.run, kind: params.kind as CheckpointKind, name: params.name };
}

/** Parse a tinker path, turning a bad one into a 400 naming the wrong part. */
export function addressFromPath(path: string): TinkerPath {
  try {
    return parseTinkerPath(path);
  } catch (e) {
    if (e instanceof InvalidTinkerPathError) throw badRequest(e.message);
    throw e;
  }
}
