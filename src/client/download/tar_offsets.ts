/**
 * Where each member of a plain tar stream starts and ends, found by walking its 512-byte
 * blocks as the bytes go by (internal; no copy of the data, only headers are kept). This is
 * what lets a download journal a resumable archive offset: a member's header, and the offset
 * of the next one. Gzip archives have no such offsets; the walker then turns itself off.
 * @module
 */

const BLOCK = 512;
/** Most header bytes (ustar, PAX and GNU long-name blocks) kept per member. */
const MAX_HEADER_BYTES = 64 * 1024;

/** One member (a regular header, with the PAX / long-name blocks before it). */
export interface TarSpan {
  /** Offset of the member's first header block (a PAX or long-name one, if any). */
  headerStart: number;
  /** Offset of its data. */
  dataStart: number;
  /** Data size in bytes (PAX `size` when given). */
  size: number;
  /** The header bytes `headerStart`–`dataStart`, to replay the member on resume. */
  header: Uint8Array;
  /** A directory (no data). */
  directory: boolean;
}

/** The offset just past a member's data and its padding: where the next member starts. */
export function spanEnd(span: TarSpan): number {
  return span.dataStart + Math.ceil(span.size / BLOCK) * BLOCK;
}

/**
 * Walks a tar stream's blocks. {@link feed} every chunk in order; complete members queue up in
 * {@link spans}. {@link failed} turns true (and stays) for input that is not a plain tar the
 * walker understands, e.g. gzip: then no offsets are known.
 */
export class TarOffsets {
  /** Members whose header is complete, in order (the consumer shifts them off). */
  readonly spans: TarSpan[] = [];
  #pos: number;
  #failed = false;
  #ended = false;
  /** Bytes of data (and padding) still to pass before the next header. */
  #skip = 0;
  /** The header block being assembled. */
  readonly #block = new Uint8Array(BLOCK);
  #filled = 0;
  /** The current member's header bytes so far, and where they began. */
  #header: Uint8Array[] = [];
  #headerBytes = 0;
  #headerStart = -1;
  /** A meta body (PAX records) being collected, and its size override. */
  #meta?: { type: string; body: Uint8Array[]; left: number; padding: number };
  #paxSize?: number;

  /** Start walking at archive offset `start` (a header boundary). */
  constructor(start = 0) {
    this.#pos = start;
  }

  /** True when the stream is not a tar the walker follows (offsets unknown). */
  get failed(): boolean {
    return this.#failed;
  }

  /** The next chunk of the stream. */
  feed(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.#failed && !this.#ended) {
      if (this.#meta) {
        at += this.#metaBytes(chunk.subarray(at));
      } else if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - at);
        this.#skip -= n;
        at += n;
        this.#pos += n;
      } else {
        const n = Math.min(BLOCK - this.#filled, chunk.length - at);
        this.#block.set(chunk.subarray(at, at + n), this.#filled);
        this.#filled += n;
        at += n;
        this.#pos += n;
        if (this.#filled === BLOCK) {
          this.#filled = 0;
          this.#onHeader();
        }
      }
    }
  }

  #keep(bytes: Uint8Array): void {
    this.#headerBytes += bytes.length;
    if (this.#headerBytes > MAX_HEADER_BYTES) this.#failed = true;
    else this.#header.push(bytes.slice());
  }

  #onHeader(): void {
    const block = this.#block;
    if (block.every((b) => b === 0)) {
      this.#ended = true; // end-of-archive marker
      return;
    }
    if (this.#headerStart < 0) this.#headerStart = this.#pos - BLOCK;
    this.#keep(block);
    if (!validChecksum(block)) {
      this.#failed = true;
      return;
    }
    const type = String.fromCharCode(block[156] || 0x30);
    const size = parseSize(block.subarray(124, 136));
    if (size === undefined) {
      this.#failed = true;
      return;
    }
    if (type === "x" || type === "g" || type === "L" || type === "K") {
      const padding = Math.ceil(size / BLOCK) * BLOCK - size;
      this.#meta = { type, body: [], left: size, padding };
      if (size + padding === 0) this.#endMeta();
      return;
    }
    const dataSize = this.#paxSize ?? size;
    this.spans.push({
      headerStart: this.#headerStart,
      dataStart: this.#pos,
      size: dataSize,
      header: joined(this.#header, this.#headerBytes),
      directory: type === "5",
    });
    this.#header = [];
    this.#headerBytes = 0;
    this.#headerStart = -1;
    this.#paxSize = undefined;
    // Directories and links have no data whatever their size field says in some writers.
    const hasData = type === "0" || type === "7" || type === "\0" || type === "";
    this.#skip = hasData ? Math.ceil(dataSize / BLOCK) * BLOCK : 0;
  }

  /** Collect a meta body (and its padding); returns the bytes consumed. */
  #metaBytes(bytes: Uint8Array): number {
    const meta = this.#meta!;
    const want = meta.left + meta.padding;
    const n = Math.min(want, bytes.length);
    const part = bytes.subarray(0, n);
    this.#keep(part);
    const body = part.subarray(0, Math.min(meta.left, n));
    if (body.length > 0) meta.body.push(body.slice());
    meta.left -= body.length;
    meta.padding -= n - body.length;
    this.#pos += n;
    if (meta.left === 0 && meta.padding === 0) this.#endMeta();
    return n;
  }

  #endMeta(): void {
    const meta = this.#meta!;
    this.#meta = undefined;
    if (meta.type !== "x") return;
    const text = new TextDecoder().decode(
      joined(meta.body, meta.body.reduce((a, b) => a + b.length, 0)),
    );
    const m = text.match(/(?:^|\n)\d+ size=(\d+)\n/);
    if (m) this.#paxSize = Number(m[1]);
  }
}

function joined(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The header's checksum (bytes 148–155 counted as spaces) matches. */
function validChecksum(block: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  const stored = parseOctal(block.subarray(148, 156));
  return stored === sum;
}

/** An octal or base-256 size field. */
function parseSize(field: Uint8Array): number | undefined {
  if (field[0] & 0x80) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return parseOctal(field);
}

function parseOctal(field: Uint8Array): number | undefined {
  const text = new TextDecoder().decode(field).replace(/\0.*$/s, "").trim();
  if (text === "") return 0;
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}
