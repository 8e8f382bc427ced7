/**
 * The tinkex version, kept in step with `deno.json`.
 *
 * @example
 * ```ts
 * import { VERSION } from "@tinkex/tinkex";
 * console.log(`tinkex ${VERSION}`);
 * ```
 */
export const VERSION = "0.1.0";

/**
 * The official Python SDK version tinkex reports as `sdk_version` when it creates a session. The
 * service resolves its feature flags per SDK version (the Elixir port pins a Python SDK version
 * for the same reason), so tinkex names the newest SDK whose wire types it follows: 0.33.0 (the
 * `external` checkpoint type, copy_weights, sessions/{id}/finish, save_weights_external).
 *
 * @example
 * ```ts
 * import { TINKER_SDK_VERSION } from "@tinkex/tinkex";
 * console.log(TINKER_SDK_VERSION); // "0.33.0"
 * ```
 */
export const TINKER_SDK_VERSION = "0.33.0";
