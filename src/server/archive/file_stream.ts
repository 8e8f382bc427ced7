/**
 * Stream a byte range of a file from disk as a web `ReadableStream` (works under Deno, Bun and
 * Node). The file handle is closed at the end, on error, and when the reader cancels.
 * @module
 */
import { open } from "node:fs/promises";

const CHUNK = 1024 * 1024;

/** Bytes `start..end` (inclusive) of the file at `path`. */
export async function fileRangeStream(
  path: string,
  start: number,
  end: number,
): Promise<ReadableStream<Uint8Array>> {
  const handle = await open(path, "r");
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
        if (bytesRead === 0) throw new Error(`${path} ended early at byte ${position}`);
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
