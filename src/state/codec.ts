import { decodeValues, encodeValues } from '../protocol/index.js';
import type { Value } from '../tuple/index.js';
import { SquallError } from '../common/index.js';

/**
 * Keys of a key-value state: the primitive tuple values. They are compared by value (a JS `Map`
 * key) and stored by their msgpack encoding, so `1` and `'1'` are different keys.
 */
export type StateKey = string | number | bigint | boolean;

// msgpackr returns views into a shared 8 KB working buffer: keep a copy of exactly the bytes, so a
// stored value does not pin (or see reused) the whole buffer.
const copy = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

export function isStateKey(key: unknown): key is StateKey {
  const t = typeof key;
  return t === 'string' || t === 'number' || t === 'bigint' || t === 'boolean';
}

/** A key's field in the store: the values codec applied to `[key]`. */
export function encodeKey(key: StateKey): Uint8Array {
  return copy(encodeValues([key]));
}

export function decodeKey(bytes: Uint8Array): StateKey {
  const key = decodeValues(bytes)[0];
  if (!isStateKey(key)) throw new SquallError('STATE', `a stored state key decodes to ${key === null ? 'null' : typeof key}, not a string, number, bigint or boolean`);
  return key;
}

/** A value in the store: the values codec applied to `[value]`; any tuple value round-trips. */
export function encodeValue(value: Value): Uint8Array {
  return copy(encodeValues([value]));
}

/** Decodes a copy: binary values decode as views into their source, which must stay untouched. */
export function decodeValue(bytes: Uint8Array): Value {
  return decodeValues(copy(bytes))[0] as Value;
}

/** Bytes as a string with one char per byte, to key maps by field. */
export function bytesKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function bytesFromKey(key: string): Uint8Array {
  return new Uint8Array(Buffer.from(key, 'latin1'));
}
