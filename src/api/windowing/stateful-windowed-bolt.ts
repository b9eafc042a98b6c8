import type { KeyValueState, StateKey } from '../../state/index.js';
import type { Value } from '../../tuple/index.js';
import { STATEFUL_BOLT } from '../stateful-bolt.js';
import { BaseWindowedBolt } from './windowed-bolt.js';

/**
 * A windowed bolt that keeps state across windows with the stateful bolt mechanism (Storm's
 * `IStatefulWindowedBolt`): `this.state` is restored from the last checkpoint before the first
 * window, committed with every checkpoint round, and rolled back with it; tuples leaving the
 * window are acked when the round that saw their effect on the state commits.
 */
export abstract class BaseStatefulWindowedBolt<K extends StateKey = string, V extends Value = Value> extends BaseWindowedBolt {
  readonly [STATEFUL_BOLT] = true as const;
  protected state!: KeyValueState<K, V>;

  initState(state: KeyValueState<K, V>): void | Promise<void> {
    this.state = state;
  }

  /** Before the state is prepared for commit as transaction `txid`. */
  prePrepare(_txid: number): void {}
  /** Before the prepared transaction `txid` is committed. */
  preCommit(_txid: number): void {}
  /** Before the state is rolled back to the last commit. */
  preRollback(): void {}
}
