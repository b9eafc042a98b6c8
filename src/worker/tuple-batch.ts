import { Packr } from 'msgpackr';
import type { TopologyPlan } from '../executor/index.js';
import type { Fields} from '../tuple/index.js';
import { TupleImpl, type Value } from '../tuple/index.js';

/**
 * The wire format of tuples between workers: one msgpack array per batch, a flat run of
 * `destTask, sourceTask, component, stream, anchors, values` per tuple (positional, no msgpackr
 * records, so any msgpack reader can decode it). Bigints travel as 64-bit integers and come back
 * as bigints; numbers stay numbers.
 */
const FIELDS_PER_TUPLE = 6;
const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true, moreTypes: false });

/** Collects the tuples bound for one worker and encodes them as one batch. */
export class TupleBatch {
  private items: unknown[] = [];

  get size(): number {
    return this.items.length / FIELDS_PER_TUPLE;
  }

  add(destTask: number, t: TupleImpl): void {
    this.items.push(destTask, t.sourceTask, t.sourceComponent, t.sourceStreamId, t.anchors, t.values);
  }

  /** The encoded batch; the collector is empty afterwards. */
  take(): Uint8Array {
    const bytes = packr.pack(this.items);
    this.items = [];
    return bytes;
  }
}

/**
 * Decodes a batch and delivers each tuple to `deliver(destTask, tuple)`. Fields come from the
 * receiving worker's own plan of the same topology; an unknown stream means the peer runs a
 * different version of the topology, which is reported rather than guessed at.
 */
export function decodeTupleBatch(bytes: Uint8Array, plan: TopologyPlan, deliver: (destTask: number, tuple: TupleImpl) => void): void {
  const items = packr.unpack(bytes) as unknown[];
  // component -> stream -> fields, without building a key string per tuple.
  const fieldsCache = new Map<string, Map<string, Fields>>();
  for (let i = 0; i + FIELDS_PER_TUPLE <= items.length; i += FIELDS_PER_TUPLE) {
    const component = items[i + 2] as string;
    const stream = items[i + 3] as string;
    let streams = fieldsCache.get(component);
    if (streams === undefined) fieldsCache.set(component, (streams = new Map<string, Fields>()));
    let fields = streams.get(stream);
    if (fields === undefined) {
      fields = plan.streamFields(component, stream);
      if (fields === undefined) throw new RangeError(`received a tuple on '${component}' stream '${stream}', which this topology does not declare`);
      streams.set(stream, fields);
    }
    const tuple = new TupleImpl(items[i + 5] as Value[], fields, component, stream, items[i + 1] as number, items[i + 4] as number[]);
    deliver(items[i] as number, tuple);
  }
}
