// src/client/http/timeouts.ts: request and stall timeouts without Deno's costly first setTimeout.
// They fire in order, a cancelled one never fires, a pending one holds the process open as a
// setTimeout would, and once none is pending nothing does (a CLI must not linger at exit).
import assert from "node:assert/strict";
import { onTimeout } from "../src/client/http/timeouts.ts";

const TIMEOUTS = new URL("../src/client/http/timeouts.ts", import.meta.url).href;

Deno.test("timeouts fire in order of their deadlines; a cancelled one never fires", async () => {
  const fired: string[] = [];
  const done = Promise.withResolvers<void>();
  onTimeout(60, () => {
    fired.push("60");
    done.resolve();
  });
  onTimeout(20, () => fired.push("20"));
  const cancel = onTimeout(40, () => fired.push("40"));
  onTimeout(0, () => fired.push("0"));
  cancel();
  await done.promise;
  assert.deepEqual(fired, ["0", "20", "60"]);
});

Deno.test("timeouts due together fire by deadline, and one cancelled by an earlier one does not", async () => {
  const fired: string[] = [];
  const done = Promise.withResolvers<void>();
  let cancelB = () => {};
  onTimeout(60, () => {
    fired.push("D");
    done.resolve();
  });
  cancelB = onTimeout(30, () => fired.push("B"));
  onTimeout(20, () => {
    fired.push("A");
    cancelB();
  });
  onTimeout(40, () => fired.push("C"));
  // Hold the event loop past every deadline, so that all of them are due at once.
  const until = performance.now() + 80;
  while (performance.now() < until) { /* busy */ }
  await done.promise;
  assert.deepEqual(fired, ["A", "C", "D"]);
});

Deno.test("a timeout set from a firing one fires too (re-armed windows)", async () => {
  const done = Promise.withResolvers<number>();
  let rounds = 0;
  const again = () => {
    if (++rounds < 3) onTimeout(5, again);
    else done.resolve(rounds);
  };
  onTimeout(5, again);
  assert.equal(await done.promise, 3);
});

/** Run a script in a fresh Deno; kill it if it lingers (a guard, not a timing assertion). */
async function script(code: string): Promise<{ code: number; stdout: string }> {
  const path = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(path, code);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", path],
      stdout: "piped",
    }).spawn();
    const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const out = await child.output();
    clearTimeout(guard);
    return { code: out.code, stdout: new TextDecoder().decode(out.stdout).trim() };
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("a process ends once no timeout is pending, and waits for a pending one", async () => {
  const ended = await script(
    `import { onTimeout } from "${TIMEOUTS}";\n` +
      `const cancel = onTimeout(60_000, () => console.log("fired"));\n` +
      `onTimeout(0, () => { cancel(); console.log("cancelled"); });\n`,
  );
  assert.deepEqual(ended, { code: 0, stdout: "cancelled" }, "not held for 60 s by a cancelled one");
  const waited = await script(
    `import { onTimeout } from "${TIMEOUTS}";\nonTimeout(200, () => console.log("fired"));\n`,
  );
  assert.deepEqual(waited, { code: 0, stdout: "fired" });
});
