/**
 * `tinkex serve …`: hands its arguments to the local server's own `main`, loaded only now so
 * the other commands start fast.
 * @module
 */
import type { CommandContext, GroupModule } from "./spec.ts";

async function serve(ctx: CommandContext): Promise<number> {
  const { main } = await import("../../server.ts");
  return await main([...ctx.args]);
}

/** Handlers of `tinkex serve`. */
export const handlers: GroupModule["handlers"] = { serve };
