/**
 * Timeouts for work that is pending anyway (a request, a body being read). Under Deno, without
 * the global `setTimeout`: Deno 2.9's comes from its Node layer, loaded on first use (~6 ms, a
 * twentieth of a 64 MiB download; a first `AbortSignal.timeout` costs 0.4 ms). There one native
 * `AbortSignal.timeout` serves every pending timeout (the nearest deadline), so cancelling one is
 * dropping an entry; a native timer cannot be cancelled, so it stops being listened to once
 * nothing is pending (Deno holds the process open for a listened-to timeout signal). Elsewhere a
 * plain `setTimeout` per timeout: a timer may belong to one request there (workerd drops a
 * finished request's timers), so none is shared.
 * @module
 */

/** Whether timers are shared (see the module notes). */
const SHARED = typeof (globalThis as { Deno?: unknown }).Deno === "object" &&
  typeof AbortSignal.timeout === "function";

interface Pending {
  at: number;
  fire: () => void;
}

/** A native timer: when it fires, and how to stop listening to it. */
interface Native {
  at: number;
  /** Stop listening (Deno keeps the process alive while a timeout signal has a listener). */
  detach: () => void;
}

const pending = new Set<Pending>();
/** The native timers not yet fired (few: one per nearer deadline). */
const natives: Native[] = [];

const now = (): number => performance.now();

/**
 * Call `fire` after `ms` milliseconds, unless the returned function is called first. Due
 * timeouts fire in the order of their deadlines. A pending one holds the process open, as a
 * `setTimeout` does (elsewhere it is one), and under Deno, once none is pending, nothing does.
 *
 * @example
 * ```ts
 * import { onTimeout } from "./timeouts.ts";
 * const cancel = onTimeout(60_000, () => console.error("the request took too long"));
 * cancel(); // it finished in time
 * ```
 */
export function onTimeout(ms: number, fire: () => void): () => void {
  if (!SHARED) {
    const id = setTimeout(fire, Math.max(0, ms));
    return () => clearTimeout(id);
  }
  const entry: Pending = { at: now() + Math.max(0, ms), fire };
  pending.add(entry);
  if (!natives.some((n) => n.at <= entry.at)) armAt(entry.at);
  return () => {
    pending.delete(entry);
    if (pending.size === 0) detachAll();
  };
}

function armAt(at: number): void {
  const delay = Math.max(0, Math.ceil(at - now()));
  const signal = AbortSignal.timeout(delay);
  const onAbort = () => fired(native);
  // The closure holds the signal, so it lives (and fires) as long as it is listened to.
  const native: Native = { at, detach: () => signal.removeEventListener("abort", onAbort) };
  signal.addEventListener("abort", onAbort, { once: true });
  natives.push(native);
}

function detachAll(): void {
  for (const n of natives.splice(0)) n.detach();
}

function fired(native: Native): void {
  const at = natives.indexOf(native);
  if (at >= 0) natives.splice(at, 1);
  const t = now();
  // A native timer may fire a little before its time; a millisecond early is on time.
  const due = [...pending].filter((e) => e.at <= t + 1).sort((a, b) => a.at - b.at);
  for (const entry of due) {
    if (!pending.delete(entry)) continue; // cancelled by one that fired before it
    try {
      entry.fire();
    } catch (e) {
      queueMicrotask(() => {
        throw e; // reported as uncaught, as a setTimeout callback's would be
      });
    }
  }
  let next = Infinity;
  for (const entry of pending) next = Math.min(next, entry.at);
  if (pending.size === 0) detachAll();
  else if (!natives.some((n) => n.at <= next)) armAt(next);
}
