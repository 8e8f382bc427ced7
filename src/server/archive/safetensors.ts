/**
 * Writing valid safetensors files as streams: an 8-byte little-endian header length, a JSON
 * header (dtype, shape, data_offsets; padded to 8 bytes), then the tensors' bytes.
 * @module
 */

/** One tensor: its name, dtype and shape. Data is generated, or given for small tensors. */
export interface TensorSpec {
  name: string;
  dtype: "F32" | "I64";
  shape: number[];
  /** Exact bytes (small tensors); otherwise pseudo-random small floats are streamed. */
  data?: Uint8Array;
}

/** A laid-out safetensors file: the header bytes and the total size. */
export interface SafetensorsLayout {
  header: Uint8Array;
  tensors: TensorSpec[];
  size: number;
}

const DTYPE_BYTES = { F32: 4, I64: 8 } as const;
const CHUNK = 1 << 20;

/** Lay out a safetensors file (no data is produced yet). */
export function layoutSafetensors(
  tensors: TensorSpec[],
  metadata: Record<string, string>,
): SafetensorsLayout {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const bytes = tensorBytes(t);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let text = JSON.stringify(header);
  text += " ".repeat((8 - ((text.length + 8) % 8)) % 8);
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return { header: out, tensors, size: out.length + offset };
}

/** Byte size of a tensor's data. */
function tensorBytes(t: TensorSpec): number {
  return t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
}

/** The file's bytes, in chunks of at most 1 MiB; `seed` varies the generated values. */
export async function* safetensorsChunks(
  layout: SafetensorsLayout,
  seed: number,
): AsyncGenerator<Uint8Array> {
  yield layout.header;
  const pool = floatPool(seed);
  let poolAt = 0;
  for (const t of layout.tensors) {
    if (t.data) {
      yield t.data;
      continue;
    }
    let left = tensorBytes(t);
    while (left > 0) {
      const n = Math.min(left, CHUNK - poolAt);
      yield pool.subarray(poolAt, poolAt + n);
      left -= n;
      poolAt = (poolAt + n) % CHUNK;
    }
  }
}

/** A little-endian int64 tensor's bytes. */
export function int64Bytes(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(value), true);
  return out;
}

/** 1 MiB of small float32 values (|x| < 0.02), from a deterministic generator. */
function floatPool(seed: number): Uint8Array {
  const floats = new Float32Array(CHUNK / 4);
  let s = (seed >>> 0) || 1;
  for (let i = 0; i < floats.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    floats[i] = ((s >>> 0) / 0xffffffff - 0.5) * 0.04;
  }
  return new Uint8Array(floats.buffer);
}
