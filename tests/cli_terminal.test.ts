/**
 * The CLI in a real terminal (tmux), read off the screen as a person sees it: the delete
 * prompt answered n, y and Ctrl-C; the progress display through a cut connection; Ctrl-C
 * during a download (the partial state kept); Ctrl-C stopping `tinkex serve`.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { listCheckpoints } from "../mod.ts";
import { KEYS, startCliServer } from "./_cli_helpers.ts";
import { API_KEY, startFixture, TINKER_PATH } from "./_download_fixture.ts";
import { noise, tar } from "./_tar_bytes.ts";
import { openTerminal } from "./_terminal.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const tinkex = (...args: string[]) => [Deno.execPath(), "run", "-A", "--quiet", CLI, ...args];

Deno.test("in a terminal: the delete prompt, answered n, y and Ctrl-C", async (t) => {
  const srv = await startCliServer();
  const env = srv.env(KEYS.carol);
  const left = async (runId: string) =>
    (await listCheckpoints(srv.config(KEYS.carol), { runId })).checkpoints.length;
  try {
    await t.step("n: 'Nothing deleted.', exit 1, both still there", async () => {
      const { runId, tinkerPaths } = await srv.seedRun(KEYS.carol, 2);
      const term = await openTerminal(tinkex("checkpoint", "delete", ...tinkerPaths), env);
      try {
        const asked = await term.waitFor(/\[y\/N\]$/m);
        assert.match(asked, /^To delete: 2 checkpoints$/m);
        assert.match(
          asked,
          /Delete 2 checkpoints \(.+\)\? This is permanent: they cannot be recovered\. \[y\/N\]/,
        );
        await term.keys("n", "Enter");
        const { code, screen } = await term.exit();
        assert.equal(code, 1);
        assert.match(screen, /\[y\/N\] n\nNothing deleted\.\n\[exit 1\]$/);
        assert.doesNotMatch(screen, /Error:/);
        assert.equal(await left(runId), 2);
      } finally {
        await term.close();
      }
    });

    await t.step("y: deleted, worded for one checkpoint", async () => {
      const { runId, tinkerPaths: [path] } = await srv.seedRun(KEYS.carol, 1);
      const term = await openTerminal(tinkex("checkpoint", "delete", path), env);
      try {
        const asked = await term.waitFor(/\[y\/N\]$/m);
        assert.match(
          asked,
          /Delete 1 checkpoint \(.+\)\? This is permanent: it cannot be recovered\./,
        );
        await term.keys("y", "Enter");
        const { code, screen } = await term.exit();
        assert.equal(code, 0, screen);
        assert.match(
          screen,
          new RegExp(`^Deleted ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"),
        );
        assert.equal(await left(runId), 0);
      } finally {
        await term.close();
      }
    });

    await t.step(
      "Ctrl-C at the prompt: 'Cancelled.' on its own line, exit 130, nothing deleted",
      async () => {
        const { runId, tinkerPaths: [path] } = await srv.seedRun(KEYS.carol, 1);
        const term = await openTerminal(tinkex("checkpoint", "delete", path), env);
        try {
          await term.waitFor(/\[y\/N\]$/m);
          await term.keys("C-c");
          const { code, screen } = await term.exit();
          assert.equal(code, 130, screen);
          assert.match(screen, /\[y\/N\] (\^C)?\nCancelled\.\n\[exit 130\]$/);
          assert.equal(await left(runId), 1);
        } finally {
          await term.close();
        }
      },
    );
  } finally {
    await srv.close();
  }
});

Deno.test("in a terminal: progress through a cut connection ends on the summary, no stale bar", async () => {
  const fx = startFixture({
    archive: tar([{ name: "model.safetensors", body: noise(900_000, 5) }]),
    cuts: [300_000],
  });
  const out = await Deno.makeTempDir({ prefix: "tinkex-cli-terminal-" });
  try {
    const term = await openTerminal(
      tinkex("checkpoint", "download", TINKER_PATH, "-o", out),
      { TINKER_BASE_URL: fx.baseUrl, TINKER_API_KEY: API_KEY },
    );
    try {
      const { code, screen } = await term.exit();
      assert.equal(code, 0, screen);
      const lines = screen.split("\n");
      const note = lines.findIndex((l) => /connection broke; resuming at \d+% \(/i.test(l));
      assert.ok(note >= 0, screen);
      const summary = lines.findIndex((l) =>
        /^Downloaded [\d.]+ KB in \d+:\d\d \([\d.]+ [KMG]?B\/s\)$/.test(l)
      );
      assert.ok(summary > note, `the summary comes last on stderr:\n${screen}`);
      assert.match(lines[summary + 1], /^Downloaded tinker:\/\/\S+ to \S+ \(1 file, /);
      // Every bar left on screen is a finished phase at 100%: no frame stuck mid-way.
      for (const bar of lines.filter((l) => /^Downloading \[/.test(l))) {
        assert.match(bar, / 100% /, `a stale frame:\n${screen}`);
      }
    } finally {
      await term.close();
    }
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("in a terminal: Ctrl-C during a download marks the bar cancelled, says the partial state is kept, no destination", async () => {
  let stalled!: () => void;
  const stall = new Promise<void>((resolve) => stalled = resolve);
  const fx = startFixture({
    archive: tar([
      { name: "adapter_config.json", body: noise(50_000, 2) },
      { name: "model.safetensors", body: noise(400_000, 3) },
    ]),
    stallAfter: [150_000],
    onStall: () => stalled(),
  });
  const out = await Deno.makeTempDir({ prefix: "tinkex-cli-terminal-" });
  try {
    const term = await openTerminal(
      tinkex("checkpoint", "download", TINKER_PATH, "-o", out),
      { TINKER_BASE_URL: fx.baseUrl, TINKER_API_KEY: API_KEY },
    );
    try {
      await stall;
      await term.waitFor(/^Downloading \[/m);
      // Ctrl-C once the first member is journaled (the client may lag the store's bytes).
      while (!journaled(out)) await new Promise((r) => setTimeout(r, 10));
      await term.keys("C-c");
      const { code, screen } = await term.exit();
      assert.equal(code, 130, screen);
      assert.match(screen, /^Downloading \[.*\(cancelled\)$/m);
      assert.match(screen, /^Cancelled\. Partial download kept in /m);
      assert.match(screen.replaceAll("\n", ""), /or --clean-partials\[exit 130\]$/m);
      assert.doesNotMatch(screen, /Error:/);
      const left = [...Deno.readDirSync(out)].map((e) => e.name);
      assert.equal(left.length, 1, `only the partial state: ${left}`);
      assert.match(left[0], /^\.tinkex-[0-9a-f]{10}-partial$/, "no destination");
    } finally {
      await term.close();
    }
  } finally {
    await fx.close();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("in a terminal: Ctrl-C while a listing waits: 'Cancelled.' on a line of its own, exit 130", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn); // never answer
  })();
  const term = await openTerminal(tinkex("checkpoint", "list"), {
    TINKER_BASE_URL: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    TINKER_API_KEY: KEYS.alice,
  });
  try {
    for (let i = 0; i < 600 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await term.keys("C-c");
    const { code, screen } = await term.exit();
    assert.equal(code, 130, screen);
    assert.match(screen, /^Cancelled\.\n\[exit 130\]$/m);
  } finally {
    await term.close();
    listener.close();
    for (const c of held) c.close();
    await accepting.catch(() => {});
  }
});

Deno.test("in a terminal: Ctrl-C stops tinkex serve cleanly (exit 0)", async () => {
  const term = await openTerminal(tinkex("serve", "--port", "0", "--seed"), {});
  try {
    await term.waitFor(/^Press Ctrl\+C to stop\.$/m);
    await term.keys("C-c");
    const { code, screen } = await term.exit();
    assert.equal(code, 0, screen);
    assert.match(screen, /^(\^C)?Stopping…\n\[exit 0\]$/m);
  } finally {
    await term.close();
  }
});

/** Whether a partial directory in `out` holds a journal yet. */
function journaled(out: string): boolean {
  return [...Deno.readDirSync(out)].some((d) =>
    [...Deno.readDirSync(`${out}/${d.name}`)].some((f) => f.name.startsWith("journal-"))
  );
}
