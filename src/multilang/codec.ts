import { StringDecoder } from 'node:string_decoder';
import { Packr } from 'msgpackr';
import { SquallError } from '../common/index.js';
import { WireError, previewBytes } from './errors.js';
import { parseJson, stringifyJson } from './json-exact.js';

export type SerializerName = 'msgpack' | 'json';

/** Reads the child's stdout incrementally: bytes in, whole messages out, in order. */
export interface MessageDecoder {
  /**
   * Feeds one chunk. Every message completed by it is appended to `out`: for msgpack as the
   * message's bytes (a Buffer; see {@link WireCodec.decodeFrame}), for json as the decoded map.
   * Throws {@link WireError} on bytes that are not messages or on a message over the size cap
   * (messages before the bad bytes are still in `out`).
   */
  push(chunk: Buffer, out: unknown[]): void;
}

/** One serializer: how host messages are framed, and how child messages are read. */
export interface WireCodec {
  readonly name: SerializerName;
  /** The framed bytes of one message. Throws a `SERIALIZATION` {@link SquallError} for values it cannot carry. */
  encode(message: unknown): Buffer;
  createDecoder(maxMessageBytes: number): MessageDecoder;
  /** A message as the decoder gave it, decoded into a map; throws {@link WireError} if it is not one. */
  decodeFrame(frame: unknown): Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// msgpack: objects back to back, no delimiter (pystorm's framing)

/**
 * Plain msgpack that Python and Go read: no msgpackr records; str for text, bin for bytes.
 * 64-bit integers decode as numbers when they fit in a double exactly and as bigints otherwise
 * ('auto'), so the ids and counts children send stay numbers, large ids stay exact and travel
 * back unchanged; bigints the host sends are written as int64/uint64.
 */
const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false,
  variableMapSize: true,
  // 'auto' exists in msgpackr's decoder but is missing from its typings.
  int64AsType: 'auto' as 'bigint',
});

/**
 * msgpackr writes an integral number beyond 32 bits as a float64, which Python and Go decode as a
 * float (1763744400000 -> 1763744400000.0). Such numbers are turned into bigints first so they
 * travel as int64. Returns `v` itself when nothing needed changing (no copy on the hot path).
 */
export function widenInts(v: unknown): unknown {
  if (typeof v === 'number') return v >>> 0 === v || v >> 0 === v || !Number.isSafeInteger(v) ? v : BigInt(v);
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'string') continue;
      const y = widenInts(x);
      if (y !== x) (out ??= v.slice())[i] = y;
    }
    return out ?? v;
  }
  let out: Record<string, unknown> | undefined;
  for (const [k, x] of Object.entries(v)) {
    const y = widenInts(x);
    if (y !== x) (out ??= { ...(v as Record<string, unknown>) })[k] = y;
  }
  return out ?? v;
}

function serializationError(err: unknown): SquallError {
  const reason = err instanceof Error ? err.message : String(err);
  return new SquallError('SERIALIZATION', `cannot encode a multilang message: ${reason}`, { cause: err });
}

class MsgpackCodec implements WireCodec {
  readonly name = 'msgpack' as const;

  encode(message: unknown): Buffer {
    try {
      return packr.pack(message);
    } catch (err) {
      throw serializationError(err);
    }
  }

  createDecoder(maxMessageBytes: number): MessageDecoder {
    return new MsgpackDecoder(maxMessageBytes);
  }

  decodeFrame(frame: unknown): Record<string, unknown> {
    const bytes = frame as Buffer;
    let value: unknown;
    try {
      value = packr.unpack(bytes);
    } catch (err) {
      throw new WireError('decode', `undecodable msgpack message (${describeError(err)}): ${previewBytes(bytes)}`);
    }
    if (!isMap(value)) throw new WireError('decode', notMessages(bytes, 'msgpack'));
    return value as Record<string, unknown>;
  }
}

/**
 * Frames messages with {@link MsgpackScanner} (which walks a message's structure without
 * building it); each message is then read by the component (fast path) or decoded by msgpackr
 * ({@link WireCodec.decodeFrame}). msgpackr's own streaming
 * (`unpackMultiple`) is not used: its native string extraction reads to the end of the buffer
 * for every message, which is quadratic on a pipe chunk of many messages and misreports the
 * last complete message as incomplete when a chunk ends inside the next one. A message split
 * over many reads costs one scan plus one decode, and an oversized message is refused as soon
 * as its header is seen.
 */
class MsgpackDecoder implements MessageDecoder {
  /** Chunks holding the start of an incomplete message, when there is one. */
  private partial: Buffer[] = [];
  private readonly scanner: MsgpackScanner;

  constructor(private readonly max: number) {
    this.scanner = new MsgpackScanner(max);
  }

  push(chunk: Buffer, out: unknown[]): void {
    const scanner = this.scanner;
    let pos = 0;
    if (this.partial.length > 0) {
      const end = scanner.feed(chunk, 0);
      if (end < 0) {
        this.partial.push(chunk);
        return;
      }
      this.partial.push(chunk.subarray(0, end));
      const whole = Buffer.concat(this.partial);
      this.partial = [];
      out.push(whole);
      pos = end;
    }
    const n = chunk.length;
    while (pos < n) {
      let end: number;
      try {
        end = scanner.feed(chunk, pos);
      } catch (err) {
        if (err instanceof WireError) throw new WireError(err.kind, `${err.message}: ${previewBytes(chunk.subarray(pos))}`);
        throw err;
      }
      if (end < 0) {
        // Copied: the chunk's memory belongs to the stream.
        this.partial.push(Buffer.from(chunk.subarray(pos)));
        return;
      }
      // A message that does not start with a map header is not a protocol message: say so with
      // its bytes (typically text a component printed to stdout).
      if (!isMapHeader(chunk[pos] as number)) throw new WireError('decode', notMessages(chunk.subarray(pos), 'msgpack'));
      out.push(pos === 0 && end === n ? chunk : chunk.subarray(pos, end));
      pos = end;
    }
  }
}

function isMapHeader(b: number): boolean {
  return (b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf;
}

/** Every message a child writes is a map (PROTOCOL.md §1). */
function isMap(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && Object.getPrototypeOf(v) === Object.prototype;
}

function notMessages(bytes: Uint8Array, serializer: SerializerName): string {
  const text = `stdout holds something other than protocol messages (maps): ${previewBytes(bytes)}`;
  const other = otherSerializer(serializer, bytes);
  return other === undefined ? `${text}; a component must not print to stdout` : `${text}; ${other}`;
}

/**
 * When the child's first bytes are messages of the other serializer, what to do about it. A
 * msgpack map header is no UTF-8 text and JSON text starts with a digit-free `{`, which msgpack
 * reads as the integer 123: the two cannot be mistaken for each other.
 */
function otherSerializer(serializer: SerializerName, bytes: Uint8Array): string | undefined {
  if (serializer === 'msgpack') {
    let i = 0;
    while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
    if (bytes[i] !== 0x7b || bytes[i + 1] !== 0x22) return undefined;
    return "it is JSON text (Storm's json framing, as storm.py and storm.js write), and this host speaks msgpack: give the component serializer: 'json' (or set topology.multilang.serializer: 'json')";
  }
  return bytes.length > 0 && isMapHeader(bytes[0] as number)
    ? "it is msgpack (as pystorm writes), and this host speaks json: give the component serializer: 'msgpack' (or set topology.multilang.serializer: 'msgpack')"
    : undefined;
}

/**
 * Why a child may not have answered the handshake, given the first bytes it wrote (none:
 * undefined): for the usual cause, a component of the other serializer, what to set.
 */
export function handshakeHint(serializer: SerializerName, first: Uint8Array | undefined): string {
  if (first !== undefined && first.length > 0) {
    const other = otherSerializer(serializer, first);
    return other === undefined ? '' : `; what it wrote, ${previewBytes(first)}, ${other}`;
  }
  return serializer === 'msgpack'
    ? "; it wrote nothing on stdout. This host speaks msgpack (the default serializer): a component written for Storm's json framing (storm.py, storm.js) waits for a json handshake and never answers a msgpack one; if this is one, give it serializer: 'json' (or set topology.multilang.serializer: 'json')"
    : "; it wrote nothing on stdout. This host speaks json: a component written for msgpack (pystorm, streamparse) cannot read a json handshake; if this is one, give it serializer: 'msgpack'";
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function oversizedMessage(size: number, max: number): string {
  return `a message of ${size > max ? `at least ${size}` : size} bytes exceeds the limit of ${max} bytes (maxMessageBytes)`;
}

/** Bytes of a header (type byte included) by its first byte. */
const HEADER = new Uint8Array(256).fill(1);
HEADER[0xc4] = HEADER[0xd9] = 2; // bin8, str8
HEADER[0xc5] = HEADER[0xda] = HEADER[0xdc] = HEADER[0xde] = 3; // bin16, str16, array16, map16
HEADER[0xc6] = HEADER[0xdb] = HEADER[0xdd] = HEADER[0xdf] = 5; // bin32, str32, array32, map32
HEADER[0xc7] = 3; // ext8: length, type
HEADER[0xc8] = 4; // ext16
HEADER[0xc9] = 6; // ext32

/** Payload bytes after the header for fixed-size types (numbers, fixext); others are computed. */
const FIXED_PAYLOAD = new Uint8Array(256);
FIXED_PAYLOAD[0xca] = 4;
FIXED_PAYLOAD[0xcb] = 8;
FIXED_PAYLOAD[0xcc] = FIXED_PAYLOAD[0xd0] = 1;
FIXED_PAYLOAD[0xcd] = FIXED_PAYLOAD[0xd1] = 2;
FIXED_PAYLOAD[0xce] = FIXED_PAYLOAD[0xd2] = 4;
FIXED_PAYLOAD[0xcf] = FIXED_PAYLOAD[0xd3] = 8;
FIXED_PAYLOAD[0xd4] = 2; // fixext 1: type + 1 byte
FIXED_PAYLOAD[0xd5] = 3;
FIXED_PAYLOAD[0xd6] = 5;
FIXED_PAYLOAD[0xd7] = 9;
FIXED_PAYLOAD[0xd8] = 17;

/**
 * A resumable msgpack framer: walks the structure of one top-level object across chunks,
 * counting open containers and skipping payloads, and says where the object ends.
 */
export class MsgpackScanner {
  /** Items still expected in each open container (maps count keys and values). */
  private stack = new Float64Array(16);
  private depth = 0;
  /** Bytes of a header cut by a chunk boundary. */
  private readonly header = new Uint8Array(8);
  private headerLength = 0;
  /** Payload bytes still to skip (a string, bin, ext or number body cut by a chunk boundary). */
  private skip = 0;
  /** Bytes of the current object in earlier chunks. */
  private carried = 0;

  constructor(private readonly max: number) {}

  reset(): void {
    this.depth = 0;
    this.headerLength = 0;
    this.skip = 0;
    this.carried = 0;
  }

  /** Scans from `start`; returns the index just past the object's end, or -1 if it goes on. */
  feed(buf: Uint8Array, start: number): number {
    const n = buf.length;
    let i = start;
    if (this.skip > 0) {
      const take = Math.min(this.skip, n - i);
      this.skip -= take;
      i += take;
      if (this.skip > 0) return this.suspend(n, start);
      if (this.itemDone()) return this.finish(i);
    }
    if (this.headerLength > 0) {
      // Complete the header cut at the end of the previous chunk, then parse it from the copy.
      const h = this.header;
      const need = HEADER[h[0] as number] as number;
      while (this.headerLength < need && i < n) h[this.headerLength++] = buf[i++] as number;
      if (this.headerLength < need) return this.suspend(n, start);
      this.headerLength = 0;
      const r = this.item(h, 0, this.carried + (i - start));
      if (r > 0) {
        this.skip = r;
        const take = Math.min(this.skip, n - i);
        this.skip -= take;
        i += take;
        if (this.skip > 0) return this.suspend(n, start);
      }
      if (r >= 0 && this.itemDone()) return this.finish(i);
    }
    // The open containers are kept in locals here (written back before anything else runs).
    let depth = this.depth;
    let stack = this.stack;
    while (i < n) {
      const b = buf[i] as number;
      // The common cases inline: fixint, nil/bool, fixmap/fixarray, fixstr.
      if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
        i++;
      } else if (b <= 0x9f) {
        i++;
        const count = b <= 0x8f ? (b & 0x0f) * 2 : b & 0x0f;
        if (count > 0) {
          if (depth === stack.length) {
            this.depth = depth;
            this.push(count);
            stack = this.stack;
            depth = this.depth;
          } else {
            stack[depth++] = count;
          }
          continue;
        }
      } else if (b <= 0xbf) {
        i += 1 + (b & 0x1f);
        if (i > n) {
          this.depth = depth;
          this.skip = i - n;
          return this.suspend(n, start);
        }
      } else {
        this.depth = depth;
        const hl = HEADER[b] as number;
        if (i + hl > n) {
          // The header itself is cut: keep its bytes for the next chunk.
          while (i < n) this.header[this.headerLength++] = buf[i++] as number;
          return this.suspend(n, start);
        }
        const r = this.item(buf, i, this.carried + (i - start) + hl);
        i += hl;
        if (r > 0) {
          i += r;
          if (i > n) {
            this.skip = i - n;
            return this.suspend(n, start);
          }
        }
        stack = this.stack;
        depth = this.depth;
        // A container was opened: its items come next.
        if (r < 0) continue;
      }
      // One item ended: close every container it completes.
      while (depth > 0) {
        const left = (stack[depth - 1] as number) - 1;
        if (left > 0) {
          stack[depth - 1] = left;
          break;
        }
        depth--;
      }
      if (depth === 0) return this.finish(i);
    }
    this.depth = depth;
    return this.suspend(n, start);
  }

  /**
   * Reads the header at `h[at]`: opens a container (returns -1) or returns its payload length.
   * `size` is the message's length up to the end of this header, for the size cap.
   */
  private item(h: Uint8Array, at: number, size: number): number {
    const b = h[at] as number;
    let payload = FIXED_PAYLOAD[b] as number;
    let children = 0;
    switch (b) {
      case 0xc4: case 0xd9: payload = h[at + 1] as number; break;
      case 0xc5: case 0xda: payload = u16(h, at + 1); break;
      case 0xc6: case 0xdb: payload = u32(h, at + 1); break;
      case 0xc7: payload = h[at + 1] as number; break;
      case 0xc8: payload = u16(h, at + 1); break;
      case 0xc9: payload = u32(h, at + 1); break;
      case 0xdc: children = u16(h, at + 1); break;
      case 0xdd: children = u32(h, at + 1); break;
      case 0xde: children = u16(h, at + 1) * 2; break;
      case 0xdf: children = u32(h, at + 1) * 2; break;
      case 0xc1:
        throw new WireError('decode', 'not msgpack: byte 0xc1 starts no msgpack value');
      default:
        if (b >= 0x80 && b <= 0xbf) throw new SquallError('SERIALIZATION', 'unreachable: fix types are handled inline');
    }
    if (size + payload > this.max) throw new WireError('oversized', oversizedMessage(size + payload, this.max));
    if (children > 0) {
      this.push(children);
      return -1;
    }
    return payload;
  }

  private push(count: number): void {
    if (this.depth === this.stack.length) {
      const bigger = new Float64Array(this.stack.length * 2);
      bigger.set(this.stack);
      this.stack = bigger;
    }
    this.stack[this.depth++] = count;
  }

  /** One item ended: close every container it completes. True when the top-level object ended. */
  private itemDone(): boolean {
    const s = this.stack;
    while (this.depth > 0) {
      const left = (s[this.depth - 1] as number) - 1;
      if (left > 0) {
        s[this.depth - 1] = left;
        return false;
      }
      this.depth--;
    }
    return true;
  }

  private suspend(n: number, start: number): number {
    this.carried += n - start;
    if (this.carried > this.max) throw new WireError('oversized', oversizedMessage(this.carried, this.max));
    return -1;
  }

  private finish(i: number): number {
    this.reset();
    return i;
  }
}

function u16(h: Uint8Array, at: number): number {
  return ((h[at] as number) << 8) | (h[at + 1] as number);
}

function u32(h: Uint8Array, at: number): number {
  return (h[at] as number) * 0x1000000 + (((h[at + 1] as number) << 16) | ((h[at + 2] as number) << 8) | (h[at + 3] as number));
}

// ---------------------------------------------------------------------------------------------
// json: "<json>\nend\n" (Storm's framing)

class JsonCodec implements WireCodec {
  readonly name = 'json' as const;

  encode(message: unknown): Buffer {
    try {
      return Buffer.from(`${stringifyJson(message)}\nend\n`, 'utf8');
    } catch (err) {
      throw serializationError(err);
    }
  }

  createDecoder(maxMessageBytes: number): MessageDecoder {
    return new JsonDecoder(maxMessageBytes);
  }

  decodeFrame(frame: unknown): Record<string, unknown> {
    return frame as Record<string, unknown>;
  }
}

class JsonDecoder implements MessageDecoder {
  private readonly text = new StringDecoder('utf8');
  /** Text after the last newline: the start of a line. */
  private partialLine = '';
  /** Complete lines of the message being read. */
  private lines: string[] = [];
  private size = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer, out: unknown[]): void {
    const text = this.partialLine + this.text.write(chunk);
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      let line = text.slice(from, nl);
      from = nl + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === 'end') {
        this.endMessage(out);
        continue;
      }
      // Blank lines between messages are skipped.
      if (this.lines.length === 0 && line.trim() === '') continue;
      this.lines.push(line);
      this.size += line.length + 1;
      if (this.size > this.max) throw new WireError('oversized', oversizedMessage(this.size, this.max));
    }
    this.partialLine = text.slice(from);
    if (this.size + this.partialLine.length > this.max) {
      throw new WireError('oversized', oversizedMessage(this.size + this.partialLine.length, this.max));
    }
  }

  private endMessage(out: unknown[]): void {
    const lines = this.lines;
    this.lines = [];
    this.size = 0;
    if (lines.length === 0) return;
    const body = lines.join('\n');
    let value: unknown;
    try {
      value = parseJson(body);
    } catch (err) {
      throw new WireError('decode', `not a JSON message (${describeError(err)}): ${previewBytes(Buffer.from(body, 'utf8'))}`);
    }
    if (!isMap(value)) throw new WireError('decode', notMessages(Buffer.from(body, 'utf8'), 'json'));
    out.push(value);
  }
}

const CODECS: Record<SerializerName, WireCodec> = { msgpack: new MsgpackCodec(), json: new JsonCodec() };

export function codecFor(name: SerializerName): WireCodec {
  return CODECS[name];
}
