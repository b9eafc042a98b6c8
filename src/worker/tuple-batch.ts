import { Packr } from 'msgpackr';
import { InvalidTupleError, SquallError, describe } from '../common/index.js';
import type { TopologyPlan } from '../executor/index.js';
import { TransportError } from '../transport/index.js';
import type { Fields } from '../tuple/index.js';
import { TupleImpl, unserializableReason, type Value } from '../tuple/index.js';

/**
 * The wire format of tuples between workers: one msgpack array per batch (positional, no msgpackr
 * records, so any msgpack reader can decode it):
 *
 *   [streamCount, destTask, sourceTask, stream, anchors, values, destTask, sourceTask, ...]
 *
 * `stream` numbers the (component, stream) pairs of the topology's plan in sorted order: every
 * worker runs the same plan, so names need not travel with each tuple. `streamCount` lets a
 * receiver tell a peer running another version of the topology. Bigints travel as 64-bit
 * integers and come back as bigints; numbers stay numbers.
 */
const FIELDS_PER_TUPLE = 5;
const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true, moreTypes: false });

interface StreamEntry {
  readonly component: string;
  readonly stream: string;
  readonly fields: Fields;
}

/** The numbering of a plan's streams, shared by every batch of a worker. */
export class StreamTable {
  readonly streams: readonly StreamEntry[];
  private readonly byFields = new Map<Fields, number>();
  private readonly byName = new Map<string, Map<string, number>>();

  constructor(plan: TopologyPlan) {
    const streams: StreamEntry[] = [];
    for (const component of [...plan.componentTasks.keys()].sort()) {
      const names = new Map<string, number>();
      this.byName.set(component, names);
      for (const stream of Object.keys(plan.component(component).streams).sort()) {
        const fields = plan.streamFields(component, stream);
        if (fields === undefined) continue;
        names.set(stream, streams.length);
        this.byFields.set(fields, streams.length);
        streams.push({ component, stream, fields });
      }
    }
    this.streams = streams;
  }

  /** The number of a tuple's stream: by its Fields instance (the plan's own), else by name. */
  indexOf(t: TupleImpl): number {
    const i = this.byFields.get(t.fields) ?? this.byName.get(t.sourceComponent)?.get(t.sourceStreamId);
    if (i === undefined) throw new SquallError('INVALID_TUPLE', `cannot send a tuple on '${t.sourceComponent}' stream '${t.sourceStreamId}', which this topology does not declare`);
    return i;
  }
}

/** Collects the tuples bound for one worker and encodes them as one batch. */
export class TupleBatch {
  private items: unknown[];

  constructor(private readonly table: StreamTable) {
    this.items = [table.streams.length];
  }

  get size(): number {
    return (this.items.length - 1) / FIELDS_PER_TUPLE;
  }

  add(destTask: number, t: TupleImpl): void {
    this.items.push(destTask, t.sourceTask, this.table.indexOf(t), t.anchors, t.values);
  }

  /**
   * The encoded batch; the collector is empty afterwards. When a value cannot be encoded (circular,
   * too deep, a bigint beyond 64 bits...), the tuples holding one are left out and each handed to
   * `refused` with an InvalidTupleError naming its component, stream and the value's path; their
   * trees time out and replay. Only a failed batch is looked at tuple by tuple.
   */
  take(refused: (task: number, error: InvalidTupleError) => void = () => undefined): Uint8Array {
    const items = this.items;
    this.items = [this.table.streams.length];
    try {
      return packr.pack(items);
    } catch {
      const kept: unknown[] = [items[0]];
      for (let i = 1; i < items.length; i += FIELDS_PER_TUPLE) {
        const values = items[i + 4] as Value[];
        const s = this.table.streams[items[i + 2] as number];
        let reason = unserializableReason(values, 'values');
        if (reason === undefined) {
          try {
            packr.pack(values);
          } catch (err) {
            reason = describe(err);
          }
        }
        if (reason === undefined) kept.push(...items.slice(i, i + FIELDS_PER_TUPLE));
        else refused(items[i + 1] as number, new InvalidTupleError(s?.component ?? '?', s?.stream ?? '?', `cannot be serialized: ${reason}`));
      }
      return packr.pack(kept);
    }
  }
}

/**
 * Decodes a batch and delivers each tuple to `deliver(destTask, tuple)`. Whatever arrives on a
 * worker's port is untrusted: bytes that are not a batch, a batch numbered against another plan
 * (the peer runs a different version of the topology) or a malformed tuple are refused with a
 * TransportError saying what is wrong, never guessed at. Tuples before a malformed one in the same
 * batch are delivered; the checks are a few type tests per tuple, so the hot path stays cheap.
 */
export function decodeTupleBatch(bytes: Uint8Array, table: StreamTable, deliver: (destTask: number, tuple: TupleImpl) => void): void {
  let items: unknown;
  try {
    items = packr.unpack(bytes);
  } catch (err) {
    throw new TransportError(`refused ${bytes.length} bytes that are not msgpack: ${describe(err)}`, { cause: err });
  }
  if (!Array.isArray(items)) throw new TransportError(`refused ${bytes.length} bytes that are not a tuple batch (msgpack ${typeof items}, not an array)`);
  const streams = table.streams;
  if (items[0] !== streams.length) {
    throw new TransportError(`refused a batch numbered for ${String(items[0])} streams; this topology has ${streams.length}: the sending worker runs a different version of it`);
  }
  if ((items.length - 1) % FIELDS_PER_TUPLE !== 0) throw new TransportError(`refused a batch of ${items.length} items, which is not 1 + ${FIELDS_PER_TUPLE} per tuple`);
  for (let i = 1; i < items.length; i += FIELDS_PER_TUPLE) {
    const dest: unknown = items[i];
    const source: unknown = items[i + 1];
    const anchors: unknown = items[i + 3];
    const values: unknown = items[i + 4];
    const index: unknown = items[i + 2];
    const s = typeof index === 'number' ? streams[index] : undefined;
    if (s === undefined) throw new TransportError(`refused a tuple on stream number ${String(items[i + 2])}, which this topology does not have`);
    if (typeof dest !== 'number' || typeof source !== 'number' || !Array.isArray(anchors) || !Array.isArray(values) || values.length !== s.fields.size) {
      throw new TransportError(`refused a malformed tuple (item ${i}) on '${s.component}' stream '${s.stream}': expected task numbers, anchors and ${s.fields.size} values`);
    }
    deliver(dest, new TupleImpl(values as Value[], s.fields, s.component, s.stream, source, anchors as number[]));
  }
}
