/**
 * Timeouts for work that is pending anyway (a request, a body being read), without the global
 * `setTimeout` where the platform has `AbortSignal.timeout`: under Deno 2.9 the first
 * `setTimeout` of a process loads Deno's Node timers, ~6 ms, a twentieth of a 64 MiB download
 * (`AbortSignal.timeout`: 0.4 ms). One native timer serves every pending timeout (the nearest),
 * so cancelling one is dropping an entry; a native timer cannot be cancelled, so it is stopped
 * being listened to once nothing is pending (under Deno a listened-to timeout signal holds the
 * process open; under Node none does). So: for bounding work that holds the process anyway,
 * never for waiting (`sleep` in abort.ts keeps `setTimeout`).
 * @module
 */

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
 * Call `fire` after `ms` milliseconds, unless the returned function is called first. While any
 * is pending the process stays alive, as with `setTimeout`; once none is, nothing holds it.
 *
 * @example
 * ```ts
 * import { onTimeout } from "./timeouts.ts";
 * const cancel = onTimeout(60_000, () => console.error("the request took too long"));
 * cancel(); // it finished in time
 * ```
 */
export function onTimeout(ms: number, fire: () => void): () => void {
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
  if (typeof AbortSignal.timeout !== "function") {
    const id = setTimeout(() => fired(native), delay);
    const native: Native = { at, detach: () => clearTimeout(id) };
    natives.push(native);
    return;
  }
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
  let next = Infinity;
  for (const entry of [...pending]) {
    // A native timer may fire a little before its time; a millisecond early is on time.
    if (entry.at <= t + 1) {
      pending.delete(entry);
      try {
        entry.fire();
      } catch (e) {
        queueMicrotask(() => {
          throw e; // reported as uncaught, as a setTimeout callback's would be
        });
      }
    } else next = Math.min(next, entry.at);
  }
  if (pending.size === 0) detachAll();
  else if (!natives.some((n) => n.at <= next)) armAt(next);
}
