/**
 * `tinkex version`.
 * @module
 */
import { USER_AGENT, VERSION } from "../../mod.ts";
import { isJson, printJson, printLine } from "./output.ts";
import type { CommandContext, GroupModule } from "./spec.ts";

function version(ctx: CommandContext): Promise<number> {
  if (isJson(ctx)) printJson(ctx, { version: VERSION, user_agent: USER_AGENT });
  else printLine(ctx, `tinkex ${VERSION} (${USER_AGENT})`);
  return Promise.resolve(0);
}

/** Handlers of `tinkex version`. */
export const handlers: GroupModule["handlers"] = { version };
