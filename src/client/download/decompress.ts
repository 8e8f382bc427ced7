/**
 * Compression auto-detection for archive streams: gzip (magic `1f 8b`) or plain.
 * @module
 */

/**
 * Most compressed bytes fed to the decompressor at once. Deflate expands up to ~1000×, and the
 * decompressor emits all of one input chunk's output at once, whatever the backpressure: fed
 * 256 KiB of a gzip bomb it would emit 256 MB. Fed 4 KiB, at most ~4 MB is in flight (see
 * bench/hostile_memory.ts).
 */
export const GZIP_INPUT_SLICE_BYTES = 4 * 1024;

/** An archive's bytes, ready for the tar decoder: `head` (already read, if any), then `reader`. */
export interface OpenedArchive {
  head?: Uint8Array;
  reader: ReadableStreamDefaultReader<Uint8Array>;
}

/**
 * Open `stream` for reading, decompressed when it starts with the gzip magic `1f 8b`. Reads only
 * the first chunk(s) to decide; a plain stream is read on directly (no stream in between, as the
 * chunks keep their identity). Compressed input is fed in slices of
 * {@link GZIP_INPUT_SLICE_BYTES}, so memory stays bounded for any input.
 *
 * @example
 * ```ts
 * const gz = new Blob(["hello"]).stream().pipeThrough(new CompressionStream("gzip"));
 * const { head, reader } = await gunzipIfNeeded(gz);
 * const { value } = await reader.read();
 * console.log(head, new TextDecoder().decode(value)); // undefined "hello"
 * ```
 */
export async function gunzipIfNeeded(stream: ReadableStream<Uint8Array>): Promise<OpenedArchive> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < 2) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
    }
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    throw e;
  }
  const head = chunks.length === 0 ? undefined : concatHead(chunks);
  const gzipped = head !== undefined && head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  if (!gzipped) return { head, reader };
  const rejoined = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(head);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  const inflated = sliced(rejoined, GZIP_INPUT_SLICE_BYTES).pipeThrough(
    new DecompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>,
  );
  return { reader: inflated.getReader() };
}

/** `stream` with every chunk cut into views of at most `max` bytes (no copies). */
function sliced(stream: ReadableStream<Uint8Array>, max: number): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let chunk: Uint8Array = new Uint8Array(0);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (chunk.length === 0) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        chunk = value;
      }
      controller.enqueue(chunk.subarray(0, max));
      chunk = chunk.subarray(max);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}

function concatHead(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
