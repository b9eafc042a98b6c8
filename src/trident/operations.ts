import type { TopologyConfig } from '../config/index.js';
import type { Value, Values } from '../tuple/index.js';
import type { ReadOnlyMapState, State } from './state.js';
import type { TridentTuple } from './tuple.js';

/** A batch: its transaction id and which attempt at it this is (Storm's `TransactionAttempt`). */
export interface TransactionAttempt {
  readonly txid: number;
  readonly attempt: number;
}

/** Where Trident operations emit (Storm's `TridentCollector`). */
export interface TridentCollector {
  emit(values: Values): void;
  reportError(error: unknown): void;
}

/** What an operation knows about where it runs. */
export interface TridentOperationContext {
  readonly topologyName: string;
  /** This task's index among the tasks of its section, from 0. */
  readonly partitionIndex: number;
  readonly numPartitions: number;
}

/** Optional life-cycle hooks every operation may have. */
export interface Operation {
  prepare?(config: TopologyConfig, context: TridentOperationContext): void;
  cleanup?(): void;
}

/** `each`: emits zero or more value lists, appended to the input tuple (Storm's `Function`). */
export interface TridentFunction extends Operation {
  execute(tuple: TridentTuple, collector: TridentCollector): void;
}

/** `filter`: keeps the tuples for which `isKeep` is true. */
export interface Filter extends Operation {
  isKeep(tuple: TridentTuple): boolean;
}

/** `map`: one tuple in, one out (the whole tuple is replaced). */
export interface MapFunction extends Operation {
  execute(tuple: TridentTuple): Values;
}

/** `flatMap`: one tuple in, any number out. */
export interface FlatMapFunction extends Operation {
  execute(tuple: TridentTuple): Iterable<Values>;
}

/** `peek`: sees every tuple, passes it on unchanged. */
export interface Consumer extends Operation {
  accept(tuple: TridentTuple): void;
}

export type FunctionLike = TridentFunction | ((tuple: TridentTuple, collector: TridentCollector) => void);
export type FilterLike = Filter | ((tuple: TridentTuple) => boolean);
export type MapLike = MapFunction | ((tuple: TridentTuple) => Values);
export type FlatMapLike = FlatMapFunction | ((tuple: TridentTuple) => Iterable<Values>);
export type ConsumerLike = Consumer | ((tuple: TridentTuple) => void);

/**
 * A general per-batch aggregation (Storm's `Aggregator`): `init` at the start of a batch,
 * `aggregate` per tuple (return a new state, or mutate it and return nothing), `complete` at the
 * end of the batch, where it usually emits.
 */
export interface Aggregator<S> extends Operation {
  init(batch: TransactionAttempt, collector: TridentCollector): S;
  aggregate(state: S, tuple: TridentTuple, collector: TridentCollector): S | void;
  complete(state: S, collector: TridentCollector): void;
}

/**
 * An aggregation that can be computed in parts and combined (Storm's `CombinerAggregator`): Trident
 * aggregates each partition before the network hop and only sends the partial results.
 */
export interface CombinerAggregator<T extends Value> {
  init(tuple: TridentTuple): T;
  combine(a: T, b: T): T;
  zero(): T;
}

/** An aggregation folded over the tuples one by one (Storm's `ReducerAggregator`). */
export interface ReducerAggregator<T extends Value> {
  init(): T;
  reduce(current: T, tuple: TridentTuple): T;
}

export type AnyAggregator = Aggregator<unknown> | CombinerAggregator<Value> | ReducerAggregator<Value>;

export function isCombiner(a: unknown): a is CombinerAggregator<Value> {
  const x = a as Partial<CombinerAggregator<Value>>;
  return typeof x.combine === 'function' && typeof x.zero === 'function' && typeof x.init === 'function';
}

export function isReducer(a: unknown): a is ReducerAggregator<Value> {
  const x = a as Partial<ReducerAggregator<Value>>;
  return typeof x.reduce === 'function' && typeof x.init === 'function';
}

/** `stateQuery`: reads the state for a whole batch at once, then emits per tuple. */
export interface QueryFunction<S extends State, T> extends Operation {
  batchRetrieve(state: S, tuples: readonly TridentTuple[]): T[] | Promise<T[]>;
  execute(tuple: TridentTuple, result: T, collector: TridentCollector): void;
}

/** `partitionPersist`: writes a batch's tuples into the state, inside the batch's commit. */
export interface StateUpdater<S extends State> extends Operation {
  updateState(state: S, tuples: readonly TridentTuple[], collector: TridentCollector): void | Promise<void>;
}

// --- built-ins (Storm's trident.operation.builtin)

/** Counts tuples. */
export class Count implements CombinerAggregator<number> {
  init(): number {
    return 1;
  }
  combine(a: number, b: number): number {
    return a + b;
  }
  zero(): number {
    return 0;
  }
}

/** Sums the first input field (numbers). */
export class Sum implements CombinerAggregator<number> {
  init(tuple: TridentTuple): number {
    return tuple.getNumber(0);
  }
  combine(a: number, b: number): number {
    return a + b;
  }
  zero(): number {
    return 0;
  }
}

/** Reads each tuple's key (its input fields) from a map state; emits the value, or null. */
export class MapGet implements QueryFunction<ReadOnlyMapState<Value>, Value | null> {
  batchRetrieve(state: ReadOnlyMapState<Value>, tuples: readonly TridentTuple[]): Promise<(Value | null)[]> {
    return state.multiGet(tuples.map((t) => t.values));
  }
  execute(_tuple: TridentTuple, result: Value | null, collector: TridentCollector): void {
    collector.emit([result]);
  }
}

/** Drops tuples whose input fields include a null. */
export class FilterNull implements Filter {
  isKeep(tuple: TridentTuple): boolean {
    return tuple.values.every((v) => v !== null);
  }
}

/** Logs every tuple with a prefix and keeps it (Storm's `Debug` filter). */
export class Debug implements Filter {
  constructor(private readonly prefix = 'DEBUG') {}
  isKeep(tuple: TridentTuple): boolean {
    console.log(`${this.prefix}: [${tuple.values.map((v) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))).join(', ')}]`);
    return true;
  }
}
