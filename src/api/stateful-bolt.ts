import type { Config, TopologyConfig } from '../config/index.js';
import type { TopologySpec } from '../protocol/index.js';
import { validateStateConfig, type KeyValueState, type StateKey } from '../state/index.js';
import type { Tuple, Value } from '../tuple/index.js';
import type { OutputCollector } from './collectors.js';
import type { OutputFieldsDeclarer } from './components.js';
import type { TopologyContext } from './context.js';

export const STATEFUL_BOLT: unique symbol = Symbol.for('squall.statefulBolt');

/**
 * A bolt with checkpointed key-value state (Storm's `IStatefulBolt`). The runtime calls
 * `initState` once, before the first tuple, with the state as of the last commit; the bolt reads
 * and writes it in `execute` and emits, acks and fails through its collector like a rich bolt.
 * Acks are held back until the next checkpoint commits the state changes made for those tuples;
 * if the checkpoint fails, the state returns to the last commit and the held tuples are failed,
 * so the spouts replay them. Update the state before acking the tuple it was for.
 *
 * Extend {@link BaseStatefulBolt} so the runtime recognises it; the topology then gets a
 * checkpoint spout (`topology.state.checkpoint.interval.ms`) and the state provider
 * `topology.state.provider`.
 */
export interface StatefulBolt<K extends StateKey = string, V extends Value = Value> {
  readonly [STATEFUL_BOLT]: true;
  prepare(config: TopologyConfig, context: TopologyContext, collector: OutputCollector): void | Promise<void>;
  initState(state: KeyValueState<K, V>): void | Promise<void>;
  execute(input: Tuple): void | Promise<void>;
  /** Before the state is prepared for commit as transaction `txid`: a last chance to write it. */
  prePrepare?(txid: number): void;
  /** Before the prepared transaction `txid` is committed. */
  preCommit?(txid: number): void;
  /** Before the state is rolled back to the last commit (the bolt's own caches may need it too). */
  preRollback?(): void;
  cleanup?(): void | Promise<void>;
  declareOutputFields?(declarer: OutputFieldsDeclarer): void;
  getComponentConfiguration?(): Config;
}

export function isStatefulBolt(x: unknown): x is StatefulBolt<StateKey, Value> {
  return typeof x === 'object' && x !== null && (x as Partial<StatefulBolt>)[STATEFUL_BOLT] === true;
}

/** Base for stateful bolts; see {@link StatefulBolt}. `initState` keeps the state in `this.state`. */
export abstract class BaseStatefulBolt<K extends StateKey = string, V extends Value = Value> implements StatefulBolt<K, V> {
  readonly [STATEFUL_BOLT] = true as const;
  protected collector!: OutputCollector;
  protected context!: TopologyContext;
  protected config!: TopologyConfig;
  protected state!: KeyValueState<K, V>;

  prepare(config: TopologyConfig, context: TopologyContext, collector: OutputCollector): void | Promise<void> {
    this.config = config;
    this.context = context;
    this.collector = collector;
  }

  initState(state: KeyValueState<K, V>): void | Promise<void> {
    this.state = state;
  }

  abstract execute(input: Tuple): void | Promise<void>;
  prePrepare(_txid: number): void {}
  preCommit(_txid: number): void {}
  preRollback(): void {}
  cleanup(): void | Promise<void> {}
  declareOutputFields(_declarer: OutputFieldsDeclarer): void {}
  getComponentConfiguration(): Config {
    return {};
  }
}

/** Checks the configuration of a topology with stateful bolts; see {@link validateStateConfig}. */
export function validateCheckpointing(spec: TopologySpec, config: TopologyConfig): void {
  if (Object.values(spec.components).some((c) => c.stateful === true)) validateStateConfig(config);
}
