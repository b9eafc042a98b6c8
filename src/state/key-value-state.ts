import type { Value } from '../tuple/index.js';
import { bytesKey, decodeKey, decodeValue, encodeKey, encodeValue, isStateKey, type StateKey } from './codec.js';
import { StateError } from './errors.js';
import { TOMBSTONE, type PreparedChanges, type StateChange, type StateStore } from './store.js';
import { SquallError } from '../common/index.js';

/**
 * The state a stateful bolt receives in `initState` (Storm's `KeyValueState`), shaped like a
 * `Map`. Synchronous: the whole state is held in memory, loaded when the task starts; changes are
 * written to the store at each checkpoint. Values are copied in and out like a store would
 * (objects are kept encoded), so mutating an object after `put` does not change the state.
 */
export interface KeyValueState<K extends StateKey = string, V extends Value = Value> extends Iterable<[K, V]> {
  get(key: K): V | undefined;
  get(key: K, defaultValue: V): V;
  put(key: K, value: V): void;
  /** Removes the key; returns whether it was there. */
  delete(key: K): boolean;
  has(key: K): boolean;
  readonly size: number;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  entries(): IterableIterator<[K, V]>;
}

/** An object value held encoded: the state keeps its own copy, never the caller's object. */
class Frozen {
  constructor(readonly bytes: Uint8Array) {}
}

type Slot = string | number | bigint | boolean | null | Frozen;

/** Marks a key that did not exist, in an undo log. */
const ABSENT: unique symbol = Symbol('absent');
type Undo = Slot | typeof ABSENT;

function toSlot(value: Value): Slot {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'bigint':
    case 'boolean':
      return value;
    case 'object':
      return value === null ? null : new Frozen(encodeValue(value));
    default:
      throw new SquallError('STATE', `state values must be tuple values (string, number, bigint, boolean, null, Uint8Array, array, plain object), got ${typeof value}`);
  }
}

function thaw(slot: Slot): Value {
  return slot instanceof Frozen ? decodeValue(slot.bytes) : slot;
}

function fromBytes(bytes: Uint8Array): Slot {
  const v = decodeValue(bytes);
  return typeof v === 'object' && v !== null ? new Frozen(bytes) : v;
}

function checkKey(key: unknown): void {
  if (!isStateKey(key)) {
    throw new SquallError('STATE', `state keys must be strings, numbers, bigints or booleans, got ${key === null ? 'null' : typeof key}`);
  }
}

/**
 * A {@link KeyValueState} over a {@link StateStore}, with Storm's checkpoint protocol.
 *
 * All of the state is in `view`. Each key changed since the last `prepareCommit` remembers its
 * value from before (`changed`, an undo log that is also the set of keys to write); at
 * `prepareCommit` those keys are encoded and written as the prepared changes, and their undo
 * entries move to `preparedUndo` until the commit makes them durable. `rollback` replays both undo
 * logs, which puts the view back exactly at the last commit without reading the store.
 */
export class CheckpointedKeyValueState<K extends StateKey = string, V extends Value = Value> implements KeyValueState<K, V> {
  private readonly view = new Map<K, Slot>();
  private changed = new Map<K, Undo>();
  private readonly preparedUndo = new Map<K, Undo>();
  /** Prepared by this instance, not yet committed. */
  private prepared: PreparedChanges | null = null;
  /** Prepared in the store before this instance loaded it (a restart between prepare and commit). */
  private recovered: PreparedChanges | null;
  private committedTxid: number | null;

  private constructor(
    readonly store: StateStore,
    committed: readonly StateChange[],
    committedTxid: number | null,
    recovered: PreparedChanges | null,
  ) {
    for (const [f, v] of committed) this.view.set(decodeKey(f) as K, fromBytes(v));
    this.committedTxid = committedTxid;
    this.recovered = recovered;
  }

  /** Loads the committed state of the store's namespace. */
  static async open<K extends StateKey = string, V extends Value = Value>(store: StateStore): Promise<CheckpointedKeyValueState<K, V>> {
    const s = await store.load();
    return new CheckpointedKeyValueState<K, V>(store, s.committed, s.committedTxid, s.prepared);
  }

  get namespace(): string {
    return this.store.namespace;
  }

  /** The last committed transaction id, or null. */
  get lastCommittedTxid(): number | null {
    return this.committedTxid;
  }

  get(key: K): V | undefined;
  get(key: K, defaultValue: V): V;
  get(key: K, defaultValue?: V): V | undefined {
    const slot = this.view.get(key);
    if (slot === undefined) return defaultValue;
    return (slot instanceof Frozen ? decodeValue(slot.bytes) : slot) as V;
  }

  put(key: K, value: V): void {
    checkKey(key);
    const slot = toSlot(value);
    const before = this.view.get(key);
    if (!this.changed.has(key)) this.changed.set(key, before === undefined ? ABSENT : before);
    this.view.set(key, slot);
  }

  delete(key: K): boolean {
    const before = this.view.get(key);
    if (before === undefined) return false;
    if (!this.changed.has(key)) this.changed.set(key, before);
    return this.view.delete(key);
  }

  has(key: K): boolean {
    return this.view.has(key);
  }

  get size(): number {
    return this.view.size;
  }

  *keys(): IterableIterator<K> {
    yield* this.view.keys();
  }

  *values(): IterableIterator<V> {
    for (const slot of this.view.values()) yield thaw(slot) as V;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [k, slot] of this.view) yield [k, thaw(slot) as V];
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /**
   * Writes the changes made since the last prepare as the prepared changes of `txid`. The
   * snapshot is taken synchronously, before the returned promise settles: changes made while
   * the write runs belong to the next checkpoint.
   */
  prepareCommit(txid: number): Promise<void> {
    const changes: StateChange[] = [];
    for (const [key, undo] of this.changed) {
      const slot = this.view.get(key);
      if (!this.preparedUndo.has(key)) this.preparedUndo.set(key, undo);
      // Created and deleted again since the last prepare: nothing to write.
      if (slot === undefined && undo === ABSENT) continue;
      const field = encodeKey(key);
      changes.push([field, slot === undefined ? TOMBSTONE : slot instanceof Frozen ? slot.bytes : encodeValue(slot)]);
    }
    this.changed = new Map();
    // A second prepare before a commit (a retried round) must still carry the first one's changes.
    const batch = this.prepared === null ? changes : merge(this.prepared.changes, changes);
    this.prepared = { txid, changes: batch };
    return this.store.prepare(txid, batch);
  }

  /**
   * Commits the changes prepared for `txid` (by this instance, or found in the store at load:
   * the commit is rolled forward after a restart). With nothing prepared for it, a txid already
   * committed is a no-op (a commit retried after it succeeded). The prepared changes stay until
   * the write succeeds, so a failed commit can be retried.
   */
  async commit(txid: number): Promise<void> {
    const batch = this.prepared ?? this.recovered;
    if (batch === null || batch.txid !== txid) {
      if (this.committedTxid !== null && txid <= this.committedTxid) return;
      if (batch !== null) throw new StateError(this.namespace, `commit of txid ${txid}, but the prepared changes are for txid ${batch.txid}`);
    }
    await this.store.commit(txid);
    if (batch !== null && batch === this.recovered) {
      // The view was loaded from the committed data only: bring in what this commit made durable.
      for (const [f, v] of batch.changes) {
        const key = decodeKey(f) as K;
        if (v.byteLength === 0) this.view.delete(key);
        else this.view.set(key, fromBytes(v));
      }
    }
    if (this.prepared === batch) {
      this.prepared = null;
      this.preparedUndo.clear();
    }
    this.recovered = null;
    this.committedTxid = txid;
  }

  /**
   * Puts the state back at the last commit: changes since the last prepare, and prepared ones,
   * are undone in memory at once; the store drops its prepared changes.
   */
  rollback(): Promise<void> {
    this.undo(this.changed);
    this.undo(this.preparedUndo);
    this.changed = new Map();
    this.preparedUndo.clear();
    this.prepared = null;
    this.recovered = null;
    return this.store.rollback();
  }

  private undo(log: ReadonlyMap<K, Undo>): void {
    for (const [key, before] of log) {
      if (before === ABSENT) this.view.delete(key);
      else this.view.set(key, before);
    }
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

function merge(earlier: readonly StateChange[], later: readonly StateChange[]): StateChange[] {
  const byField = new Map<string, StateChange>();
  for (const c of earlier) byField.set(bytesKey(c[0]), c);
  for (const c of later) byField.set(bytesKey(c[0]), c);
  return [...byField.values()];
}
