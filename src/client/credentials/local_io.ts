/**
 * The two credential sources that need the machine: reading the credentials file and running
 * `TINKER_CREDENTIAL_CMD`. Loaded only by dynamic import, the file through `local/system.ts` and
 * the child process through `process.getBuiltinModule`, so `mod.ts` still loads (and bundles)
 * where there are none.
 * @module
 */
import { ConfigError } from "../errors.ts";
import { codeOf, localSystem, NOT_PERMITTED } from "../local/system.ts";
import { builtinModule } from "../runtime.ts";

/** The part of a spawned child process used here. */
interface Child {
  stdout: { on(event: "data", fn: (chunk: Uint8Array) => void): void } | null;
  on(event: "error", fn: (e: unknown) => void): void;
  on(event: "close", fn: (code: number | null, signal: string | null) => void): void;
  kill(signal: string): void;
}

/** The part of `node:child_process` used here. */
interface ChildProcess {
  spawn(command: string, options: { shell: boolean; stdio: string[] }): Child;
}

/** A credentials file larger than this is refused (the official one is a few hundred bytes). */
const MAX_FILE_BYTES = 1 << 20;
/** A credential command gets this long before it is stopped. */
export const CREDENTIAL_CMD_TIMEOUT_MS = 60_000;
/** A credential command printing more than this is refused. */
const MAX_CMD_OUTPUT_BYTES = 64 * 1024;

/** A read credentials file: its text and whether others may read it. */
export interface CredentialsFile {
  /** The file's text. */
  text: string;
  /** Set when the file or its directory is open to the group or others. */
  looseMode?: string;
}

/** Read the credentials file; undefined when it does not exist. */
export async function readCredentialsFile(path: string): Promise<CredentialsFile | undefined> {
  const { fs } = localSystem("Cannot read the credentials file");
  let info;
  try {
    info = await fs.stat(path);
  } catch (e) {
    if (codeOf(e) === "ENOENT") return undefined;
    throw new ConfigError(`Cannot read the credentials file ${path}: ${codeOrIoError(e)}`);
  }
  if (!info.isFile()) throw new ConfigError(`Cannot read the credentials file ${path}: not a file`);
  if (info.size > MAX_FILE_BYTES) {
    throw new ConfigError(`Cannot read the credentials file ${path}: larger than 1 MiB`);
  }
  let text: string;
  try {
    text = await fs.readFile(path, "utf8");
  } catch (e) {
    throw new ConfigError(`Cannot read the credentials file ${path}: ${codeOrIoError(e)}`);
  }
  const dir = path.replace(/[\\/][^\\/]*$/, "") || "/";
  const dirMode = await fs.stat(dir).then((d) => d.mode, () => 0);
  // POSIX only: Windows reports no group/other bits worth judging.
  const posix = (globalThis as { process?: { platform?: string } }).process?.platform !== "win32";
  const loose = posix && ((info.mode & 0o077) !== 0 || (dirMode & 0o077) !== 0);
  const mode = (m: number) => (m & 0o777).toString(8).padStart(3, "0");
  return {
    text,
    looseMode: loose ? `file ${mode(info.mode)}, directory ${mode(dirMode)}` : undefined,
  };
}

/**
 * Run the credential command through the shell (as the SDK does) and return its trimmed stdout.
 * Its output and stderr are never shown: a failure says only how it failed.
 */
export async function runCredentialCommand(
  command: string,
  timeoutMs: number = CREDENTIAL_CMD_TIMEOUT_MS,
): Promise<string> {
  const { spawn } = builtinModule<ChildProcess>(
    "node:child_process",
    "Cannot run TINKER_CREDENTIAL_CMD",
  );
  const failed = (how: string) =>
    new ConfigError(
      `Cannot get a credential from TINKER_CREDENTIAL_CMD: ${how}. Run the command yourself to see why (its output is never shown here)`,
    );
  return await new Promise<string>((resolve, reject) => {
    let child: Child;
    try {
      child = spawn(command, { shell: true, stdio: ["ignore", "pipe", "ignore"] });
    } catch (e) {
      // Deno refuses before starting anything when --allow-run is missing.
      return reject(failed(`it could not be started (${codeOrIoError(e, "--allow-run")})`));
    }
    const decoder = new TextDecoder();
    let text = "";
    let size = 0;
    let settled = false;
    const finish = (error: ConfigError | undefined, value = "") => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        child.kill("SIGKILL");
        reject(error);
      } else resolve(value);
    };
    const timer = setTimeout(
      () => finish(failed(`it did not finish within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    child.stdout!.on("data", (chunk: Uint8Array) => {
      size += chunk.length;
      if (size > MAX_CMD_OUTPUT_BYTES) finish(failed("it printed more than 64 KiB"));
      else text += decoder.decode(chunk, { stream: true });
    });
    child.on(
      "error",
      (e: unknown) =>
        finish(failed(`it could not be started (${codeOrIoError(e, "--allow-run")})`)),
    );
    child.on("close", (code: number | null, signal: string | null) => {
      if (code !== 0) {
        return finish(
          failed(code === null ? `it was killed (${signal})` : `it exited with ${code}`),
        );
      }
      const out = (text + decoder.decode()).trim();
      if (out === "") return finish(failed("it printed no credential"));
      if (/\s/.test(out)) return finish(failed("it printed more than one word"));
      finish(undefined, out);
    });
  });
}

/** The error's system code, for a message. */
function codeOrIoError(e: unknown, denoFlag = "--allow-read for it"): string {
  const code = codeOf(e);
  if (code === NOT_PERMITTED) {
    return `the runtime's permissions do not allow it: under Deno grant ${denoFlag}, or set ` +
      "TINKER_API_KEY";
  }
  return code ?? "an I/O error";
}
