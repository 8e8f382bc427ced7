/**
 * Compression auto-detection for archive streams: gzip (magic `1f 8b`) or plain.
 * @module
 */

/**
 * Return `stream` decompressed when it starts with the gzip magic `1f 8b`, else unchanged.
 * Reads only the first chunk(s) to decide; nothing is buffered beyond them.
 *
 * @example
 * ```ts
 * const gz = new Blob(["hello"]).stream().pipeThrough(new CompressionStream("gzip"));
 * const plain = await gunzipIfNeeded(gz);
 * console.log(await new Response(plain).text()); // "hello"
 * ```
 */
export async function gunzipIfNeeded(
  stream: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  const head: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < 2) {
      const { done, value } = await reader.read();
      if (done) break;
      head.push(value);
      length += value.length;
    }
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    throw e;
  }
  const first = head.length === 0 ? new Uint8Array(0) : concatHead(head);
  const rejoined = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.length > 0) controller.enqueue(first);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  const gzipped = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  return gzipped
    ? rejoined.pipeThrough(
      new DecompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>,
    )
    : rejoined;
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
