import type { Value, Values } from '../tuple/index.js';
import { SquallError } from '../common/index.js';

/** Field name -> position, shared by every tuple of one schema. */
export class FieldIndex {
  private readonly index = new Map<string, number>();

  constructor(readonly names: readonly string[]) {
    names.forEach((n, i) => this.index.set(n, i));
  }

  indexOf(field: string): number {
    const i = this.index.get(field);
    if (i === undefined) throw new SquallError('INVALID_TUPLE', `no field '${field}' in [${this.names.join(', ')}]`);
    return i;
  }

  has(field: string): boolean {
    return this.index.has(field);
  }
}

/** A tuple as Trident operations see it (Storm's `TridentTuple`): values with field names. */
export interface TridentTuple {
  readonly values: readonly Value[];
  readonly fields: readonly string[];
  readonly size: number;
  getValue(i: number): Value;
  getValueByField(field: string): Value;
  getString(i: number): string;
  getStringByField(field: string): string;
  getNumber(i: number): number;
  getNumberByField(field: string): number;
  getBoolean(i: number): boolean;
  getBooleanByField(field: string): boolean;
  select(fields: readonly string[]): Values;
}

function expect<T>(v: Value, type: string, where: string): T {
  if (typeof v !== type) throw new SquallError('INVALID_TUPLE', `Trident tuple: ${where} is ${v === null ? 'null' : typeof v}, not a ${type}`);
  return v as T;
}

export class TridentTupleView implements TridentTuple {
  constructor(
    private readonly schema: FieldIndex,
    readonly values: readonly Value[],
  ) {}

  get fields(): readonly string[] {
    return this.schema.names;
  }

  get size(): number {
    return this.values.length;
  }

  getValue(i: number): Value {
    if (i < 0 || i >= this.values.length) throw new SquallError('INVALID_TUPLE', `Trident tuple: no value at ${i} (size ${this.values.length})`);
    return this.values[i] as Value;
  }

  getValueByField(field: string): Value {
    return this.values[this.schema.indexOf(field)] as Value;
  }

  getString(i: number): string {
    return expect(this.getValue(i), 'string', `value ${i}`);
  }

  getStringByField(field: string): string {
    return expect(this.getValueByField(field), 'string', `field '${field}'`);
  }

  getNumber(i: number): number {
    return expect(this.getValue(i), 'number', `value ${i}`);
  }

  getNumberByField(field: string): number {
    return expect(this.getValueByField(field), 'number', `field '${field}'`);
  }

  getBoolean(i: number): boolean {
    return expect(this.getValue(i), 'boolean', `value ${i}`);
  }

  getBooleanByField(field: string): boolean {
    return expect(this.getValueByField(field), 'boolean', `field '${field}'`);
  }

  select(fields: readonly string[]): Values {
    return fields.map((f) => this.getValueByField(f));
  }
}

/** Positions of `fields` in `schema`, to project values without a lookup per tuple. */
export function projection(schema: FieldIndex, fields: readonly string[]): number[] {
  return fields.map((f) => schema.indexOf(f));
}

export function project(values: readonly Value[], positions: readonly number[]): Values {
  const out = new Array<Value>(positions.length);
  for (let i = 0; i < positions.length; i++) out[i] = values[positions[i] as number] as Value;
  return out;
}
