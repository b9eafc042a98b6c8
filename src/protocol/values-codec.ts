import { Packr } from 'msgpackr';
import { SquallError } from '../common/index.js';
import { unserializableReason, type Value } from '../tuple/index.js';

/**
 * The encoding of tuple values whenever they leave a process: plain positional msgpack (no
 * msgpackr records, which other languages cannot read), bigints as 64-bit integers and decoded
 * back as bigints, so numbers stay numbers and bigints stay bigints.
 */
const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true, moreTypes: false });

export function encodeValues(values: readonly Value[]): Uint8Array {
  try {
    return packr.pack(values);
  } catch (err) {
    // Say which value, and why, rather than msgpackr's words (or a stack overflow).
    const reason = unserializableReason(values, 'values') ?? (err instanceof Error ? err.message : String(err));
    throw new SquallError('SERIALIZATION', `cannot serialize tuple values: ${reason}`, { cause: err });
  }
}

export function decodeValues(bytes: Uint8Array): Value[] {
  return packr.unpack(bytes) as Value[];
}
