/**
 * Hand-written msgpack for the hot path of a multilang bolt: a writer that builds `tuples`
 * messages straight into one growing buffer, and a reader that walks the subprocess's messages
 * without building a map per message. msgpackr builds every message as an object and its
 * native string extraction is slow for many short strings; here only what the runtime keeps
 * (tuple values) is allocated. Values follow PROTOCOL.md: str for text, bin for bytes, integers
 * in the fewest bytes (beyond 32 bits as int64, never as a float).
 */
import { SquallError } from '../common/index.js';
import { WireError } from './errors.js';

const INITIAL = 64 * 1024;
/** The two ASCII digits of 0..99 as one big-endian uint16. */
const PAIRS = new Uint16Array(100);
for (let i = 0; i < 100; i++) PAIRS[i] = ((48 + Math.floor(i / 10)) << 8) | (48 + (i % 10));

/**
 * A few bytes written often (a tuple's source component, stream and task), kept as big-endian
 * 32-bit words: {@link MsgpackWriter.pre} stores them a word at a time. The last word's padding
 * lands past the end and is overwritten by what follows.
 */
export class PreEncoded {
  readonly words: number[];
  readonly length: number;
  constructor(bytes: Uint8Array) {
    this.length = bytes.length;
    const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    padded.set(bytes);
    const view = new DataView(padded.buffer);
    this.words = [];
    for (let i = 0; i < padded.length; i += 4) this.words.push(view.getUint32(i));
  }
}
const TWO_32 = 4294967296;

export class MsgpackWriter {
  private buf: Buffer;
  private view: DataView;
  private start = 0;
  pos = 0;

  constructor(private readonly initial = INITIAL) {
    this.buf = Buffer.allocUnsafe(initial);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** The bytes written since the last take; later writes never touch them. */
  take(): Buffer {
    const out = this.buf.subarray(this.start, this.pos);
    if (this.buf.length - this.pos < 4096) {
      this.buf = Buffer.allocUnsafe(Math.max(this.initial, this.buf.length));
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
      this.pos = 0;
    }
    this.start = this.pos;
    return out;
  }

  /** Drops what was written since the last take. */
  discard(): void {
    this.pos = this.start;
  }

  /**
   * The first `length` bytes written since the last take; what follows stays (an open message
   * being built). Later writes never touch the bytes returned.
   */
  takePrefix(length: number): Buffer {
    const out = this.buf.subarray(this.start, this.start + length);
    this.start += length;
    return out;
  }

  /** Overwrites 4 bytes at `offset` (counted from the last take) with a big-endian uint32. */
  patchUint32(offset: number, value: number): void {
    this.view.setUint32(this.start + offset, value);
  }

  /** Bytes written since the last take. */
  get length(): number {
    return this.pos - this.start;
  }

  /** Drops what was written after the first `length` bytes since the last take. */
  truncate(length: number): void {
    this.pos = this.start + length;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const used = this.pos - this.start;
    // Sized by what is still untaken (the taken bytes belong to their readers), not by the old buffer.
    const bigger = Buffer.allocUnsafe(Math.max(this.initial, 2 * (used + n)));
    this.buf.copy(bigger, 0, this.start, this.pos);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
    this.start = 0;
    this.pos = used;
  }

  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    if (n > 32) this.buf.set(bytes, this.pos);
    // A loop beats TypedArray#set (a C++ call) for the few bytes of a name.
    else for (let i = 0, at = this.pos; i < n; i++) this.buf[at + i] = bytes[i] as number;
    this.pos += n;
  }

  /** One byte; room for it must have been made ({@link ensure}). */
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  nil(): void {
    this.ensure(1);
    this.buf[this.pos++] = 0xc0;
  }

  arrayHeader(n: number): void {
    this.ensure(5);
    const b = this.buf;
    if (n < 16) b[this.pos++] = 0x90 | n;
    else if (n < 0x10000) {
      b[this.pos++] = 0xdc;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else {
      b[this.pos++] = 0xdd;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    }
  }

  mapHeader(n: number): void {
    this.ensure(5);
    const b = this.buf;
    if (n < 16) b[this.pos++] = 0x80 | n;
    else if (n < 0x10000) {
      b[this.pos++] = 0xde;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else {
      b[this.pos++] = 0xdf;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    }
  }

  str(s: string): void {
    const n = s.length;
    if (n < 32) {
      // Short ASCII, the common case: one pass, no byte-length computation.
      this.ensure(1 + n);
      const b = this.buf;
      const at = this.pos;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        b[at + 1 + i] = c;
      }
      if (i === n) {
        b[at] = 0xa0 | n;
        this.pos = at + 1 + n;
        return;
      }
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    this.ensure(5 + bytes);
    const b = this.buf;
    if (bytes < 32) b[this.pos++] = 0xa0 | bytes;
    else if (bytes < 0x100) {
      b[this.pos++] = 0xd9;
      b[this.pos++] = bytes;
    } else if (bytes < 0x10000) {
      b[this.pos++] = 0xda;
      this.view.setUint16(this.pos, bytes);
      this.pos += 2;
    } else {
      b[this.pos++] = 0xdb;
      this.view.setUint32(this.pos, bytes);
      this.pos += 4;
    }
    this.pos += b.write(s, this.pos, bytes, 'utf8');
  }

  /** A non-negative integer below 2^53 as the decimal digits of a str (the ids the host makes). */
  decimalStr(n: number): void {
    this.ensure(17);
    if (n >= 100_000_000) {
      this.decimalStrLong(n);
      return;
    }
    // Two digits per store (DataView stores are much cheaper than byte-indexed ones in V8).
    const v = this.view;
    const digits = n < 10_000 ? (n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : 4) : n < 1_000_000 ? (n < 100_000 ? 5 : 6) : n < 10_000_000 ? 7 : 8;
    const start = this.pos;
    v.setUint8(start, 0xa0 | digits);
    let at = start + 1 + digits;
    let x = n;
    while (x >= 100) {
      const q = (x / 100) | 0;
      at -= 2;
      v.setUint16(at, PAIRS[x - q * 100] as number);
      x = q;
    }
    if (x >= 10) v.setUint16(at - 2, PAIRS[x] as number);
    else v.setUint8(at - 1, 48 + x);
    this.pos = start + 1 + digits;
  }

  private decimalStrLong(n: number): void {
    const b = this.buf;
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    b[this.pos] = 0xa0 | digits;
    let at = this.pos + digits;
    for (let x = n; at > this.pos; x = Math.floor(x / 10)) b[at--] = 48 + (x % 10);
    this.pos += 1 + digits;
  }

  /** Bytes prepared by {@link PreEncoded}, written with a few word stores. */
  pre(p: PreEncoded): void {
    const words = p.words;
    const n = words.length;
    this.ensure(n * 4);
    const v = this.view;
    let at = this.pos;
    for (let i = 0; i < n; i++, at += 4) v.setUint32(at, words[i] as number);
    this.pos += p.length;
  }

  int(n: number): void {
    this.ensure(9);
    const b = this.buf;
    if (n >= 0) {
      if (n < 0x80) b[this.pos++] = n;
      else if (n < 0x100) {
        b[this.pos++] = 0xcc;
        b[this.pos++] = n;
      } else if (n < 0x10000) {
        b[this.pos++] = 0xcd;
        this.view.setUint16(this.pos, n);
        this.pos += 2;
      } else if (n < TWO_32) {
        b[this.pos++] = 0xce;
        this.view.setUint32(this.pos, n);
        this.pos += 4;
      } else {
        b[this.pos++] = 0xcf;
        this.view.setUint32(this.pos, Math.floor(n / TWO_32));
        this.view.setUint32(this.pos + 4, n >>> 0);
        this.pos += 8;
      }
    } else if (n >= -32) b[this.pos++] = 0x100 + n;
    else if (n >= -0x80) {
      b[this.pos++] = 0xd0;
      this.view.setInt8(this.pos++, n);
    } else if (n >= -0x8000) {
      b[this.pos++] = 0xd1;
      this.view.setInt16(this.pos, n);
      this.pos += 2;
    } else if (n >= -0x80000000) {
      b[this.pos++] = 0xd2;
      this.view.setInt32(this.pos, n);
      this.pos += 4;
    } else {
      b[this.pos++] = 0xd3;
      const hi = Math.floor(n / TWO_32);
      this.view.setInt32(this.pos, hi);
      this.view.setUint32(this.pos + 4, n - hi * TWO_32);
      this.pos += 8;
    }
  }

  /** Any tuple value (see `Value`): strings, numbers, bigints, booleans, null, bytes, lists, maps. */
  value(v: unknown, depth = 0): void {
    switch (typeof v) {
      case 'string':
        this.str(v);
        return;
      case 'number':
        if (Number.isSafeInteger(v)) this.int(v);
        else {
          this.ensure(9);
          this.buf[this.pos++] = 0xcb;
          this.view.setFloat64(this.pos, v);
          this.pos += 8;
        }
        return;
      case 'boolean':
        this.ensure(1);
        this.buf[this.pos++] = v ? 0xc3 : 0xc2;
        return;
      case 'bigint':
        this.ensure(9);
        if (v >= -0x8000000000000000n && v < 0x8000000000000000n) {
          this.buf[this.pos++] = 0xd3;
          this.view.setBigInt64(this.pos, v);
        } else if (v >= 0n && v < 0x10000000000000000n) {
          this.buf[this.pos++] = 0xcf;
          this.view.setBigUint64(this.pos, v);
        } else {
          throw new SquallError('SERIALIZATION', `cannot encode a multilang message: the bigint ${v} does not fit in 64 bits`);
        }
        this.pos += 8;
        return;
      case 'undefined':
        this.nil();
        return;
      case 'object': {
        if (v === null) {
          this.nil();
          return;
        }
        if (depth > 100) throw new SquallError('SERIALIZATION', 'cannot encode a multilang message: values nested over 100 deep');
        if (Array.isArray(v)) {
          this.arrayHeader(v.length);
          for (let i = 0; i < v.length; i++) this.value(v[i], depth + 1);
          return;
        }
        if (v instanceof Uint8Array) {
          const n = v.length;
          this.ensure(5 + n);
          const b = this.buf;
          if (n < 0x100) {
            b[this.pos++] = 0xc4;
            b[this.pos++] = n;
          } else if (n < 0x10000) {
            b[this.pos++] = 0xc5;
            this.view.setUint16(this.pos, n);
            this.pos += 2;
          } else {
            b[this.pos++] = 0xc6;
            this.view.setUint32(this.pos, n);
            this.pos += 4;
          }
          b.set(v, this.pos);
          this.pos += n;
          return;
        }
        const keys = Object.keys(v);
        this.mapHeader(keys.length);
        for (const k of keys) {
          this.str(k);
          this.value((v as Record<string, unknown>)[k], depth + 1);
        }
        return;
      }
      default:
        throw new SquallError('SERIALIZATION', `cannot encode a multilang message: a ${typeof v} is not a tuple value`);
    }
  }
}

/** Walks msgpack bytes; every read checks bounds, so truncated or garbled input throws a {@link WireError}. */
export class MsgpackReader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(8));

  reset(buf: Buffer): void {
    this.buf = buf;
    this.pos = 0;
    this.end = buf.length;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new WireError('decode', 'a truncated msgpack message');
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  private u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  private u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  peek(): number {
    this.need(1);
    return this.buf[this.pos] as number;
  }

  /** The length of a map header at the current position, or -1 (and nothing read) if it is not a map. */
  mapHeader(): number {
    const b = this.peek();
    if (b >= 0x80 && b <= 0x8f) {
      this.pos++;
      return b & 0x0f;
    }
    if (b === 0xde) {
      this.pos++;
      return this.u16();
    }
    if (b === 0xdf) {
      this.pos++;
      return this.u32();
    }
    return -1;
  }

  /** The length of an array header, or -1 (and nothing read) if it is not an array. */
  arrayHeader(): number {
    const b = this.peek();
    if (b >= 0x90 && b <= 0x9f) {
      this.pos++;
      return b & 0x0f;
    }
    if (b === 0xdc) {
      this.pos++;
      return this.u16();
    }
    if (b === 0xdd) {
      this.pos++;
      return this.u32();
    }
    return -1;
  }

  /** Byte length of a str at the current position (header read), or -1 (nothing read) if not a str. */
  strHeader(): number {
    const b = this.peek();
    if (b >= 0xa0 && b <= 0xbf) {
      this.pos++;
      return b & 0x1f;
    }
    if (b === 0xd9) {
      this.pos++;
      return this.u8();
    }
    if (b === 0xda) {
      this.pos++;
      return this.u16();
    }
    if (b === 0xdb) {
      this.pos++;
      return this.u32();
    }
    return -1;
  }

  /** Reads a str whose header was read; short ASCII is built in JS (cheaper than a C++ call). */
  strBody(len: number): string {
    this.need(len);
    const b = this.buf;
    const start = this.pos;
    const end = start + len;
    this.pos = end;
    if (len <= 16) {
      let i = start;
      while (i < end && (b[i] as number) < 0x80) i++;
      if (i === end) return shortAscii(b, start, len);
    }
    return b.toString('utf8', start, end);
  }

  /**
   * Reads one value; if it is a str of `table`, returns its code, else -1 (the value is consumed
   * either way).
   */
  matchStr(table: StrTable): number {
    const at = this.pos;
    const h = this.peek();
    if (h < 0xa0 || h > 0xbf) {
      this.skip();
      return -1;
    }
    const n = h & 0x1f;
    this.need(1 + n);
    this.pos = at + 1 + n;
    const codes = table.codes[n];
    if (codes === undefined) return -1;
    const words = table.words[n] as number[][];
    const s = at + 1;
    if (n < 4) {
      const b = this.buf;
      let v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + (b[s + i] as number);
      for (let c = 0; c < codes.length; c++) if ((words[c] as number[])[0] === v) return codes[c] as number;
      return -1;
    }
    const offsets = OFFSETS[n] as number[];
    const view = this.view;
    const w0 = view.getUint32(s);
    for (let c = 0; c < codes.length; c++) {
      const expect = words[c] as number[];
      if (expect[0] !== w0) continue;
      let i = 1;
      for (; i < offsets.length; i++) if (view.getUint32(s + (offsets[i] as number)) !== expect[i]) break;
      if (i === offsets.length) return codes[c] as number;
    }
    return -1;
  }

  /**
   * A tuple id: a str of decimal digits (what the host sends) as a number, an int as itself;
   * anything else is returned as decoded (it will not match a pending tuple).
   */
  id(): unknown {
    const b = this.peek();
    if (b >= 0xa1 && b <= 0xaf) {
      const len = b & 0x1f;
      this.need(1 + len);
      const buf = this.buf;
      let n = 0;
      let i = 1;
      for (; i <= len; i++) {
        const d = (buf[this.pos + i] as number) - 48;
        if (d < 0 || d > 9) break;
        n = n * 10 + d;
      }
      if (i > len) {
        this.pos += 1 + len;
        return n;
      }
    }
    return this.value();
  }

  /** Skips one value without building it. */
  skip(): void {
    const b = this.u8();
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return;
    if (b <= 0x8f) return this.skipItems((b & 0x0f) * 2);
    if (b <= 0x9f) return this.skipItems(b & 0x0f);
    if (b <= 0xbf) return this.skipBytes(b & 0x1f);
    switch (b) {
      case 0xc4: case 0xd9: return this.skipBytes(this.u8());
      case 0xc5: case 0xda: return this.skipBytes(this.u16());
      case 0xc6: case 0xdb: return this.skipBytes(this.u32());
      case 0xc7: return this.skipBytes(this.u8() + 1);
      case 0xc8: return this.skipBytes(this.u16() + 1);
      case 0xc9: return this.skipBytes(this.u32() + 1);
      case 0xca: return this.skipBytes(4);
      case 0xcb: return this.skipBytes(8);
      case 0xcc: case 0xd0: return this.skipBytes(1);
      case 0xcd: case 0xd1: return this.skipBytes(2);
      case 0xce: case 0xd2: return this.skipBytes(4);
      case 0xcf: case 0xd3: return this.skipBytes(8);
      case 0xd4: return this.skipBytes(2);
      case 0xd5: return this.skipBytes(3);
      case 0xd6: return this.skipBytes(5);
      case 0xd7: return this.skipBytes(9);
      case 0xd8: return this.skipBytes(17);
      case 0xdc: return this.skipItems(this.u16());
      case 0xdd: return this.skipItems(this.u32());
      case 0xde: return this.skipItems(this.u16() * 2);
      case 0xdf: return this.skipItems(this.u32() * 2);
      default:
        throw new WireError('decode', `byte 0x${b.toString(16)} starts no msgpack value`);
    }
  }

  private skipBytes(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private skipItems(n: number): void {
    for (let i = 0; i < n; i++) this.skip();
  }

  /**
   * One value: str as string, bin as a Uint8Array (a copy), ints as numbers (as bigints past
   * 2^53), maps as plain objects (non-string keys become strings).
   */
  value(): unknown {
    const b = this.u8();
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b <= 0x8f) return this.map(b & 0x0f);
    if (b <= 0x9f) return this.array(b & 0x0f);
    if (b <= 0xbf) return this.strBody(b & 0x1f);
    const v = this.view;
    let x: number;
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.bin(this.u8());
      case 0xc5: return this.bin(this.u16());
      case 0xc6: return this.bin(this.u32());
      case 0xca: this.need(4); x = v.getFloat32(this.pos); this.pos += 4; return x;
      case 0xcb: this.need(8); x = v.getFloat64(this.pos); this.pos += 8; return x;
      case 0xcc: return this.u8();
      case 0xcd: return this.u16();
      case 0xce: return this.u32();
      case 0xcf: { this.need(8); const big = v.getBigUint64(this.pos); this.pos += 8; return big <= 9007199254740991n ? Number(big) : big; }
      case 0xd0: this.need(1); x = v.getInt8(this.pos); this.pos += 1; return x;
      case 0xd1: this.need(2); x = v.getInt16(this.pos); this.pos += 2; return x;
      case 0xd2: this.need(4); x = v.getInt32(this.pos); this.pos += 4; return x;
      case 0xd3: {
        this.need(8);
        const big = v.getBigInt64(this.pos);
        this.pos += 8;
        return big <= 9007199254740991n && big >= -9007199254740991n ? Number(big) : big;
      }
      case 0xd9: return this.strBody(this.u8());
      case 0xda: return this.strBody(this.u16());
      case 0xdb: return this.strBody(this.u32());
      case 0xdc: return this.array(this.u16());
      case 0xdd: return this.array(this.u32());
      case 0xde: return this.map(this.u16());
      case 0xdf: return this.map(this.u32());
      default:
        throw new WireError('decode', `msgpack type 0x${b.toString(16)} (an extension type, or never used) is not a tuple value`);
    }
  }

  private bin(n: number): Uint8Array {
    this.need(n);
    const out = new Uint8Array(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  array(n: number): unknown[] {
    // Bounds first: a garbled length must not allocate a huge array.
    if (n > this.end - this.pos) throw new WireError('decode', 'a truncated msgpack message');
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.value();
    return out;
  }

  private map(n: number): Record<string, unknown> {
    if (n * 2 > this.end - this.pos) throw new WireError('decode', 'a truncated msgpack message');
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const len = this.strHeader();
      const key = len >= 0 ? this.strBody(len) : String(this.value());
      const value = this.value();
      // A key like "__proto__" must stay data, not change the object's prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
    }
    return out;
  }
}

const f = String.fromCharCode;
const c = (b: Uint8Array, i: number): number => b[i] as number;

/** ASCII bytes as a string: one fromCharCode call with the bytes as arguments is the fastest way. */
function shortAscii(b: Uint8Array, s: number, n: number): string {
  switch (n) {
    case 0: return '';
    case 1: return f(c(b, s));
    case 2: return f(c(b, s), c(b, s + 1));
    case 3: return f(c(b, s), c(b, s + 1), c(b, s + 2));
    case 4: return f(c(b, s), c(b, s + 1), c(b, s + 2), c(b, s + 3));
    case 5: return f(c(b, s), c(b, s + 1), c(b, s + 2), c(b, s + 3), c(b, s + 4));
    case 6: return f(c(b, s), c(b, s + 1), c(b, s + 2), c(b, s + 3), c(b, s + 4), c(b, s + 5));
    case 7: return f(c(b, s), c(b, s + 1), c(b, s + 2), c(b, s + 3), c(b, s + 4), c(b, s + 5), c(b, s + 6));
    case 8: return f(c(b, s), c(b, s + 1), c(b, s + 2), c(b, s + 3), c(b, s + 4), c(b, s + 5), c(b, s + 6), c(b, s + 7));
    case 9: return f(c(b, s), c(b, s + 1), c(b, s + 2), c(b, s + 3), c(b, s + 4), c(b, s + 5), c(b, s + 6), c(b, s + 7), c(b, s + 8));
    case 10: return f(c(b, s), c(b, s + 1), c(b, s + 2), c(b, s + 3), c(b, s + 4), c(b, s + 5), c(b, s + 6), c(b, s + 7), c(b, s + 8), c(b, s + 9));
    case 11: return f(c(b, s), c(b, s + 1), c(b, s + 2), c(b, s + 3), c(b, s + 4), c(b, s + 5), c(b, s + 6), c(b, s + 7), c(b, s + 8), c(b, s + 9), c(b, s + 10));
    case 12: return f(c(b, s), c(b, s + 1), c(b, s + 2), c(b, s + 3), c(b, s + 4), c(b, s + 5), c(b, s + 6), c(b, s + 7), c(b, s + 8), c(b, s + 9), c(b, s + 10), c(b, s + 11));
    case 13: return f(c(b, s), c(b, s + 1), c(b, s + 2), c(b, s + 3), c(b, s + 4), c(b, s + 5), c(b, s + 6), c(b, s + 7), c(b, s + 8), c(b, s + 9), c(b, s + 10), c(b, s + 11), c(b, s + 12));
    case 14: return f(c(b, s), c(b, s + 1), c(b, s + 2), c(b, s + 3), c(b, s + 4), c(b, s + 5), c(b, s + 6), c(b, s + 7), c(b, s + 8), c(b, s + 9), c(b, s + 10), c(b, s + 11), c(b, s + 12), c(b, s + 13));
    case 15: return f(c(b, s), c(b, s + 1), c(b, s + 2), c(b, s + 3), c(b, s + 4), c(b, s + 5), c(b, s + 6), c(b, s + 7), c(b, s + 8), c(b, s + 9), c(b, s + 10), c(b, s + 11), c(b, s + 12), c(b, s + 13), c(b, s + 14));
    case 16: return f(c(b, s), c(b, s + 1), c(b, s + 2), c(b, s + 3), c(b, s + 4), c(b, s + 5), c(b, s + 6), c(b, s + 7), c(b, s + 8), c(b, s + 9), c(b, s + 10), c(b, s + 11), c(b, s + 12), c(b, s + 13), c(b, s + 14), c(b, s + 15));
    default: return '';
  }
}

/**
 * A set of short ASCII strings (map keys, command names) for {@link MsgpackReader.matchStr}: each
 * gets the code it has in the list given, and is matched with a word load or two per string
 * rather than a byte at a time.
 */
export class StrTable {
  /** By byte length: the candidates' codes and their words at {@link wordOffsets}. */
  readonly codes: number[][] = [];
  readonly words: number[][][] = [];

  constructor(strings: readonly string[]) {
    strings.forEach((str, code) => {
      const bytes = Buffer.from(str, 'latin1');
      const n = bytes.length;
      if (n === 0 || n > 31 || Buffer.byteLength(str, 'utf8') !== n) throw new SquallError('INVALID_ARGUMENT', `StrTable: '${str}' is not a short ASCII string`);
      (this.codes[n] ??= []).push(code);
      (this.words[n] ??= []).push(wordOffsets(n).map((o) => readWord(bytes, o, n)));
    });
  }
}

/** Where the words of an n-byte string start: every 4 bytes, the last one flush with the end. */
export function wordOffsets(n: number): number[] {
  if (n < 4) return [0];
  const out: number[] = [];
  for (let o = 0; o + 4 < n; o += 4) out.push(o);
  out.push(n - 4);
  return out;
}

/** The word at `o` of an n-byte string: a big-endian uint32, or the bytes as one number under 4. */
function readWord(b: Uint8Array, o: number, n: number): number {
  if (n < 4) {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + (b[i] as number);
    return v;
  }
  return ((b[o] as number) * 0x1000000 + (((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number))) >>> 0;
}

const OFFSETS: number[][] = [];
for (let n = 0; n < 32; n++) OFFSETS.push(wordOffsets(n));
