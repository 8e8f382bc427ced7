/**
 * Tar archives built byte by byte (ustar headers with correct checksums), so tests can make
 * exactly the hostile or broken archives they need. No tar library involved.
 */

/** Typeflags of ustar. */
export const TYPE = {
  file: "0",
  link: "1",
  symlink: "2",
  char: "3",
  block: "4",
  directory: "5",
  fifo: "6",
  pax: "x",
  gnuLongName: "L",
} as const;

export interface Member {
  name: string;
  /** Body bytes (or a string); default empty. */
  body?: Uint8Array | string;
  /** Typeflag character; default file. */
  type?: string;
  /** Declared size when it must differ from the body (e.g. a lie). */
  size?: number;
  linkname?: string;
  /** The ustar prefix field (joined as prefix/name by readers). */
  prefix?: string;
  mode?: number;
}

const enc = new TextEncoder();

function put(block: Uint8Array, offset: number, width: number, text: string): void {
  const bytes = enc.encode(text);
  if (bytes.length > width) throw new Error(`field too long: ${text}`);
  block.set(bytes, offset);
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

/** One 512-byte ustar header with its checksum. */
export function header(m: Member & { size: number }): Uint8Array {
  const b = new Uint8Array(512);
  put(b, 0, 100, m.name);
  put(b, 100, 8, octal(m.mode ?? 0o644, 8));
  put(b, 108, 8, octal(0, 8));
  put(b, 116, 8, octal(0, 8));
  put(b, 124, 12, octal(m.size, 12));
  put(b, 136, 12, octal(1_700_000_000, 12));
  b.fill(0x20, 148, 156); // checksum field counts as spaces
  put(b, 156, 1, m.type ?? TYPE.file);
  if (m.linkname) put(b, 157, 100, m.linkname);
  put(b, 257, 6, "ustar\0");
  put(b, 263, 2, "00");
  put(b, 265, 32, "user");
  put(b, 297, 32, "group");
  if (m.prefix) put(b, 345, 155, m.prefix);
  let sum = 0;
  for (const x of b) sum += x;
  put(b, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return b;
}

function padded(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bytes.length / 512) * 512);
  out.set(bytes);
  return out;
}

/** Header + padded body of one member. */
export function memberBytes(m: Member): Uint8Array {
  const body = typeof m.body === "string" ? enc.encode(m.body) : (m.body ?? new Uint8Array(0));
  return concat([header({ ...m, size: m.size ?? body.length }), padded(body)]);
}

/** A PAX extended header (type `x`) carrying the given records, for the member that follows. */
export function paxMember(records: Record<string, string>): Uint8Array {
  let text = "";
  for (const [k, v] of Object.entries(records)) {
    const rec = ` ${k}=${v}\n`;
    let len = rec.length + 1;
    while (String(len).length + rec.length !== len) len = String(len).length + rec.length;
    text += `${len}${rec}`;
  }
  return memberBytes({ name: "PaxHeader", type: TYPE.pax, body: text });
}

/** The end-of-archive marker: two zero blocks. */
export const END = new Uint8Array(1024);

/** A whole archive: members, then (unless `end: false`) the end marker. */
export function tar(members: (Member | Uint8Array)[], opts: { end?: boolean } = {}): Uint8Array {
  const parts = members.map((m) => m instanceof Uint8Array ? m : memberBytes(m));
  if (opts.end !== false) parts.push(END);
  return concat(parts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Deterministic pseudo-random bytes (so tests can compare files byte for byte). */
export function noise(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Gzip bytes with the platform's CompressionStream. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The bytes as a stream of `chunkSize` chunks. */
export function streamOf(bytes: Uint8Array, chunkSize = 4096): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + chunkSize));
      at += chunkSize;
    },
  });
}
