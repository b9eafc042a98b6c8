import type { Value } from '../tuple/index.js';

/**
 * A 32-bit hash of tuple values that depends only on the values, never on object identity or the
 * process: the fields grouping must send equal values to the same task in every worker. FNV-1a
 * over a type tag and the value's content.
 */
const FNV_PRIME = 0x01000193;
const f64 = new Float64Array(1);
const f64Bytes = new Uint32Array(f64.buffer);

function mixInt(h: number, n: number): number {
  h = Math.imul(h ^ (n & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((n >>> 8) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((n >>> 16) & 0xff), FNV_PRIME);
  return Math.imul(h ^ (n >>> 24), FNV_PRIME);
}

function mixString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return mixInt(h, s.length);
}

export function hashValue(v: Value | undefined, seed: number): number {
  let h = seed;
  switch (typeof v) {
    case 'string':
      return mixString(Math.imul(h ^ 1, FNV_PRIME), v);
    case 'number':
      // Integers hash by value so 3 and 3.0 (the same JS number) agree with a bigint-free encoding.
      if (Number.isInteger(v) && Math.abs(v) <= 0x7fffffff) return mixInt(Math.imul(h ^ 2, FNV_PRIME), v);
      f64[0] = v;
      return mixInt(mixInt(Math.imul(h ^ 3, FNV_PRIME), f64Bytes[0] ?? 0), f64Bytes[1] ?? 0);
    case 'bigint': {
      // 32 bits at a time: cheaper than formatting the number (tuple ids are 64-bit bigints).
      h = Math.imul(h ^ 4, FNV_PRIME);
      let rest = v;
      do {
        h = mixInt(h, Number(BigInt.asUintN(32, rest)));
        rest >>= 32n;
      } while (rest !== 0n && rest !== -1n);
      return mixInt(h, rest === -1n ? 1 : 0);
    }
    case 'boolean':
      return Math.imul(h ^ (v ? 5 : 6), FNV_PRIME);
    case 'undefined':
      return Math.imul(h ^ 7, FNV_PRIME);
    case 'object': {
      if (v === null) return Math.imul(h ^ 8, FNV_PRIME);
      if (v instanceof Uint8Array) {
        h = Math.imul(h ^ 9, FNV_PRIME);
        for (let i = 0; i < v.length; i++) h = Math.imul(h ^ (v[i] ?? 0), FNV_PRIME);
        return mixInt(h, v.length);
      }
      if (Array.isArray(v)) {
        h = Math.imul(h ^ 10, FNV_PRIME);
        for (const x of v as readonly Value[]) h = hashValue(x, h);
        return mixInt(h, v.length);
      }
      // Plain objects: key order must not matter.
      h = Math.imul(h ^ 11, FNV_PRIME);
      const obj = v as { readonly [k: string]: Value };
      for (const k of Object.keys(obj).sort()) h = hashValue(obj[k], mixString(h, k));
      return h;
    }
    default:
      return h;
  }
}

const FNV_OFFSET = 0x811c9dc5;

/** Hash of the values at `indexes`, as an unsigned 32-bit integer. */
export function hashFields(values: readonly Value[], indexes: readonly number[], seed = FNV_OFFSET): number {
  let h = seed;
  for (let i = 0; i < indexes.length; i++) h = hashValue(values[indexes[i] ?? 0], h);
  return h >>> 0;
}
