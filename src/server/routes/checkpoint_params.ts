/**
 * Checkpoint addresses from route parameters or tinker paths, with 400s that say what is wrong.
 * @module
 */
import { InvalidTinkerPathError } from "../../protocol/errors.ts";
import {
  isCheckpointKind,
  KINDS_TEXT,
  parseTinkerPath,
  type TinkerPath,
} from "../../protocol/paths.ts";
import { badRequest } from "../http/responses.ts";

/**
 * The checkpoint a route's `:run`, `:kind` and `:name` name (the router never yields an empty
 * segment or one holding `/`, so this is a valid tinker path).
 */
export function addressFromParams(params: Record<string, string>): TinkerPath {
  const kind = params.kind;
  if (!isCheckpointKind(kind)) {
    throw badRequest(`Unknown checkpoint kind ${JSON.stringify(kind)}: expected ${KINDS_TEXT}`);
  }
  return { runId: params.run, kind, name: params.name };
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
