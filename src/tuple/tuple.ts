import type { Fields } from './fields.js';
import { SYSTEM_COMPONENT, TICK_STREAM } from './constants.js';
import { SquallError } from '../common/index.js';

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

/*
 * A message id's layout, known only here: per root the 64-bit root id and the tuple's edge id
 * under that root, as int32 halves, [rootHi, rootLo, edgeHi, edgeLo, ...]. Everything else (the
 * emitter, the collectors, held acks, window anchoring) goes through these functions; V8 inlines
 * them, so the hot loops cost what they did when they indexed the array themselves.
 */

/** Number of roots in message id `ids`. */
export function rootCount(ids: readonly number[]): number {
  return ids.length >> 2;
}

export function rootHi(ids: readonly number[], k: number): number {
  return ids[k << 2] as number;
}

export function rootLo(ids: readonly number[], k: number): number {
  return ids[(k << 2) + 1] as number;
}

export function edgeHi(ids: readonly number[], k: number): number {
  return ids[(k << 2) + 2] as number;
}

export function edgeLo(ids: readonly number[], k: number): number {
  return ids[(k << 2) + 3] as number;
}

/** The message id of a tuple with one root (an array literal: the common case, kept packed). */
export function singleRootId(rHi: number, rLo: number, eHi: number, eLo: number): number[] {
  return [rHi, rLo, eHi, eLo];
}

/** Appends a root and the edge under it to a message id being built. */
export function pushRoot(ids: number[], rHi: number, rLo: number, eHi: number, eLo: number): void {
  ids.push(rHi, rLo, eHi, eLo);
}

/** Index of root (`rHi`, `rLo`) in `ids` (a linear scan), or -1. */
export function findRoot(ids: readonly number[], rHi: number, rLo: number): number {
  for (let j = 0; j < ids.length; j += 4) if (ids[j] === rHi && ids[j + 1] === rLo) return j >> 2;
  return -1;
}

/** XORs an edge into the edge under root `k` (edges of several anchors sharing a root combine). */
export function xorEdge(ids: number[], k: number, eHi: number, eLo: number): void {
  const j = k << 2;
  ids[j + 2] = (ids[j + 2] as number) ^ eHi;
  ids[j + 3] = (ids[j + 3] as number) ^ eLo;
}

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

  /** Roots this tuple is tracked under; 0 when it is not tracked. */
  get roots(): number {
    return this.anchors.length >> 2;
  }

  /**
   * The ack value for root `k` (Storm's `ackVal`): this tuple's edge XOR the edges of the tuples
   * emitted anchored to it. Acking sends it for each root, removing the edge and adding the children.
   */
  ackValueHi(k: number): number {
    return (this.anchors[(k << 2) + 2] as number) ^ this.ackHi;
  }

  ackValueLo(k: number): number {
    return (this.anchors[(k << 2) + 3] as number) ^ this.ackLo;
  }

  get size(): number {
    return this.values.length;
  }

  getValue(i: number): Value {
    if (i < 0 || i >= this.values.length) {
      throw new SquallError('INVALID_TUPLE', `Tuple from '${this.sourceComponent}' on '${this.sourceStreamId}' has no value at index ${i}`);
    }
    return this.values[i] as Value;
  }

  getValueByField(field: string): Value {
    const i = this.fields.indexOf(field);
    if (i < 0) {
      throw new SquallError('INVALID_TUPLE', 
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
    throw new SquallError('INVALID_TUPLE', `Tuple from '${t.sourceComponent}': value '${where}' is ${typeof v}, not ${type}`);
  }
  return v as T extends 'string' ? string : number;
}
