import type { Value } from './tuple.js';

/** Values nest at most this deep: msgpack (and every reader on the other side) recurses per level. */
export const MAX_VALUE_DEPTH = 1000;

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** A path short enough for an error message, even 1000 levels down. */
function shortPath(path: string): string {
  return path.length <= 120 ? path : `${path.slice(0, 60)}…${path.slice(-50)}`;
}

/**
 * Why `v` could not travel between processes, or undefined when it can. Functions, symbols,
 * undefined, class instances, Maps and Sets do not survive msgpack, nor do circular values,
 * values nested deeper than MAX_VALUE_DEPTH or bigints beyond 64 bits; catching them at emit
 * keeps local mode honest about what cluster mode will do. The reason names the value's path.
 */
export function unserializableReason(v: unknown, path = 'value'): string | undefined {
  return check(v, path, 0, new Map());
}

/** `ancestors`: the objects on the way down to `v`, with their paths (a shared, non-circular object is fine). */
function check(v: unknown, path: string, depth: number, ancestors: Map<object, string>): string | undefined {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'number':
      return undefined;
    case 'bigint':
      return v < INT64_MIN || v > UINT64_MAX ? `${shortPath(path)} is a bigint beyond 64 bits (${v.toString().length} digits); send it as a string` : undefined;
    case 'undefined':
      return `${shortPath(path)} is undefined (use null)`;
    case 'function':
    case 'symbol':
      return `${shortPath(path)} is a ${typeof v}`;
    case 'object': {
      if (v === null || v instanceof Uint8Array) return undefined;
      const seen = ancestors.get(v);
      if (seen !== undefined) return `${shortPath(path)} refers back to ${shortPath(seen)} (a circular value)`;
      if (depth >= MAX_VALUE_DEPTH) return `${shortPath(path)} is nested deeper than ${MAX_VALUE_DEPTH} levels`;
      ancestors.set(v, path);
      let r: string | undefined;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length && r === undefined; i++) r = check(v[i], `${path}[${i}]`, depth + 1, ancestors);
      } else {
        const proto: unknown = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) {
          const name = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
          r = `${shortPath(path)} is a ${name}, not a plain object`;
        } else {
          for (const k of Object.keys(v)) {
            r = check((v as Record<string, unknown>)[k], `${path}.${k}`, depth + 1, ancestors);
            if (r !== undefined) break;
          }
        }
      }
      ancestors.delete(v);
      return r;
    }
  }
  return `${shortPath(path)} has unsupported type`;
}

export function isValue(v: unknown): v is Value {
  return unserializableReason(v) === undefined;
}
