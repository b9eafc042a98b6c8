import { Packr } from 'msgpackr';
import { SquallError } from '../common/index.js';
import type { Value } from '../tuple/index.js';

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
    throw new SquallError('SERIALIZATION', `cannot serialize tuple values: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

export function decodeValues(bytes: Uint8Array): Value[] {
  return packr.unpack(bytes) as Value[];
}
