/**
 * Stream a byte range of an open file as a web `ReadableStream` (works under Deno, Bun and
 * Node). Reading from a handle opened before a delete or overwrite keeps serving the bytes it
 * opened (the file's data lives until the last handle closes), so a download racing a mutation
 * completes with correct bytes. The handle is closed at the end, on error, and on cancel.
 * @module
 */
import type { FileHandle } from "node:fs/promises";

const CHUNK = 1024 * 1024;

/** Bytes `start..end` (inclusive) of the open file `handle`, which the stream then owns. */
export function fileRangeStream(
  handle: FileHandle,
  start: number,
  end: number,
): ReadableStream<Uint8Array> {
  let position = start;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const want = Math.min(CHUNK, end + 1 - position);
      if (want <= 0) {
        await close();
        controller.close();
        return;
      }
      try {
        const buffer = new Uint8Array(want);
        const { bytesRead } = await handle.read(buffer, 0, want, position);
        if (bytesRead === 0) throw new Error(`archive ended early at byte ${position}`);
        position += bytesRead;
        controller.enqueue(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
      } catch (e) {
        await close();
        controller.error(e);
      }
    },
    async cancel() {
      await close();
    },
  }, { highWaterMark: 1 });
}
