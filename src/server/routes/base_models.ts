/**
 * The base models the server offers (`get_server_capabilities`) and, when configured with
 * `baseModels`, the only ones it accepts.
 * @module
 */
import type { ServerContext } from "../http/context.ts";
import { badRequest } from "../http/responses.ts";

/** A 400 when the server only accepts its listed base models and `name` is not one. */
export function checkBaseModel(server: ServerContext, name: string): void {
  const { names, enforced } = server.options.baseModels;
  if (enforced && !names.includes(name)) {
    throw badRequest(
      `Base model ${JSON.stringify(name)} is not supported; supported: ${names.join(", ")} ` +
        "(see get_server_capabilities)",
    );
  }
}
