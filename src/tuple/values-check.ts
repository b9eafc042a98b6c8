import type { Value } from './tuple.js';

/**
 * Why `v` could not travel between processes, or undefined when it can. Functions, symbols,
 * undefined, class instances, Maps and Sets do not survive msgpack; catching them at emit keeps
 * local mode honest about what cluster mode will do.
 */
export function unserializableReason(v: unknown, path = 'value'): string | undefined {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return undefined;
    case 'number':
      return undefined;
    case 'undefined':
      return `${path} is undefined (use null)`;
    case 'function':
    case 'symbol':
      return `${path} is a ${typeof v}`;
    case 'object': {
      if (v === null || v instanceof Uint8Array) return undefined;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const r = unserializableReason(v[i], `${path}[${i}]`);
          if (r !== undefined) return r;
        }
        return undefined;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        const name = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
        return `${path} is a ${name}, not a plain object`;
      }
      for (const [k, x] of Object.entries(v)) {
        const r = unserializableReason(x, `${path}.${k}`);
        if (r !== undefined) return r;
      }
      return undefined;
    }
  }
  return `${path} has unsupported type`;
}

export function isValue(v: unknown): v is Value {
  return unserializableReason(v) === undefined;
}
