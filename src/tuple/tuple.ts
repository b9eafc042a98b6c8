import type { Fields } from './fields.js';
import { SYSTEM_COMPONENT, TICK_STREAM } from './constants.js';

/**
 * A value a tuple may carry: anything msgpack serializes, so the same topology runs unchanged when
 * tuples cross processes.
 */
export type Value =
  | string
  | number
  | bigint
  | boolean
  | null
  | Uint8Array
  | readonly Value[]
  | { readonly [key: string]: Value };

export type Values = Value[];

/** What a bolt receives. */
export interface Tuple {
  readonly values: readonly Value[];
  readonly fields: Fields;
  readonly sourceComponent: string;
  readonly sourceStreamId: string;
  readonly sourceTask: number;
  readonly size: number;
  getValue(i: number): Value;
  getValueByField(field: string): Value;
  getString(i: number): string;
  getStringByField(field: string): string;
  getNumber(i: number): number;
  getNumberByField(field: string): number;
  contains(field: string): boolean;
  select(fields: Fields | readonly string[]): Value[];
  isTick(): boolean;
}

const EMPTY_ANCHORS: readonly number[] = [];

/**
 * The runtime's tuple. `anchors` is the message id (Storm's `anchorsToIds`) flattened as
 * `[rootHi, rootLo, edgeHi, edgeLo, ...]`, 64-bit ids as int32 halves; empty when the tuple is
 * not tracked. `ackHi`/`ackLo` gather the XOR of the edges of the tuples emitted anchored to this
 * one while it is being processed.
 */
export class TupleImpl implements Tuple {
  ackHi = 0;
  ackLo = 0;
  /** clock.hrNow() when execute started, for sampled process latency; -1 when not sampled. */
  executeStart = -1;

  constructor(
    readonly values: readonly Value[],
    readonly fields: Fields,
    readonly sourceComponent: string,
    readonly sourceStreamId: string,
    readonly sourceTask: number,
    readonly anchors: readonly number[] = EMPTY_ANCHORS,
  ) {}

  get size(): number {
    return this.values.length;
  }

  getValue(i: number): Value {
    if (i < 0 || i >= this.values.length) {
      throw new RangeError(`Tuple from '${this.sourceComponent}' on '${this.sourceStreamId}' has no value at index ${i}`);
    }
    return this.values[i] as Value;
  }

  getValueByField(field: string): Value {
    const i = this.fields.indexOf(field);
    if (i < 0) {
      throw new RangeError(
        `Tuple from '${this.sourceComponent}' on '${this.sourceStreamId}' has no field '${field}' (fields: ${this.fields.names.join(', ')})`,
      );
    }
    return this.values[i] as Value;
  }

  getString(i: number): string {
    return expect(this.getValue(i), 'string', this, String(i));
  }

  getStringByField(field: string): string {
    return expect(this.getValueByField(field), 'string', this, field);
  }

  getNumber(i: number): number {
    return expect(this.getValue(i), 'number', this, String(i));
  }

  getNumberByField(field: string): number {
    return expect(this.getValueByField(field), 'number', this, field);
  }

  contains(field: string): boolean {
    return this.fields.contains(field);
  }

  select(fields: Fields | readonly string[]): Value[] {
    return this.fields.select(fields, this.values) as Value[];
  }

  isTick(): boolean {
    return this.sourceComponent === SYSTEM_COMPONENT && this.sourceStreamId === TICK_STREAM;
  }

  toString(): string {
    return `source: ${this.sourceComponent}:${this.sourceTask}, stream: ${this.sourceStreamId}, values: ${JSON.stringify(this.values, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
  }
}

function expect<T extends 'string' | 'number'>(
  v: Value,
  type: T,
  t: TupleImpl,
  where: string,
): T extends 'string' ? string : number {
  if (typeof v !== type) {
    throw new TypeError(`Tuple from '${t.sourceComponent}': value '${where}' is ${typeof v}, not ${type}`);
  }
  return v as T extends 'string' ? string : number;
}
