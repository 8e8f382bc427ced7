/**
 * `tinkex serve …`: hands its arguments to the local server's own `main`, loaded only now.
 * @module
 */
import type { CommandContext, GroupModule } from "./spec.ts";

type ServerMain = (args: string[]) => Promise<number>;

async function serve(ctx: CommandContext): Promise<number> {
  const server = await import("../../server.ts") as unknown as { main: ServerMain };
  return await server.main([...ctx.args]);
}

/** Handlers of `tinkex serve`. */
export const handlers: GroupModule["handlers"] = { serve };
