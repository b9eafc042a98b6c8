import { ComponentError, InvalidTopologyError, SquallError, type Clock } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import { CHECKPOINT_STREAM, type ComponentSpec } from '../protocol/index.js';
import { CheckpointedKeyValueState, StateError, openStateStore, stateNamespace, type StateKey } from '../state/index.js';
import { Fields, TupleImpl, pushRoot, rootHi, rootLo, type Tuple, type Value, type Values } from '../tuple/index.js';
import { CHECKPOINT_ACTIONS, type CheckpointAction } from './checkpoint-spout.js';
import { emitAnchored, emitAnchors, emitStream, emitValues, type Anchors, type OutputCollector } from '../api/index.js';
import type { Bolt, OutputFieldsDeclarer } from '../api/index.js';
import type { TopologyContext } from '../api/index.js';
import { isStatefulBolt, type StatefulBolt } from '../api/index.js';

/**
 * What every bolt of a checkpointed topology does with checkpoint tuples (Storm's
 * `BaseStatefulBoltExecutor`): counts each (action, txid) until it has arrived from every upstream
 * task, acking the earlier copies; then acts on it, forwards it anchored on `__checkpoint` and acks
 * it. A failed action fails the checkpoint tuple, which sends the checkpoint spout into recovery.
 * Actions run one at a time, in arrival order, while ordinary tuples keep flowing.
 */
abstract class CheckpointingBolt implements Bolt {
  protected collector!: OutputCollector;
  protected component = '';
  protected task = -1;
  private upstreamTasks = 0;
  private readonly arrivals = new Map<string, number>();
  private lastTxid = Number.NEGATIVE_INFINITY;
  private chain: Promise<void> = Promise.resolve();

  abstract prepare(config: TopologyConfig, context: TopologyContext, collector: OutputCollector): void | Promise<void>;
  protected abstract handleTuple(input: Tuple): void | Promise<void>;
  /** Returns false to fail the checkpoint tuple without reporting an error (an expected refusal). */
  protected abstract handleCheckpoint(action: CheckpointAction, txid: number): boolean | Promise<boolean>;

  protected initCheckpointing(context: TopologyContext, collector: OutputCollector): void {
    this.collector = collector;
    this.component = context.thisComponentId;
    this.task = context.thisTaskId;
    let n = 0;
    for (const [source, streams] of context.getThisSources()) {
      if (streams.has(CHECKPOINT_STREAM)) n += context.getComponentTasks(source).length;
    }
    this.upstreamTasks = n;
  }

  /** Settles once the checkpoint actions received so far are done. */
  protected checkpointsDone(): Promise<void> {
    return this.chain;
  }

  execute(input: Tuple): void | Promise<void> {
    if (input.sourceStreamId === CHECKPOINT_STREAM) return this.onCheckpoint(input);
    return this.handleTuple(input);
  }

  private onCheckpoint(input: Tuple): void | Promise<void> {
    const txid = input.getValue(0);
    const action = input.getValue(1) as CheckpointAction;
    if (typeof txid !== 'number' || !CHECKPOINT_ACTIONS.includes(action)) {
      const problem = new SquallError('INVALID_TUPLE', `malformed checkpoint tuple: txid ${typeof txid}, action ${JSON.stringify(action)}`);
      this.collector.reportError(new ComponentError(this.component, this.task, 'checkpoint', problem));
      this.collector.fail(input);
      return;
    }
    const key = `${action}:${txid}`;
    const seen = (this.arrivals.get(key) ?? 0) + 1;
    if (seen < this.upstreamTasks) {
      this.arrivals.set(key, seen);
      this.collector.ack(input);
      return;
    }
    this.arrivals.delete(key);
    if (action === 'ROLLBACK' || action === 'INITSTATE') {
      // A recovery starts over: partial counts left by the failed round would complete too early.
      for (const k of [...this.arrivals.keys()]) if (k.startsWith('PREPARE:') || k.startsWith('COMMIT:')) this.arrivals.delete(k);
    }
    const run = (): Promise<void> => this.runCheckpoint(input, action, txid);
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  private async runCheckpoint(input: Tuple, action: CheckpointAction, txid: number): Promise<void> {
    if (txid < this.lastTxid) {
      // A round older than one already done (a slow straggler): nothing to do.
      this.collector.ack(input);
      return;
    }
    let ok: boolean;
    try {
      ok = await this.handleCheckpoint(action, txid);
    } catch (err) {
      this.collector.reportError(new ComponentError(this.component, this.task, `checkpoint ${action} of txid ${txid}`, err));
      ok = false;
    }
    if (!ok) {
      this.collector.fail(input);
      return;
    }
    this.lastTxid = action === 'ROLLBACK' ? txid - 1 : txid;
    this.collector.emit(CHECKPOINT_STREAM, input, [txid, action]);
    this.collector.ack(input);
  }
}

/** Runs a plain bolt in a checkpointed topology: forwards checkpoints, everything else goes to the bolt (Storm's `CheckpointTupleForwarder`). */
export class CheckpointTupleForwarder extends CheckpointingBolt {
  constructor(readonly bolt: Bolt) {
    super();
  }

  prepare(config: TopologyConfig, context: TopologyContext, collector: OutputCollector): void | Promise<void> {
    this.initCheckpointing(context, collector);
    return this.bolt.prepare(config, context, collector);
  }

  protected handleTuple(input: Tuple): void | Promise<void> {
    return this.bolt.execute(input);
  }

  protected handleCheckpoint(): boolean {
    return true;
  }

  cleanup(): void | Promise<void> {
    return this.bolt.cleanup?.();
  }

  declareOutputFields(declarer: OutputFieldsDeclarer): void {
    this.bolt.declareOutputFields?.(declarer);
  }
}

const NO_VALUES: readonly Value[] = [];
const NO_FIELDS = new Fields([]);

/** Source (component, stream) pairs of held tuples, numbered, so a held ack stores an int for them. */
class Sources {
  readonly list: { readonly component: string; readonly stream: string }[] = [];
  private readonly index = new Map<string, Map<string, number>>();
  private lastComponent = '';
  private lastStream = '';
  private last = -1;

  of(t: Tuple): number {
    // Most stateful bolts read one stream: skip the maps when it is the same as last time.
    if (t.sourceComponent === this.lastComponent && t.sourceStreamId === this.lastStream) return this.last;
    let byStream = this.index.get(t.sourceComponent);
    if (byStream === undefined) this.index.set(t.sourceComponent, (byStream = new Map<string, number>()));
    let i = byStream.get(t.sourceStreamId);
    if (i === undefined) {
      i = this.list.length;
      this.list.push({ component: t.sourceComponent, stream: t.sourceStreamId });
      byStream.set(t.sourceStreamId, i);
    }
    this.lastComponent = t.sourceComponent;
    this.lastStream = t.sourceStreamId;
    this.last = i;
    return i;
  }
}

/**
 * Acks held until a commit, kept as the acking messages they will send (per root: the root id and
 * the ack value, the tuple's edge XOR its children's) rather than as tuples. A tuple held for a
 * checkpoint interval would keep its values alive that long, and a second's worth of old tuples
 * costs the garbage collector more than all the rest of the work. On release each becomes a
 * stand-in tuple with the same source and ids and no values: acking or failing it sends exactly
 * what acking or failing the original would have.
 */
class HeldAcks {
  /** Per tuple: source index, source task, number of roots, then [rootHi, rootLo, valHi, valLo] per root. */
  private ids = new Int32Array(1024);
  private starts = new Float64Array(128);
  private length = 0;
  count = 0;

  constructor(private readonly sources: Sources) {}

  /** Empties it for reuse, keeping its buffers (sized for a round by now). */
  clear(): void {
    this.length = 0;
    this.count = 0;
  }

  hold(input: Tuple): void {
    const t = input as TupleImpl;
    const anchors = t.anchors;
    const roots = t.roots;
    if (this.length + 3 + 4 * roots > this.ids.length) this.ids = grow(this.ids, this.length + 3 + 4 * roots);
    if (this.count >= this.starts.length) this.starts = grow(this.starts, this.count + 1);
    const ids = this.ids;
    let p = this.length;
    ids[p++] = this.sources.of(t);
    ids[p++] = t.sourceTask;
    ids[p++] = roots;
    for (let k = 0; k < roots; k++) {
      ids[p++] = rootHi(anchors, k);
      ids[p++] = rootLo(anchors, k);
      ids[p++] = t.ackValueHi(k);
      ids[p++] = t.ackValueLo(k);
    }
    this.length = p;
    this.starts[this.count++] = t.executeStart;
  }

  /** Calls `f` with a stand-in for each held tuple, in the order they were held. */
  release(f: (stand: Tuple) => void): void {
    const ids = this.ids;
    let p = 0;
    for (let k = 0; k < this.count; k++) {
      const source = this.sources.list[ids[p++] as number];
      const task = ids[p++] as number;
      const n = ids[p++] as number;
      // The stand-in's edge under each root is the held ack value, so acking it sends just that.
      const anchors: number[] = [];
      for (let k = 0; k < n; k++, p += 4) pushRoot(anchors, ids[p] as number, ids[p + 1] as number, ids[p + 2] as number, ids[p + 3] as number);
      const stand = new TupleImpl(NO_VALUES, NO_FIELDS, source?.component ?? '', source?.stream ?? '', task, anchors);
      stand.executeStart = this.starts[k] as number;
      f(stand);
    }
  }
}

function grow<T extends Int32Array | Float64Array>(a: T, atLeast: number): T {
  const b = new (a.constructor as new (n: number) => T)(Math.max(a.length * 2, atLeast));
  b.set(a);
  return b;
}

/**
 * The collector a stateful bolt gets: emits pass through; acks are recorded, not sent, until the
 * checkpoint that covers them commits. A tuple the bolt was executing (or holding) when the state
 * rolled back has its later ack turned into a fail: the state it updated is gone, so it must replay.
 */
class HoldingCollector implements OutputCollector {
  private readonly sources = new Sources();
  private acked = new HeldAcks(this.sources);
  /** A released HeldAcks, reused so its buffers need not grow again every round. */
  private spare: HeldAcks | undefined;
  /** Executed, and neither acked nor failed when execute returned. */
  private readonly unsettled = new Set<Tuple>();
  /** Unsettled when the state rolled back. */
  private doomed = new Set<Tuple>();
  private doomedAt = 0;
  private current: Tuple | null = null;
  private currentSettled = false;

  constructor(
    private readonly out: OutputCollector,
    private readonly clock: Clock,
  ) {}

  /** Executes `input` on `bolt`, noting whether it was settled during execute (the common case costs no set operation). */
  run(bolt: StatefulBolt<StateKey, Value>, input: Tuple): void | Promise<void> {
    this.current = input;
    this.currentSettled = false;
    let result: void | Promise<void>;
    try {
      result = bolt.execute(input);
    } finally {
      this.current = null;
    }
    if (this.currentSettled) return result;
    this.unsettled.add(input);
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      // The executor fails an input whose execute rejects, without going through this collector.
      return (result as Promise<void>).catch((err: unknown) => {
        this.unsettled.delete(input);
        throw err;
      });
    }
    return result;
  }

  // Passed on as they came: an emit without anchors stays one (a windowed collector tells them apart).
  emit(a: Values | Anchors | string, b?: Values | Anchors, c?: Values): number[] {
    const n = arguments.length;
    const stream = emitStream(n, a);
    const values = emitValues(n, a, b, c);
    return emitAnchored(n, a) ? this.out.emit(stream, emitAnchors(n, a, b), values) : this.out.emit(stream, values);
  }

  emitDirect(task: number, a: Values | Anchors | string, b?: Values | Anchors, c?: Values): void {
    const n = arguments.length - 1;
    const stream = emitStream(n, a);
    const values = emitValues(n, a, b, c);
    if (emitAnchored(n, a)) this.out.emitDirect(task, stream, emitAnchors(n, a, b), values);
    else this.out.emitDirect(task, stream, values);
  }

  ack(input: Tuple): void {
    if (input === this.current) {
      this.currentSettled = true;
    } else if (!this.unsettled.delete(input) && this.doomed.delete(input)) {
      this.out.fail(input);
      return;
    }
    this.acked.hold(input);
  }

  fail(input: Tuple): void {
    if (input === this.current) this.currentSettled = true;
    else if (!this.unsettled.delete(input)) this.doomed.delete(input);
    this.out.fail(input);
  }

  resetTimeout(input: Tuple): void {
    this.out.resetTimeout(input);
  }

  reportError(error: unknown): void {
    this.out.reportError(error);
  }

  /** The acks held since the last call. */
  takeAcked(): HeldAcks {
    const a = this.acked;
    this.acked = this.spare ?? new HeldAcks(this.sources);
    this.spare = undefined;
    return a;
  }

  /** Takes back acks that have been released. */
  recycle(held: HeldAcks): void {
    held.clear();
    this.spare = held;
  }

  /** At a rollback: whatever is still being worked on was worked on against the discarded state. */
  doomUnsettled(): void {
    for (const t of this.unsettled) this.doomed.add(t);
    this.unsettled.clear();
    this.doomedAt = this.clock.hrNow();
  }

  /** Forgets doomed tuples old enough that their trees have timed out anyway. */
  pruneDoomed(olderThanMs: number): void {
    if (this.doomed.size > 0 && this.clock.hrNow() - this.doomedAt > olderThanMs) this.doomed = new Set();
  }
}

/**
 * Runs a {@link StatefulBolt} as a {@link Bolt} (Storm's `StatefulBoltExecutor`): opens the task's
 * state at prepare, hands it to `initState` on INITSTATE (buffering tuples that arrive before),
 * prepares and commits it on the checkpoint spout's rounds, holding the bolt's acks from one
 * prepare to the commit after it, and on ROLLBACK puts the state back at the last commit and
 * fails the tuples whose acks it held.
 */
export class StatefulBoltExecutor extends CheckpointingBolt {
  private holder!: HoldingCollector;
  private state: CheckpointedKeyValueState<StateKey, Value> | undefined;
  private initialized = false;
  private readonly waiting: Tuple[] = [];
  /** Acked before the last PREPARE: acked for real once its COMMIT is done. */
  private prepared: HeldAcks[] = [];
  private timeoutMs = 30_000;

  constructor(readonly bolt: StatefulBolt<StateKey, Value>) {
    super();
  }

  async prepare(config: TopologyConfig, context: TopologyContext, collector: OutputCollector): Promise<void> {
    this.initCheckpointing(context, collector);
    this.holder = new HoldingCollector(collector, context.clock);
    this.timeoutMs = config['topology.message.timeout.secs'] * 1000;
    const ns = stateNamespace(config, context.topologyName, context.thisComponentId, context.thisTaskIndex);
    const store = openStateStore(config, ns);
    try {
      this.state = await CheckpointedKeyValueState.open(store);
    } catch (err) {
      // cleanup is not called when prepare fails: let go of the connection here.
      await store.close();
      throw err;
    }
    await this.bolt.prepare(config, context, this.holder);
  }

  protected handleTuple(input: Tuple): void | Promise<void> {
    if (!this.initialized) {
      this.waiting.push(input);
      return;
    }
    return this.holder.run(this.bolt, input);
  }

  protected async handleCheckpoint(action: CheckpointAction, txid: number): Promise<boolean> {
    const state = this.state;
    if (state === undefined) throw new StateError(`${this.component}:${this.task}`, 'a checkpoint arrived before prepare');
    switch (action) {
      case 'PREPARE': {
        // The task restarted and missed INITSTATE: fail the round so the spout recovers.
        if (!this.initialized) return false;
        this.bolt.prePrepare?.(txid);
        // Taken together, synchronously: every tuple acked so far has its changes in this snapshot.
        const acked = this.holder.takeAcked();
        const written = state.prepareCommit(txid);
        this.prepared.push(acked);
        await written;
        return true;
      }
      case 'COMMIT': {
        this.bolt.preCommit?.(txid);
        await state.commit(txid);
        const release = this.prepared;
        this.prepared = [];
        for (const held of release) {
          held.release((t) => this.collector.ack(t));
          this.holder.recycle(held);
        }
        this.holder.pruneDoomed(2 * this.timeoutMs);
        return true;
      }
      case 'ROLLBACK': {
        this.bolt.preRollback?.();
        const failed = this.prepared.concat(this.holder.takeAcked());
        this.prepared = [];
        this.holder.doomUnsettled();
        const written = state.rollback();
        for (const held of failed) {
          held.release((t) => this.collector.fail(t));
          this.holder.recycle(held);
        }
        await written;
        return true;
      }
      case 'INITSTATE': {
        // Already running (another task's restart sent the whole graph into recovery): keep going.
        if (this.initialized) return true;
        await this.bolt.initState(state);
        this.initialized = true;
        for (const t of this.waiting.splice(0)) this.runWaiting(t);
        return true;
      }
    }
  }

  /** A tuple that arrived before INITSTATE, run now; errors are handled as the executor would. */
  private runWaiting(input: Tuple): void {
    const failed = (err: unknown): void => {
      this.collector.reportError(new ComponentError(this.component, this.task, 'execute', err));
      this.collector.fail(input);
    };
    try {
      const r = this.holder.run(this.bolt, input);
      if (r !== undefined && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  async cleanup(): Promise<void> {
    try {
      await this.bolt.cleanup?.();
    } finally {
      // A write in flight lands before the store closes, so a resubmitted topology reads it.
      await this.checkpointsDone();
      await this.state?.close();
    }
  }

  declareOutputFields(declarer: OutputFieldsDeclarer): void {
    this.bolt.declareOutputFields?.(declarer);
  }
}

/**
 * The bolt a task runs, given its component's wiring: a stateful bolt in its executor, a plain one
 * in a checkpoint forwarder when the topology is checkpointed, otherwise the bolt itself.
 */
export function withCheckpointing(bolt: Bolt, component: ComponentSpec | undefined): Bolt {
  const wired = component?.inputs.some((i) => i.stream === CHECKPOINT_STREAM) === true;
  if (isStatefulBolt(bolt)) {
    if (!wired) {
      throw new InvalidTopologyError([{ component: component?.id ?? '?', message: 'is a stateful bolt, but the topology was built without checkpointing' }]);
    }
    return new StatefulBoltExecutor(bolt);
  }
  return wired ? new CheckpointTupleForwarder(bolt) : bolt;
}
