import { realClock, type Clock, type Timer } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import { CHECKPOINT_STREAM } from '../protocol/index.js';
import {
  decodeValue,
  encodeKey,
  encodeValue,
  openStateStore,
  stateNamespace,
  type StateStore,
} from '../state/index.js';
import type { SpoutOutputCollector } from '../api/index.js';
import type { Spout } from '../api/index.js';
import type { TopologyContext } from '../api/index.js';
import { SquallError } from '../common/index.js';

/** What a checkpoint tuple asks of the bolts (Storm's `CheckPointState.Action`). */
export type CheckpointAction = 'PREPARE' | 'COMMIT' | 'ROLLBACK' | 'INITSTATE';

export const CHECKPOINT_ACTIONS: readonly CheckpointAction[] = ['PREPARE', 'COMMIT', 'ROLLBACK', 'INITSTATE'];

/** Where the checkpoint spout is in its cycle COMMITTED(n) → PREPARING(n+1) → COMMITTING(n+1) → COMMITTED(n+1). */
export interface CheckpointState {
  readonly txid: number;
  readonly phase: 'COMMITTED' | 'PREPARING' | 'COMMITTING';
}

/**
 * The state after the current round completes (Storm's `CheckPointState.nextState`). Recovering,
 * a PREPARING round is rolled back to the previous commit and a COMMITTING one rolled forward.
 */
export function nextCheckpointState(s: CheckpointState, recovering: boolean): CheckpointState {
  switch (s.phase) {
    case 'PREPARING':
      return recovering ? { txid: s.txid - 1, phase: 'COMMITTED' } : { txid: s.txid, phase: 'COMMITTING' };
    case 'COMMITTING':
      return { txid: s.txid, phase: 'COMMITTED' };
    case 'COMMITTED':
      return recovering ? s : { txid: s.txid + 1, phase: 'PREPARING' };
  }
}

/** The action to send in state `s` (Storm's `CheckPointState.nextAction`). */
export function nextCheckpointAction(s: CheckpointState, recovering: boolean): CheckpointAction {
  switch (s.phase) {
    case 'PREPARING':
      return recovering ? 'ROLLBACK' : 'PREPARE';
    case 'COMMITTING':
      return 'COMMIT';
    case 'COMMITTED':
      return recovering ? 'INITSTATE' : 'PREPARE';
  }
}

const STATE_FIELD = encodeKey('__state');
const PHASES: ReadonlySet<string> = new Set(['COMMITTED', 'PREPARING', 'COMMITTING']);

function decodeCheckpointState(bytes: Uint8Array): CheckpointState {
  const v = decodeValue(bytes) as { txid?: unknown; phase?: unknown } | null;
  if (v === null || typeof v !== 'object' || typeof v.txid !== 'number' || typeof v.phase !== 'string' || !PHASES.has(v.phase)) {
    throw new SquallError('STATE', `the stored checkpoint state is not {txid, phase}: ${JSON.stringify(v)}`);
  }
  return { txid: v.txid, phase: v.phase as CheckpointState['phase'] };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

/**
 * The system spout that drives checkpoints (Storm's `CheckpointSpout`): every
 * `topology.state.checkpoint.interval.ms` it sends PREPARE, then COMMIT, each as one tracked tuple
 * on `__checkpoint` that every bolt forwards once it has it from all its upstream tasks; the ack of
 * that tree means the whole graph has done the step. Its own state (txid and phase) is saved in
 * the state provider before each step is sent. At start, and after any failed round, it recovers:
 * a stored PREPARING becomes ROLLBACK, a COMMITTING is rolled forward with COMMIT, and INITSTATE
 * follows.
 *
 * It runs on its own timers rather than in `nextTuple`, also while the topology is deactivated:
 * a draining topology still commits, which releases the acks its stateful bolts hold.
 */
export class CheckpointSpout implements Spout {
  private collector!: SpoutOutputCollector;
  private store: StateStore | undefined;
  private interval = 1000;
  private current: CheckpointState = { txid: 0, phase: 'COMMITTED' };
  private recovering = true;
  /** A checkpoint tuple is out, or the state is being saved: nothing else starts meanwhile. */
  private busy = false;
  private lastRoundAt = Number.NEGATIVE_INFINITY;
  private timer: Timer | undefined;
  private clock: Clock = realClock;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;

  async open(config: TopologyConfig, context: TopologyContext, collector: SpoutOutputCollector): Promise<void> {
    this.collector = collector;
    this.clock = context.clock;
    this.interval = config['topology.state.checkpoint.interval.ms'];
    const ns = stateNamespace(config, context.topologyName, context.thisComponentId, context.thisTaskIndex);
    this.store = openStateStore(config, ns);
    let stored;
    try {
      stored = await this.store.load();
    } catch (err) {
      // close is not called when open fails: let go of the connection here.
      await this.store.close();
      throw err;
    }
    const entry = stored.committed.find(([f]) => sameBytes(f, STATE_FIELD));
    if (entry !== undefined) this.current = decodeCheckpointState(entry[1]);
    this.schedule(0);
  }

  nextTuple(): void {}

  /** The spout's place in the cycle, and whether it is recovering (for tests and tools). */
  get status(): { readonly state: CheckpointState; readonly recovering: boolean } {
    return { state: this.current, recovering: this.recovering };
  }

  /** Nothing of its own to finish: lets `completeTopology` run topologies with stateful bolts. */
  isExhausted(): boolean {
    return true;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.clock.clear(this.timer);
    this.timer = this.clock
      .setTimeout(() => {
        this.timer = undefined;
        this.step();
      }, ms)
      .unref();
  }

  private step(): void {
    if (this.closed || this.busy) return;
    if (this.recovering || this.current.phase !== 'COMMITTED') {
      this.emit(nextCheckpointAction(this.current, this.recovering));
      return;
    }
    const wait = this.lastRoundAt + this.interval - this.clock.hrNow();
    if (wait > 0) {
      this.schedule(wait);
      return;
    }
    this.lastRoundAt = this.clock.hrNow();
    this.advance(nextCheckpointState(this.current, false));
  }

  private emit(action: CheckpointAction): void {
    this.busy = true;
    this.collector.emit(CHECKPOINT_STREAM, [this.current.txid, action], this.current.txid);
  }

  /** Saves `next` as the current state, then takes the next step; on failure, recovers. */
  private advance(next: CheckpointState): void {
    const store = this.store;
    if (store === undefined) return;
    this.busy = true;
    this.saving = store.save([[STATE_FIELD, encodeValue({ txid: next.txid, phase: next.phase })]]).then(
      () => {
        this.current = next;
        this.busy = false;
        this.schedule(0);
      },
      (err: unknown) => {
        this.collector.reportError(err);
        this.recovering = true;
        this.busy = false;
        this.schedule(this.retryDelay());
      },
    );
  }

  private retryDelay(): number {
    return Math.min(Math.max(this.interval / 10, 10), 200);
  }

  ack(messageId: unknown): void {
    if (this.closed || !this.busy || messageId !== this.current.txid) return;
    const next = nextCheckpointState(this.current, this.recovering);
    if (this.recovering && next === this.current) {
      // INITSTATE went through the whole graph: recovery is over.
      this.recovering = false;
      this.busy = false;
      this.schedule(0);
      return;
    }
    this.advance(next);
  }

  fail(messageId: unknown): void {
    if (this.closed || !this.busy || messageId !== this.current.txid) return;
    this.recovering = true;
    this.busy = false;
    this.schedule(this.retryDelay());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clock.clear(this.timer);
    // Let a save in flight land before the store closes, so a resubmitted topology reads it.
    await this.saving;
    await this.store?.close();
  }
}
