/**
 * A deadline on receiving a request body: a client that sends headers and then stalls (or
 * trickles) gets a 408 instead of holding a handler forever. Applied to every request in the
 * handler, so every route that reads a body inherits it.
 * @module
 */
import { HttpError } from "./responses.ts";

/** A request whose body must arrive by a deadline, and the way to release its timer. */
export interface TimedRequest {
  request: Request;
  /** Stop the clock and drop the unread rest of the body (call when the handler is done). */
  release(): void;
}

/** Wrap `request` so reading its body fails with a 408 once `ms` have passed since now. */
export function withBodyDeadline(request: Request, ms: number): TimedRequest {
  if (!request.body || ms <= 0) return { request, release: () => {} };
  const reader = request.body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new HttpError(
          408,
          `Request body not received within ${ms / 1000} s: send the whole body promptly`,
        ),
      );
    }, ms);
  });
  expired.catch(() => {}); // only a pending read observes it
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await Promise.race([reader.read(), expired]);
        if (chunk.done) {
          clearTimeout(timer);
          controller.close();
        } else {
          controller.enqueue(chunk.value);
        }
      } catch (e) {
        finish();
        controller.error(e);
      }
    },
    cancel() {
      finish();
    },
  });
  // Built from the parts, not from `request`: copying its `signal` makes Deno.serve warn.
  const timed = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body,
    duplex: "half",
  } as RequestInit);
  return { request: timed, release: finish };
}
