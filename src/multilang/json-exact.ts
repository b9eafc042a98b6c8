import { SquallError } from '../common/index.js';

/**
 * JSON for the multilang json serializer that keeps integers exact: an integer beyond 2^53 in a
 * child's message (Python ints, Java longs in Storm components) becomes a bigint instead of the
 * nearest double, and a bigint (or an integral number beyond 2^53) the host sends is written as
 * the integer it is. msgpack does the same with its int64 type.
 */

/** Nesting deeper than this is refused: untrusted input must not exhaust the stack. */
const MAX_DEPTH = 1000;

/**
 * Parses one JSON text. Texts without a run of 16 digits (no integer beyond 2^53 can hide in
 * them) go to `JSON.parse`; others to {@link parseExact}. Throws `SyntaxError` for bad JSON.
 */
export function parseJson(text: string): unknown {
  return /\d{16}/.test(text) ? parseExact(text) : JSON.parse(text);
}

/**
 * A JSON parser (RFC 8259) that returns integers outside ±(2^53-1) as bigints; everything else
 * as `JSON.parse` does.
 */
export function parseExact(text: string): unknown {
  const p = new Parser(text);
  p.ws();
  const v = p.value(0);
  p.ws();
  if (p.i < text.length) p.fail('unexpected text after the JSON value');
  return v;
}

class Parser {
  i = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new SyntaxError(`${what} at position ${this.i}`);
  }

  ws(): void {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else return;
    }
  }

  value(depth: number): unknown {
    const c = this.s.charCodeAt(this.i);
    if (c === 0x22) return this.string();
    if (c === 0x7b) return this.object(depth + 1);
    if (c === 0x5b) return this.array(depth + 1);
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.s.startsWith('true', this.i)) return this.word(4, true);
    if (this.s.startsWith('false', this.i)) return this.word(5, false);
    if (this.s.startsWith('null', this.i)) return this.word(4, null);
    return this.fail(this.i >= this.s.length ? 'unexpected end of JSON' : `unexpected character ${JSON.stringify(this.s[this.i])}`);
  }

  private word<T>(n: number, v: T): T {
    this.i += n;
    return v;
  }

  private object(depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    this.i++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return out;
    }
    for (;;) {
      if (this.s.charCodeAt(this.i) !== 0x22) this.fail('expected a string key');
      const key = this.string();
      this.ws();
      if (this.s.charCodeAt(this.i) !== 0x3a) this.fail('expected ":"');
      this.i++;
      this.ws();
      // As JSON.parse: "__proto__" is an own property, not the prototype.
      Object.defineProperty(out, key, { value: this.value(depth), enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 0x7d) return out;
      if (c !== 0x2c) {
        this.i--;
        this.fail('expected "," or "}"');
      }
      this.ws();
    }
  }

  private array(depth: number): unknown[] {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c === 0x5d) return out;
      if (c !== 0x2c) {
        this.i--;
        this.fail('expected "," or "]"');
      }
      this.ws();
    }
  }

  /** A string token, decoded by JSON.parse once its end is found (escapes and all). */
  private string(): string {
    const s = this.s;
    const start = this.i;
    let j = start + 1;
    for (;;) {
      const c = s.charCodeAt(j);
      if (c === 0x22) break;
      if (c === 0x5c) j += 2;
      else if (Number.isNaN(c)) {
        this.i = j;
        this.fail('unterminated string');
      } else j++;
    }
    this.i = j + 1;
    return JSON.parse(s.slice(start, j + 1)) as string;
  }

  private number(): number | bigint {
    const s = this.s;
    const start = this.i;
    let j = start;
    if (s.charCodeAt(j) === 0x2d) j++;
    const intStart = j;
    while (isDigit(s.charCodeAt(j))) j++;
    if (j === intStart || (s.charCodeAt(intStart) === 0x30 && j - intStart > 1)) {
      this.i = intStart;
      this.fail('bad number');
    }
    let integral = true;
    if (s.charCodeAt(j) === 0x2e) {
      integral = false;
      const f = ++j;
      while (isDigit(s.charCodeAt(j))) j++;
      if (j === f) {
        this.i = j;
        this.fail('bad number');
      }
    }
    const e = s.charCodeAt(j);
    if (e === 0x65 || e === 0x45) {
      integral = false;
      j++;
      const sign = s.charCodeAt(j);
      if (sign === 0x2b || sign === 0x2d) j++;
      const d = j;
      while (isDigit(s.charCodeAt(j))) j++;
      if (j === d) {
        this.i = j;
        this.fail('bad number');
      }
    }
    this.i = j;
    const token = s.slice(start, j);
    const n = Number(token);
    return integral && !Number.isSafeInteger(n) ? BigInt(token) : n;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Thrown by the replacer of {@link stringifyJson}'s fast path: the message needs {@link writeExact}. */
const NEEDS_EXACT = Symbol('needs exact integers');

/**
 * An integer `JSON.stringify` would not write exactly: a bigint, or an integral double beyond 2^53
 * written without an exponent (2^60 comes out as 1152921504606847000; from 1e21 on it writes
 * "1e+21", a float to every reader, and stays so).
 */
function inexact(value: unknown): boolean {
  return typeof value === 'bigint' || (typeof value === 'number' && unsafeInteger(value));
}

function unsafeInteger(n: number): boolean {
  return !Number.isSafeInteger(n) && Number.isInteger(n) && Math.abs(n) < 1e21;
}

function replacer(_key: string, value: unknown): unknown {
  if (inexact(value)) throw NEEDS_EXACT;
  if (value instanceof Uint8Array) throw bytesRefused();
  return value;
}

function bytesRefused(): SquallError {
  return new SquallError('SERIALIZATION', 'byte values (Uint8Array) cannot travel over the json serializer; use msgpack');
}

/**
 * JSON text of a message, as `JSON.stringify` writes it except that bigints and integral numbers
 * beyond 2^53 are written as the exact integers they are. Byte values are refused (a SERIALIZATION SquallError):
 * JSON cannot carry them (PROTOCOL.md §1).
 */
export function stringifyJson(message: unknown): string {
  try {
    return JSON.stringify(message, replacer);
  } catch (err) {
    if (err !== NEEDS_EXACT) throw err;
  }
  const out: string[] = [];
  writeExact(message, out, 0);
  return out.join('');
}

/** `JSON.stringify`'s rules (toJSON, undefined and functions left out of objects, null in arrays), integers exact. */
function writeExact(v: unknown, out: string[], depth: number): boolean {
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON(): unknown }).toJSON();
  switch (typeof v) {
    case 'bigint':
      out.push(v.toString());
      return true;
    case 'number':
      out.push(unsafeInteger(v) ? BigInt(v).toString() : JSON.stringify(v));
      return true;
    case 'string':
    case 'boolean':
      out.push(JSON.stringify(v));
      return true;
    case 'undefined':
    case 'function':
    case 'symbol':
      return false;
  }
  if (v === null) {
    out.push('null');
    return true;
  }
  if (v instanceof Uint8Array) throw bytesRefused();
  if (depth > MAX_DEPTH) throw new SquallError('SERIALIZATION', `a value nested deeper than ${MAX_DEPTH} (or cyclic)`);
  if (Array.isArray(v)) {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(',');
      if (!writeExact(v[i], out, depth + 1)) out.push('null');
    }
    out.push(']');
    return true;
  }
  out.push('{');
  let first = true;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const at = out.length;
    out.push(first ? '' : ',', JSON.stringify(k), ':');
    if (writeExact(x, out, depth + 1)) first = false;
    else out.length = at;
  }
  out.push('}');
  return true;
}
