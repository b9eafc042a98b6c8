import type { TopologyConfig } from '../config/index.js';
import { encodeValues } from '../protocol/index.js';
import type { Value } from '../tuple/index.js';
import { TridentError } from './errors.js';

/**
 * Something a Trident batch writes to or reads from. `beginCommit`/`commit` bracket a batch's
 * updates with its transaction id, which transactional and opaque states store beside the values.
 */
export interface State {
  beginCommit(txid: number): void | Promise<void>;
  commit(txid: number): void | Promise<void>;
  /** Releases connections when the task stops. */
  close?(): void | Promise<void>;
}

/** How a state behaves on a replayed batch (Storm's `StateType`). */
export type StateType = 'non-transactional' | 'transactional' | 'opaque';

export interface StateContext {
  readonly topologyName: string;
  /** The state's name: keys are namespaced by topology and state name. */
  readonly stateName: string;
  readonly partitionIndex: number;
  readonly numPartitions: number;
  readonly config: TopologyConfig;
  /** A state opened to answer `stateQuery`: other tasks write it, so no read cache. */
  readonly forQuery: boolean;
}

/** Makes one state instance per task that uses it (Storm's `StateFactory`). */
export interface StateFactory<S extends State = State> {
  /** Checked against the spouts feeding the state; a factory without one is treated as non-transactional. */
  readonly stateType?: StateType;
  /** The state's name; default: `state-<n>` in order of declaration. */
  readonly name?: string;
  makeState(context: StateContext): S | Promise<S>;
}

export interface ReadOnlyMapState<T extends Value> extends State {
  /** The current value of each key, null for keys never written. */
  multiGet(keys: readonly (readonly Value[])[]): Promise<(T | null)[]>;
}

export type ValueUpdater<T extends Value> = (previous: T | null) => T;

/** Storm's `MapState`: keys are value lists (the group fields), values any tuple value. */
export interface MapState<T extends Value> extends ReadOnlyMapState<T> {
  /** Applies each updater to its key's value; returns the new values. One atomic write. */
  multiUpdate(keys: readonly (readonly Value[])[], updaters: readonly ValueUpdater<T>[]): Promise<T[]>;
  multiPut(keys: readonly (readonly Value[])[], values: readonly T[]): Promise<void>;
}

/**
 * Where a map state's stored values live (Storm's `IBackingMap`): raw stored values, which for
 * transactional and opaque maps carry the txid. `multiPut` must be atomic: all or nothing.
 */
export interface BackingMap {
  multiGet(keys: readonly (readonly Value[])[]): Promise<(Value | undefined)[]>;
  multiPut(keys: readonly (readonly Value[])[], values: readonly Value[]): Promise<void>;
  close?(): void | Promise<void>;
}

/** A canonical string for a key, to use it in a JS Map: fast for the usual string/number keys. */
export function keyString(key: readonly Value[]): string {
  if (key.length === 1) {
    const k = key[0];
    if (typeof k === 'string') return `s${k}`;
    if (typeof k === 'number') return `n${k}`;
  }
  return `m${Buffer.from(encodeValues(key as Value[])).toString('latin1')}`;
}

/**
 * Updates applied blindly (Storm's `NonTransactionalMap`): a replayed batch is counted again.
 * Stored values are the values themselves.
 */
export class NonTransactionalMap<T extends Value> implements MapState<T> {
  constructor(private readonly backing: BackingMap) {}

  beginCommit(_txid: number): void {}
  commit(_txid: number): void {}

  async multiGet(keys: readonly (readonly Value[])[]): Promise<(T | null)[]> {
    return (await this.backing.multiGet(keys)).map((v) => (v === undefined ? null : (v as T)));
  }

  async multiUpdate(keys: readonly (readonly Value[])[], updaters: readonly ValueUpdater<T>[]): Promise<T[]> {
    const old = await this.multiGet(keys);
    const out = old.map((v, i) => (updaters[i] as ValueUpdater<T>)(v));
    await this.backing.multiPut(keys, out);
    return out;
  }

  multiPut(keys: readonly (readonly Value[])[], values: readonly T[]): Promise<void> {
    return this.backing.multiPut(keys, values);
  }

  close(): void | Promise<void> {
    return this.backing.close?.();
  }
}

function requireTxid(txid: number | null, what: string): number {
  if (txid === null) throw new TridentError(`${what} outside a commit (beginCommit was not called)`);
  return txid;
}

/**
 * What transactional and opaque maps share: values stored with the txid that wrote them (the
 * value itself second), and the txid of the commit in progress.
 */
abstract class TxidStampedMap<T extends Value> implements MapState<T> {
  protected currTx: number | null = null;

  constructor(protected readonly backing: BackingMap) {}

  beginCommit(txid: number): void {
    this.currTx = txid;
  }

  commit(_txid: number): void {
    this.currTx = null;
  }

  async multiGet(keys: readonly (readonly Value[])[]): Promise<(T | null)[]> {
    return (await this.backing.multiGet(keys)).map((v) => (v === undefined ? null : ((v as readonly Value[])[1] as T)));
  }

  abstract multiUpdate(keys: readonly (readonly Value[])[], updaters: readonly ValueUpdater<T>[]): Promise<T[]>;
  abstract multiPut(keys: readonly (readonly Value[])[], values: readonly T[]): Promise<void>;

  close(): void | Promise<void> {
    return this.backing.close?.();
  }
}

/**
 * Stored as `[txid, value]` (Storm's `TransactionalMap`): a key already updated by this txid is
 * left alone, so a replayed batch, which carries exactly the same tuples, is not counted twice.
 */
export class TransactionalMap<T extends Value> extends TxidStampedMap<T> {
  async multiUpdate(keys: readonly (readonly Value[])[], updaters: readonly ValueUpdater<T>[]): Promise<T[]> {
    const txid = requireTxid(this.currTx, 'multiUpdate');
    const stored = await this.backing.multiGet(keys);
    const out: T[] = [];
    const changedKeys: (readonly Value[])[] = [];
    const changed: Value[] = [];
    for (let i = 0; i < keys.length; i++) {
      const s = stored[i] as readonly [number, T] | undefined;
      if (s !== undefined && s[0] === txid) {
        // This txid already reached this key (the batch's earlier attempt committed here).
        out.push(s[1]);
        continue;
      }
      const v = (updaters[i] as ValueUpdater<T>)(s === undefined ? null : s[1]);
      out.push(v);
      changedKeys.push(keys[i] as readonly Value[]);
      changed.push([txid, v]);
    }
    if (changedKeys.length > 0) await this.backing.multiPut(changedKeys, changed);
    return out;
  }

  multiPut(keys: readonly (readonly Value[])[], values: readonly T[]): Promise<void> {
    const txid = requireTxid(this.currTx, 'multiPut');
    return this.backing.multiPut(keys, values.map((v) => [txid, v]));
  }
}

/**
 * Stored as `[txid, current, previous]` (Storm's `OpaqueMap` and `OpaqueValue`): a replayed txid
 * may carry different tuples, so its update is applied to the value from before that txid's
 * earlier attempt, discarding what the attempt wrote.
 */
export class OpaqueMap<T extends Value> extends TxidStampedMap<T> {
  async multiUpdate(keys: readonly (readonly Value[])[], updaters: readonly ValueUpdater<T>[]): Promise<T[]> {
    const txid = requireTxid(this.currTx, 'multiUpdate');
    const stored = await this.backing.multiGet(keys);
    const out: T[] = [];
    const values: Value[] = [];
    for (let i = 0; i < keys.length; i++) {
      const next = opaqueUpdate(stored[i] as OpaqueStored<T> | undefined, txid, updaters[i] as ValueUpdater<T>);
      out.push(next[1]);
      values.push(next);
    }
    await this.backing.multiPut(keys, values);
    return out;
  }

  async multiPut(keys: readonly (readonly Value[])[], values: readonly T[]): Promise<void> {
    await this.multiUpdate(keys, values.map((v) => () => v));
  }
}

/** `[currTxid, curr, prev]`. */
export type OpaqueStored<T extends Value> = readonly [number, T, T | null];

/** Storm's `OpaqueValue.update`: the base is `prev` when this txid wrote last, `curr` when an older one did. */
export function opaqueUpdate<T extends Value>(stored: OpaqueStored<T> | undefined, txid: number, updater: ValueUpdater<T>): OpaqueStored<T> {
  if (stored === undefined) return [txid, updater(null), null];
  const [storedTx, curr, prev] = stored;
  let base: T | null;
  if (storedTx === txid) base = prev;
  else if (storedTx < txid) base = curr;
  else throw new TridentError(`opaque value written by txid ${storedTx} cannot be updated by the older txid ${txid}`);
  return [txid, updater(base), base];
}
