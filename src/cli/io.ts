/**
 * Where the CLI reads and writes: stdout for results, stderr for progress, prompts and errors.
 * Injectable so the CLI can be embedded and tested in-process.
 * @module
 */

/** The streams and facts about them that the CLI uses. */
export interface CliIo {
  /** Write text to stdout (results, JSON). */
  stdout(text: string): void;
  /** Write text to stderr (progress, prompts, warnings, errors). */
  stderr(text: string): void;
  /** Read one line from stdin, without its line ending; null at end of input. */
  readLine(): Promise<string | null>;
  /** Whether each stream is a terminal. */
  isTerminal: { stdin: boolean; stdout: boolean; stderr: boolean };
  /** Read an environment variable. */
  env(name: string): string | undefined;
  /** Width of the terminal on stderr, when known. */
  columns(): number | undefined;
}

interface DenoLike {
  stdin: { isTerminal(): boolean; read(p: Uint8Array): Promise<number | null> };
  stdout: { isTerminal(): boolean; writeSync(p: Uint8Array): number };
  stderr: { isTerminal(): boolean; writeSync(p: Uint8Array): number };
  env: { get(name: string): string | undefined };
  consoleSize(): { columns: number };
}

interface NodeStream {
  isTTY?: boolean;
  write(s: string): boolean;
  columns?: number;
  on(ev: "error", fn: (e: { code?: string }) => void): void;
}

interface ProcessLike {
  stdin: NodeStream & {
    once(ev: string, fn: (d?: unknown) => void): void;
    off(ev: string, fn: (d?: unknown) => void): void;
    pause(): void;
  };
  stdout: NodeStream;
  stderr: NodeStream;
  env: Record<string, string | undefined>;
}

/**
 * The real streams of the process: Deno's when running under Deno, else Node/Bun's `process`.
 */
export function defaultIo(): CliIo {
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  return deno
    ? denoIo(deno)
    : processIo((globalThis as unknown as { process: ProcessLike }).process);
}

/** Complete a partial io with the process defaults. */
export function withDefaults(io: Partial<CliIo> = {}): CliIo {
  const base = defaultIo();
  return { ...base, ...io, isTerminal: { ...base.isTerminal, ...io.isTerminal } };
}

function denoIo(deno: DenoLike): CliIo {
  const encoder = new TextEncoder();
  const write = (stream: DenoLike["stdout"]) => (text: string) => {
    let bytes = encoder.encode(text);
    try {
      while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
    } catch (e) {
      // The reader went away (`tinkex … | head`): stop writing quietly.
      if (!(e instanceof Error && e.name === "BrokenPipe")) throw e;
    }
  };
  return {
    stdout: write(deno.stdout),
    stderr: write(deno.stderr),
    readLine: () => readLineFrom((buf) => deno.stdin.read(buf)),
    isTerminal: {
      stdin: deno.stdin.isTerminal(),
      stdout: deno.stdout.isTerminal(),
      stderr: deno.stderr.isTerminal(),
    },
    env: (name) => {
      try {
        return deno.env.get(name);
      } catch {
        return undefined;
      }
    },
    columns: () => {
      try {
        return deno.consoleSize().columns;
      } catch {
        return undefined;
      }
    },
  };
}

/** Streams whose reader went away (EPIPE), and streams already watched for that. */
const brokenStreams = new WeakSet<NodeStream>();
const watchedStreams = new WeakSet<NodeStream>();

/**
 * Write to a Node stream; once its reader went away (`tinkex … | head`), stop writing quietly,
 * as under Deno, instead of dying of an unhandled EPIPE.
 */
function writerTo(stream: NodeStream): (text: string) => void {
  if (!watchedStreams.has(stream)) {
    watchedStreams.add(stream);
    stream.on("error", (e) => {
      if (e.code !== "EPIPE") throw e;
      brokenStreams.add(stream);
    });
  }
  return (text) => void (brokenStreams.has(stream) || stream.write(text));
}

function processIo(proc: ProcessLike): CliIo {
  return {
    stdout: writerTo(proc.stdout),
    stderr: writerTo(proc.stderr),
    readLine: () =>
      new Promise((resolve) => {
        const onData = (d?: unknown) => {
          proc.stdin.off("end", onEnd);
          proc.stdin.pause();
          resolve(String(d).replace(/\r?\n[\s\S]*$/, ""));
        };
        const onEnd = () => {
          proc.stdin.off("data", onData);
          resolve(null);
        };
        proc.stdin.once("data", onData);
        proc.stdin.once("end", onEnd);
      }),
    isTerminal: {
      stdin: !!proc.stdin.isTTY,
      stdout: !!proc.stdout.isTTY,
      stderr: !!proc.stderr.isTTY,
    },
    env: (name) => proc.env[name],
    columns: () => proc.stderr.columns,
  };
}

async function readLineFrom(
  read: (buf: Uint8Array) => Promise<number | null>,
): Promise<string | null> {
  const decoder = new TextDecoder();
  const buf = new Uint8Array(1);
  let line = "";
  for (;;) {
    const n = await read(buf);
    if (n === null || n === 0) return line === "" ? null : line;
    const ch = decoder.decode(buf.subarray(0, n), { stream: true });
    if (ch === "\n") return line.replace(/\r$/, "");
    line += ch;
  }
}

/** Whether colour may be used on a stream: a terminal, and `NO_COLOR` unset or empty. */
export function colorEnabled(io: CliIo, stream: "stdout" | "stderr"): boolean {
  const noColor = io.env("NO_COLOR");
  return io.isTerminal[stream] && (noColor === undefined || noColor === "");
}
