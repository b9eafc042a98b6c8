import type { Tuple, Value } from '../../tuple/index.js';
import { SquallError } from '../../common/index.js';

/** The one field of a late-tuple stream, as in Storm. */
export const LATE_TUPLE_FIELD = 'late_tuple';

/**
 * What a late-tuple stream carries in `late_tuple`: the late tuple's values and where it came from
 * (Storm sends the tuple object itself; a plain object crosses processes). Read it with
 * {@link lateTupleOf}.
 */
export interface LateTuple {
  /** Component, stream and task that emitted the late tuple. */
  readonly component: string;
  readonly stream: string;
  readonly task: number;
  readonly fields: readonly string[];
  readonly values: readonly Value[];
  /** Its event time, ms. */
  readonly timestamp: number;
  /** The watermark it arrived at or below, ms. */
  readonly watermark: number;
}

export function toLateTupleValue(t: Tuple, timestamp: number, watermark: number): Value {
  return {
    component: t.sourceComponent,
    stream: t.sourceStreamId,
    task: t.sourceTask,
    fields: t.fields.names,
    values: t.values,
    timestamp,
    watermark,
  };
}

/** The late tuple carried by a tuple of a late-tuple stream. */
export function lateTupleOf(t: Tuple): LateTuple {
  const v = t.getValueByField(LATE_TUPLE_FIELD) as Partial<LateTuple> | null;
  if (v === null || typeof v !== 'object' || !Array.isArray(v.values) || typeof v.timestamp !== 'number') {
    throw new SquallError('INVALID_ARGUMENT', `Tuple from '${t.sourceComponent}' on '${t.sourceStreamId}': field '${LATE_TUPLE_FIELD}' is not a late tuple`);
  }
  return v as LateTuple;
}
