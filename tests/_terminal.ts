/**
 * A real terminal for CLI tests: the command runs in a tmux pane (a pseudo-terminal with a
 * terminal emulator behind it), keys are typed with send-keys, and the screen is read with
 * capture-pane — what a person would see, after every redraw and erase.
 * @module
 */

/** A command running in its own tmux server. */
export interface Terminal {
  /** Type text or keys (tmux key names such as `Enter`, `C-c`). */
  keys(...keys: string[]): Promise<void>;
  /** The screen as plain text: wrapped lines joined, trailing spaces and blank lines dropped. */
  screen(): Promise<string>;
  /** Wait until the screen matches `pattern` (bounded: fails with the screen after ~30 s). */
  waitFor(pattern: RegExp): Promise<string>;
  /** Wait for the command to end; its exit code, and the final screen. */
  exit(): Promise<{ code: number; screen: string }>;
  /** Stop the tmux server. */
  close(): Promise<void>;
}

async function tmux(socket: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args: ["-S", socket, "-f", "/dev/null", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (out.code !== 0) throw new Error(`tmux ${args[0]}: ${text.decode(out.stderr)}`);
  return text.decode(out.stdout);
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Start `argv` with `env` in a fresh terminal of `columns` × 40. The pane stays after the
 * command ends, with `[exit N]` printed below its output.
 */
export async function openTerminal(
  argv: string[],
  env: Record<string, string>,
  opts: { columns?: number; cwd?: string } = {},
): Promise<Terminal> {
  // Its own server on a socket in a temp directory, removed on close: nothing is left behind.
  const dir = await Deno.makeTempDir({ prefix: "tinkex-tmux-" });
  const socket = `${dir}/socket`;
  const vars = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ");
  const command = `env ${vars} ${argv.map(shellQuote).join(" ")}; echo "[exit $?]"; sleep 600`;
  await tmux(
    socket,
    "new-session",
    "-d",
    "-x",
    String(opts.columns ?? 120),
    "-y",
    "40",
    ...(opts.cwd ? ["-c", opts.cwd] : []),
    command,
  );
  // -J joins lines the terminal wrapped; trailing spaces (kept by -J) are dropped per line.
  const screen = async () =>
    (await tmux(socket, "capture-pane", "-p", "-J", "-t", "0")).split("\n")
      .map((line) => line.trimEnd()).join("\n").trimEnd();
  const waitFor = async (pattern: RegExp) => {
    let last = "";
    for (let i = 0; i < 600; i++) {
      last = await screen();
      if (pattern.test(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`The screen never matched ${pattern}:\n${last}`);
  };
  return {
    keys: async (...keys) => void await tmux(socket, "send-keys", "-t", "0", ...keys),
    screen,
    waitFor,
    exit: async () => {
      const text = await waitFor(/^\[exit \d+\]$/m);
      return { code: Number(/^\[exit (\d+)\]$/m.exec(text)![1]), screen: text };
    },
    close: async () => {
      await tmux(socket, "kill-server").catch(() => "");
      await Deno.remove(dir, { recursive: true });
    },
  };
}
