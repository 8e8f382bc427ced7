/**
 * Crash soak of `tinkex serve`: start it on a data directory, fire a burst of mixed writes
 * (saves, overwrites, publish/unpublish, TTLs, deletes, sessions) from several clients, `kill -9`
 * it at a random moment, count what the crash left on disk, restart it, and check every
 * acknowledged write against what the restarted server shows. Prints one row per cycle.
 *
 * ```sh
 * deno run -A bench/soak.ts                          # 12 cycles, 8 clients
 * deno run -A bench/soak.ts --cycles 40 --clients 16 --seed 7 --dir /var/tmp
 * ```
 *
 * A write is *acknowledged* when its answer arrived (200, or a finished future). One still in
 * flight at the kill may land or not; either is fine. Lost = an acknowledged write the restarted
 * server does not show. Orphans = archive objects no record names, and temp files, as the crash
 * left them; the restart must reclaim them all (left after restart = 0).
 * @module
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    cycles: { type: "string", default: "12" },
    clients: { type: "string", default: "8" },
    seed: { type: "string", default: String(Date.now() % 100_000) },
    dir: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("Usage: deno run -A bench/soak.ts [--cycles N] [--clients N] [--seed N] [--dir DIR]");
  Deno.exit(0);
}
const cycles = Number(values.cycles);
const clients = Number(values.clients);
const KEY = "tml-soak-bench-key";
const ROOT = new URL("..", import.meta.url).pathname;

/** mulberry32: a small seeded PRNG, so a run can be repeated with `--seed`. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(Number(values.seed));

interface Server {
  child: Deno.ChildProcess;
  baseUrl: string;
  reclaimed: { objects: number; tempFiles: number; bytes: number };
}

async function start(dataDir: string): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", "serve", "--port", "0", "--json", "--data", dataDir],
    cwd: ROOT,
    env: { TINKEX_SERVE_API_KEYS: KEY },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve exited before listening: ${text}`);
    text += value;
    try {
      const banner = JSON.parse(text);
      reader.releaseLock();
      return { child, baseUrl: banner.base_url, reclaimed: banner.reclaimed };
    } catch {
      // not the whole object yet
    }
  }
}

async function kill(server: Server): Promise<void> {
  server.child.kill("SIGKILL");
  await server.child.status;
  await server.child.stdout.cancel().catch(() => {});
}

/** A server that went away: the write's outcome is unknown. */
class Gone extends Error {}

async function call(
  server: Server,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(server.baseUrl + path, {
      method,
      headers: { "x-api-key": KEY, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: "manual",
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  } catch {
    throw new Gone();
  }
}

async function future(
  server: Server,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const submitted = await call(server, "POST", path, body);
  if (submitted.status !== 200) return { error: `submit ${submitted.status}` };
  for (;;) {
    const r = await call(server, "POST", "/api/v1/retrieve_future", {
      request_id: submitted.body.request_id,
      allow_metadata_only: false,
    });
    if (r.status !== 200) return { error: `retrieve ${r.status}` };
    if (r.body.type !== "try_again") return r.body;
  }
}

/** What a checkpoint should look like; `undefined` = absent. */
type State = { public: boolean; ttl: boolean } | undefined;

interface Tracked {
  name: string;
  acked: State;
  /** The effect of a write in flight at the kill, if any. */
  pending?: { state: State };
}

interface Tally {
  acked: number;
  inFlight: number;
}

const enc = encodeURIComponent;
const ckptPath = (run: string, name: string, suffix = "") =>
  `/api/v1/training_runs/${enc(run)}/checkpoints/weights/${enc(name)}${suffix}`;

/** One client: its own checkpoints, one write at a time, until the server dies. */
async function client(
  server: Server,
  run: string,
  id: string,
  tracked: Map<string, Tracked>,
  sessions: Map<string, boolean>,
  tally: Tally,
): Promise<void> {
  let n = 0;
  let seq = 1;
  for (;;) {
    const mine = [...tracked.values()].filter((t) => t.name.startsWith(`${id}-`) && t.acked);
    const r = random();
    let target: Tracked;
    let next: State;
    let write: () => Promise<boolean>;
    if (r < 0.08) {
      // A session: acknowledged when create_session answers.
      try {
        const res = await call(server, "POST", "/api/v1/create_session", { tags: ["soak"] });
        if (res.status === 200) {
          sessions.set(res.body.session_id as string, true);
          tally.acked++;
        }
      } catch (e) {
        if (e instanceof Gone) return void tally.inFlight++;
        throw e;
      }
      continue;
    }
    if (mine.length < 3 || r < 0.35) {
      const name = `${id}-${n++}`;
      target = { name, acked: undefined };
      tracked.set(name, target);
      next = { public: false, ttl: false };
      write = async () => !(await save(server, run, name, seq++, false)).error;
    } else {
      target = mine[Math.floor(random() * mine.length)];
      const state = target.acked!;
      const op = random();
      if (op < 0.3) {
        next = { ...state, public: !state.public };
        write = async () =>
          (await call(
            server,
            state.public ? "DELETE" : "POST",
            ckptPath(run, target.name, "/publish"),
          ))
            .status === 200;
      } else if (op < 0.5) {
        next = { ...state, ttl: true };
        write = async () =>
          (await call(server, "PUT", ckptPath(run, target.name, "/ttl"), { ttl_seconds: 86_400 }))
            .status === 200;
      } else if (op < 0.75) {
        next = { public: false, ttl: false }; // an overwrite is a new, private checkpoint
        write = async () => !(await save(server, run, target.name, seq++, true)).error;
      } else {
        next = undefined;
        write = async () =>
          (await call(server, "DELETE", ckptPath(run, target.name))).status === 200;
      }
    }
    target.pending = { state: next };
    try {
      if (await write()) {
        target.acked = next;
        tally.acked++;
      }
      target.pending = undefined;
      if (!target.acked) tracked.delete(target.name);
    } catch (e) {
      if (!(e instanceof Gone)) throw e;
      tally.inFlight++;
      return;
    }
  }
}

function save(server: Server, run: string, name: string, seq: number, overwrite: boolean) {
  return future(server, "/api/v1/save_weights", {
    model_id: run,
    path: name,
    seq_id: seq,
    overwrite,
    type: "save_weights",
  });
}

/** Orphans on disk: objects no run record names, and temp files. */
async function orphansOnDisk(dataDir: string): Promise<{ objects: number; temp: number }> {
  const named = new Set<string>();
  for await (const e of Deno.readDir(`${dataDir}/runs`)) {
    if (!e.name.endsWith(".json")) continue;
    const run = JSON.parse(await Deno.readTextFile(`${dataDir}/runs/${e.name}`));
    for (const c of Object.values(run.checkpoints) as { object_id: string }[]) {
      named.add(c.object_id);
    }
  }
  let objects = 0;
  for await (const e of Deno.readDir(`${dataDir}/objects`)) {
    if (!named.has(e.name.replace(/\.tar$/, ""))) objects++;
  }
  let temp = 0;
  for await (const _ of Deno.readDir(`${dataDir}/tmp`)) temp++;
  return { objects, temp };
}

/** Compare what the restarted server shows with every acknowledged write. */
async function verify(
  server: Server,
  run: string,
  tracked: Map<string, Tracked>,
  sessions: Map<string, boolean>,
): Promise<{ present: number; lost: string[] }> {
  const res = await call(server, "GET", `/api/v1/training_runs/${enc(run)}/checkpoints`);
  const shown = new Map<string, State>();
  for (
    const c of res.body.checkpoints as {
      checkpoint_id: string;
      public: boolean;
      expires_at: string | null;
    }[]
  ) {
    shown.set(c.checkpoint_id.slice("weights/".length), {
      public: c.public,
      ttl: c.expires_at !== null,
    });
  }
  const same = (a: State, b: State) =>
    a === undefined ? b === undefined : b !== undefined && a.public === b.public && a.ttl === b.ttl;
  let present = 0;
  const lost: string[] = [];
  for (const t of tracked.values()) {
    const actual = shown.get(t.name);
    if (same(actual, t.acked)) {
      present++;
    } else if (t.pending && same(actual, t.pending.state)) {
      present++;
      t.acked = t.pending.state; // the write in flight landed
    } else {
      lost.push(`${t.name}: expected ${JSON.stringify(t.acked)}, shows ${JSON.stringify(actual)}`);
    }
    t.pending = undefined;
    if (!t.acked) tracked.delete(t.name);
  }
  for (const name of shown.keys()) {
    if (!tracked.has(name)) {
      // A save in flight at the kill that landed without its answer: fine, now tracked.
      tracked.set(name, { name, acked: shown.get(name) });
    }
  }
  for (const id of sessions.keys()) {
    const s = await call(server, "GET", `/api/v1/sessions/${enc(id)}`);
    if (s.status === 200) present++;
    else lost.push(`session ${id}: ${s.status}`);
  }
  return { present, lost };
}

const dataDir = await Deno.makeTempDir({ dir: values.dir, prefix: "tinkex-soak-" });
const tracked = new Map<string, Tracked>();
const sessions = new Map<string, boolean>();
let server = await start(dataDir);
const session = await call(server, "POST", "/api/v1/create_session", {});
const created = await future(server, "/api/v1/create_model", {
  session_id: session.body.session_id,
  model_seq_id: 0,
  base_model: "Qwen/Qwen3-8B",
  lora_config: { rank: 8 },
});
const run = created.model_id as string;

console.log(`tinkex serve crash soak: ${cycles} cycles, ${clients} clients, seed ${values.seed}`);
console.log(`data: ${dataDir}\n`);
const header = [
  "cycle",
  "kill at",
  "acked",
  "in flight",
  "present",
  "lost",
  "orphan objects",
  "temp files",
  "reclaimed",
  "left after restart",
];
console.log(header.join(" | "));
let totals = { acked: 0, present: 0, lost: 0, orphans: 0, temp: 0, left: 0 };
for (let cycle = 1; cycle <= cycles; cycle++) {
  const tally: Tally = { acked: 0, inFlight: 0 };
  const killAt = Math.floor(100 + random() * 1400);
  const workers = Array.from(
    { length: clients },
    (_, i) => client(server, run, `c${cycle}x${i}`, tracked, sessions, tally),
  );
  await new Promise((r) => setTimeout(r, killAt));
  await kill(server);
  await Promise.all(workers);
  const orphans = await orphansOnDisk(dataDir);
  server = await start(dataDir);
  const left = await orphansOnDisk(dataDir);
  const { present, lost } = await verify(server, run, tracked, sessions);
  for (const l of lost) console.log(`  LOST ${l}`);
  const r = server.reclaimed;
  console.log([
    cycle,
    `${killAt} ms`,
    tally.acked,
    tally.inFlight,
    present,
    lost.length,
    orphans.objects,
    orphans.temp,
    `${r.objects} objects + ${r.tempFiles} temp (${(r.bytes / 1024).toFixed(0)} KiB)`,
    left.objects + left.temp,
  ].join(" | "));
  totals = {
    acked: totals.acked + tally.acked,
    present,
    lost: totals.lost + lost.length,
    orphans: totals.orphans + orphans.objects,
    temp: totals.temp + orphans.temp,
    left: totals.left + left.objects + left.temp,
  };
}
await kill(server);
console.log(
  `\n${cycles} kill -9 cycles: ${totals.acked} acknowledged writes, ${totals.lost} lost; ` +
    `${totals.present} checkpoints and sessions checked at the end; crashes left ` +
    `${totals.orphans} orphaned objects and ${totals.temp} temp files, ${totals.left} left after restarts.`,
);
await Deno.remove(dataDir, { recursive: true });
if (totals.lost > 0 || totals.left > 0) Deno.exit(1);
