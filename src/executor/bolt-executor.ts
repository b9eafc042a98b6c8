import { emitAnchors, emitStream, emitValues, isBasicBolt, isWindowedBolt, type Anchors, type Bolt, type OutputCollector } from '../api/index.js';
import { withCheckpointing } from '../stateful/index.js';
import { WindowedBoltExecutor } from '../windowing/index.js';
import { BasicBoltExecutor } from './basic-bolt-executor.js';
import { ComponentError, SquallError, describe, type Timer } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import {
  ACKER_ACK_STREAM,
  ACKER_FAIL_STREAM,
  ACKER_RESET_TIMEOUT_STREAM,
  TupleImpl,
  rootCount,
  rootHi,
  rootLo,
  type Tuple,
  type Values,
} from '../tuple/index.js';
import type { TaskEmitter} from './emitter.js';
import { type StreamRoute } from './emitter.js';
import { createTaskParts, type ExecutorEnv } from './env.js';
import { ReceiveQueue } from './receive-queue.js';
import type { TaskStats } from './stats.js';
import type { TaskContext } from './task-context.js';
import { makeTickTuple, sampleInterval } from './ticks.js';

function toAnchorList(anchors: Anchors): readonly TupleImpl[] | null {
  if (anchors === null || anchors === undefined) return null;
  if (anchors instanceof TupleImpl) return [anchors];
  return anchors as readonly TupleImpl[];
}

/** The collector handed to a bolt task: emits through its emitter, acks through the ackers. */
class BoltCollector implements OutputCollector {
  private readonly ackRoute: StreamRoute | null;
  private readonly failRoute: StreamRoute | null;
  private readonly resetRoute: StreamRoute | null;

  constructor(
    private readonly emitter: TaskEmitter,
    private readonly stats: TaskStats,
    private readonly context: TaskContext,
    private readonly env: ExecutorEnv,
    acking: boolean,
  ) {
    this.ackRoute = acking ? emitter.route(ACKER_ACK_STREAM) : null;
    this.failRoute = acking ? emitter.route(ACKER_FAIL_STREAM) : null;
    this.resetRoute = acking ? emitter.route(ACKER_RESET_TIMEOUT_STREAM) : null;
  }

  emit(a: Values | Anchors | string, b?: Values | Anchors, c?: Values): number[] {
    // Bolts may emit, ack and fail from their own callbacks (timers, sockets, subprocesses):
    // make sure the worker loop runs. Costs one check when the loop is already running.
    this.env.wake();
    const n = arguments.length;
    return this.emitter.emit(this.emitter.route(emitStream(n, a)), emitValues(n, a, b, c), -1, toAnchorList(emitAnchors(n, a, b)), false);
  }

  emitDirect(taskId: number, a: Values | Anchors | string, b?: Values | Anchors, c?: Values): void {
    this.env.wake();
    const n = arguments.length - 1;
    this.emitter.emit(this.emitter.route(emitStream(n, a)), emitValues(n, a, b, c), taskId, toAnchorList(emitAnchors(n, a, b)), false);
  }

  ack(input: Tuple): void {
    this.env.wake();
    const t = input as TupleImpl;
    const route = this.ackRoute;
    if (route !== null) {
      // One message per root both removes this tuple's edge and adds all its children's edges.
      const ids = t.anchors;
      for (let k = 0, n = t.roots; k < n; k++) this.emitter.toAcker(route, rootHi(ids, k), rootLo(ids, k), t.ackValueHi(k), t.ackValueLo(k), -1);
    }
    this.stats.acked++;
    if (t.executeStart >= 0) this.stats.processLatency.record(this.env.clock.hrNow() - t.executeStart);
    const hooks = this.context.hooks;
    if (hooks.length > 0) for (const h of hooks) h.boltAck?.({ tuple: input });
  }

  fail(input: Tuple): void {
    this.env.wake();
    const ids = (input as TupleImpl).anchors;
    const route = this.failRoute;
    if (route !== null) for (let k = 0, n = rootCount(ids); k < n; k++) this.emitter.toAcker(route, rootHi(ids, k), rootLo(ids, k), 0, 0, -1);
    this.stats.failed++;
    const hooks = this.context.hooks;
    if (hooks.length > 0) for (const h of hooks) h.boltFail?.({ tuple: input });
  }

  resetTimeout(input: Tuple): void {
    const ids = (input as TupleImpl).anchors;
    const route = this.resetRoute;
    if (route === null) return;
    for (let k = 0, n = rootCount(ids); k < n; k++) this.emitter.toAcker(route, rootHi(ids, k), rootLo(ids, k), 0, 0, -1);
  }

  reportError(error: unknown): void {
    this.stats.errors++;
    this.env.onError(this.emitter.component, this.emitter.task, error);
  }
}

/**
 * A bolt that holds inputs outside the executor, its `execute` having returned (a multilang
 * bolt's subprocess), says how many: `drain` waits for them as for queued tuples, which matters
 * when acking is off and no spout tracks them.
 */
interface HoldsTuples {
  heldTuples(): number;
}

function holdsTuples(bolt: unknown): bolt is HoldsTuples {
  return typeof (bolt as Partial<HoldsTuples> | undefined)?.heldTuples === 'function';
}

/** An `execute` whose promise has not settled yet. */
interface PendingExecute {
  readonly task: BoltTask;
  readonly tuple: TupleImpl;
  /** The executor's sweep count when it started. */
  readonly epoch: number;
  /** Timed out: its slot is free already, and a late settlement changes nothing. */
  expired: boolean;
  /** Neighbours in the executor's list of open executions (oldest first): O(1) in and out, no hashing. */
  prev: PendingExecute | undefined;
  next: PendingExecute | undefined;
}

interface BoltTask {
  readonly id: number;
  readonly bolt: Bolt;
  readonly holds: HoldsTuples | undefined;
  readonly collector: BoltCollector;
  readonly context: TaskContext;
  readonly stats: TaskStats;
  readonly emitter: TaskEmitter;
}

/** Runs the tasks of one bolt executor: drains its receive queue in batches. */
export class BoltExecutor {
  readonly kind = 'bolt';
  readonly queue: ReceiveQueue;
  readonly tasks: BoltTask[] = [];
  private readonly byId = new Map<number, BoltTask>();
  private readonly batchSize: number;
  private readonly maxAsync: number;
  private readonly sampleEvery: number;
  private sampleCountdown: number;
  private inFlight = 0;
  private tickTimer: Timer | undefined;
  /** Unsettled executions, oldest first (a linked list); swept for the message timeout. */
  private oldest: PendingExecute | undefined;
  private newest: PendingExecute | undefined;
  private sweepTimer: Timer | undefined;
  private epoch = 0;
  /** Sweeps after which an unsettled execution has outlived the message timeout. */
  private readonly timeoutEpochs: number;
  private readonly sweepMs: number;
  /** Wall-clock start, for capacity. */
  startedAt = 0;

  constructor(
    readonly component: string,
    readonly taskIds: readonly number[],
    private readonly env: ExecutorEnv,
    private readonly config: TopologyConfig,
  ) {
    this.queue = new ReceiveQueue(config['topology.executor.receive.buffer.size']);
    this.batchSize = config['topology.executor.batch.size'];
    this.maxAsync = config['topology.bolt.max.async.pending'];
    this.sampleEvery = sampleInterval(config['topology.stats.sample.rate']);
    this.sampleCountdown = this.sampleEvery;
    // An unsettled execute times out with its tuple: sweeps count time, so no clock is read per tuple.
    const timeoutMs = config['topology.message.timeout.secs'] * 1000;
    this.sweepMs = Math.max(10, Math.min(1000, timeoutMs / 4));
    this.timeoutEpochs = config['topology.enable.message.timeouts'] ? Math.ceil(timeoutMs / this.sweepMs) : Infinity;
    const acking = env.plan.ackers > 0;
    for (const id of taskIds) {
      const { context, stats, emitter } = createTaskParts(env, config, component, id);
      const instance = this.instantiate(component);
      const task: BoltTask = {
        id,
        // In a checkpointed topology: stateful bolts in their executor, others forward checkpoints.
        bolt: withCheckpointing(
          isBasicBolt(instance)
            ? new BasicBoltExecutor(instance)
            : isWindowedBolt(instance)
              ? new WindowedBoltExecutor(instance)
              : instance,
          env.plan.spec.components[component],
        ),
        collector: new BoltCollector(emitter, stats, context, env, acking),
        holds: holdsTuples(instance) ? instance : undefined,
        context,
        stats,
        emitter,
      };
      this.tasks.push(task);
      this.byId.set(id, task);
    }
  }

  /** Overridden for system components; user components come from the topology. */
  protected instantiate(component: string): Bolt {
    return this.env.topology.createComponent(component) as Bolt;
  }

  async prepare(): Promise<void> {
    for (const t of this.tasks) {
      for (const h of t.context.hooks) h.prepare?.(this.config, t.context);
      try {
        await t.bolt.prepare(this.config, t.context, t.collector);
      } catch (err) {
        throw new ComponentError(this.component, t.id, 'prepare', err);
      }
    }
    this.startedAt = this.env.clock.hrNow();
    const tickSecs = this.config['topology.tick.tuple.freq.secs'];
    if (tickSecs !== null) this.startTicks(tickSecs);
  }

  /** Sends a tick tuple to every task of this executor every `seconds`. */
  startTicks(seconds: number): void {
    this.env.clock.clear(this.tickTimer);
    this.tickTimer = this.env.clock
      .setInterval(() => {
        for (const t of this.tasks) this.queue.push(t.id, makeTickTuple(seconds));
        this.env.wake();
      }, seconds * 1000)
      .unref();
  }

  /** Executes up to a batch of queued tuples; returns how many. */
  turn(): number {
    const q = this.queue;
    const single = this.tasks.length === 1 ? this.tasks[0] : undefined;
    let n = 0;
    while (n < this.batchSize && this.inFlight < this.maxAsync) {
      const tuple = q.shift();
      if (tuple === undefined) break;
      const task = single ?? this.byId.get(q.lastTask);
      n++;
      if (task !== undefined) this.executeOne(task, tuple);
    }
    return n;
  }

  private executeOne(task: BoltTask, tuple: TupleImpl): void {
    const stats = task.stats;
    let start = -1;
    if (--this.sampleCountdown <= 0) {
      this.sampleCountdown = this.sampleEvery;
      start = this.env.clock.hrNow();
      tuple.executeStart = start;
    }
    stats.executed++;
    const hooks = task.context.hooks;
    if (hooks.length > 0) for (const h of hooks) h.boltExecute?.({ tuple });
    let result: void | Promise<void>;
    try {
      result = task.bolt.execute(tuple);
    } catch (err) {
      this.executeFailed(task, tuple, err);
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      this.inFlight++;
      const p: PendingExecute = { task, tuple, epoch: this.epoch, expired: false, prev: this.newest, next: undefined };
      if (this.newest === undefined) this.oldest = p;
      else this.newest.next = p;
      this.newest = p;
      if (this.sweepTimer === undefined && this.timeoutEpochs !== Infinity) this.startSweeps();
      (result as Promise<void>).then(
        () => {
          if (p.expired) return;
          this.unlink(p);
          this.inFlight--;
          if (start >= 0) this.recordExecute(stats, this.env.clock.hrNow() - start);
          this.env.wake();
        },
        (err: unknown) => {
          if (p.expired) return;
          this.unlink(p);
          this.inFlight--;
          this.executeFailed(task, tuple, err);
          this.env.wake();
        },
      );
    } else if (start >= 0) {
      this.recordExecute(stats, this.env.clock.hrNow() - start);
    }
  }

  private unlink(p: PendingExecute): void {
    if (p.prev === undefined) this.oldest = p.next;
    else p.prev.next = p.next;
    if (p.next === undefined) this.newest = p.prev;
    else p.next.prev = p.prev;
    p.prev = p.next = undefined;
  }

  private startSweeps(): void {
    this.sweepTimer = this.env.clock.setInterval(() => this.sweep(), this.sweepMs).unref();
  }

  /**
   * Frees the slots of executions that outlived the message timeout: their tuple trees have timed
   * out (the spout replays them), and without this a bolt whose promises never settle would stop
   * taking input for good once `topology.bolt.max.async.pending` of them are open.
   */
  private sweep(): void {
    this.epoch++;
    let freed = false;
    // Oldest first: the first one still within its time ends the sweep.
    for (let p = this.oldest; p !== undefined && this.epoch - p.epoch > this.timeoutEpochs; p = this.oldest) {
      this.unlink(p);
      p.expired = true;
      this.inFlight--;
      freed = true;
      const secs = this.config['topology.message.timeout.secs'];
      this.executeFailed(
        p.task,
        p.tuple,
        new SquallError('TIMEOUT', `its promise did not settle within ${secs} s (topology.message.timeout.secs); the input is failed and its slot freed`),
      );
    }
    if (freed) this.env.wake();
  }

  private recordExecute(stats: TaskStats, ms: number): void {
    stats.executeLatency.record(ms);
    stats.executeMsSampled += ms;
  }

  /** A throwing execute is reported and its input failed, so the tree replays; the task goes on. */
  private executeFailed(task: BoltTask, tuple: TupleImpl, err: unknown): void {
    task.collector.reportError(new ComponentError(this.component, task.id, 'execute', err));
    try {
      task.collector.fail(tuple);
    } catch (failErr) {
      this.env.logger.log('error', `failing a tuple after an execute error failed: ${describe(failErr)}`);
    }
  }

  /** Tuples queued, being executed asynchronously, or held by the bolts. */
  get backlog(): number {
    let n = this.queue.size + this.inFlight;
    for (const t of this.tasks) if (t.holds !== undefined) n += t.holds.heldTuples();
    return n;
  }

  async cleanup(): Promise<void> {
    this.env.clock.clear(this.tickTimer);
    this.env.clock.clear(this.sweepTimer);
    for (const t of this.tasks) {
      try {
        await t.bolt.cleanup?.();
      } catch (err) {
        this.env.onError(this.component, t.id, new ComponentError(this.component, t.id, 'cleanup', err));
      }
      for (const h of t.context.hooks) h.cleanup?.();
    }
  }
}
