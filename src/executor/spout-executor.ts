import type { Spout, SpoutOutputCollector } from '../api/index.js';
import { ComponentError, IdTable, drawId, drawn, type Clock, type Timer } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import {
  ACKER_ACK_STREAM,
  ACKER_FAIL_STREAM,
  ACKER_INIT_STREAM,
  ACKER_RESET_TIMEOUT_STREAM,
  DEFAULT_STREAM,
  type TupleImpl,
  type Values,
} from '../tuple/index.js';
import type { TaskEmitter} from './emitter.js';
import { type StreamRoute } from './emitter.js';
import { createTaskParts, type ExecutorEnv } from './env.js';
import { ReceiveQueue } from './receive-queue.js';
import type { TaskStats } from './stats.js';
import type { TaskContext } from './task-context.js';
import { makeTickTuple, sampleInterval } from './ticks.js';

class SpoutTask {
  /** Tracked trees in flight: message id in `obj`, start time (or -1, unsampled) in `num`. */
  readonly pending = new IdTable(2);
  /** Message ids to ack once nextTuple returns (acking off, or a tuple that reached no task). */
  readonly immediateAcks: unknown[] = [];
  /** Emits made by this task so far; a nextTuple that adds none means "nothing to emit". */
  emitCalls = 0;
  /** `emitCalls` when nextTuple last returned: more since then means the spout emits asynchronously. */
  emitCallsAfterNext = 0;
  /**
   * performance.now() before which nextTuple is not called (wait after an empty nextTuple). The
   * wait strategy pauses in real time, as Storm's does, also under a simulated clock.
   */
  idleUntil = 0;
  /** The last nextTuple emitted nothing and nothing has reached the task since (an ack, a fail, a tick). */
  askedIdle = false;
  spout!: Spout;
  collector!: SpoutCollector;
  sampleCountdown: number;

  constructor(
    readonly id: number,
    readonly context: TaskContext,
    readonly stats: TaskStats,
    readonly emitter: TaskEmitter,
    readonly sampleEvery: number,
  ) {
    this.sampleCountdown = sampleEvery;
  }
}

class SpoutCollector implements SpoutOutputCollector {
  private readonly initRoute: StreamRoute | null;

  constructor(
    private readonly task: SpoutTask,
    private readonly env: ExecutorEnv,
    acking: boolean,
  ) {
    this.initRoute = acking ? task.emitter.route(ACKER_INIT_STREAM) : null;
  }

  emit(a: Values | string, b?: unknown, c?: unknown): number[] {
    return typeof a === 'string' ? this.emitOn(a, b as Values, c, -1) : this.emitOn(DEFAULT_STREAM, a, b, -1);
  }

  emitDirect(taskId: number, a: Values | string, b?: unknown, c?: unknown): void {
    if (typeof a === 'string') this.emitOn(a, b as Values, c, taskId);
    else this.emitOn(DEFAULT_STREAM, a, b, taskId);
  }

  private emitOn(stream: string, values: Values, messageId: unknown, directTask: number): number[] {
    const task = this.task;
    const emitter = task.emitter;
    const route = emitter.route(stream);
    task.emitCalls++;
    // A spout may emit from its own callbacks (a subprocess, a socket): make sure the loop runs.
    this.env.wake();
    const tracked = messageId !== undefined && messageId !== null;
    if (!tracked) return emitter.emit(route, values, directTask, null, false);
    if (this.initRoute === null) {
      // Acking is off: the tuple counts as done as soon as it is out.
      const out = emitter.emit(route, values, directTask, null, false);
      task.immediateAcks.push(messageId);
      return out;
    }
    drawId();
    const rootHi = drawn.hi;
    const rootLo = drawn.lo;
    emitter.rootHi = rootHi;
    emitter.rootLo = rootLo;
    const out = emitter.emit(route, values, directTask, null, true);
    if (out.length === 0) {
      task.immediateAcks.push(messageId);
      return out;
    }
    // Complete latency is measured on a sample of trees, as Storm does; -1 marks the others.
    let startMs = -1;
    if (--task.sampleCountdown <= 0) {
      task.sampleCountdown = task.sampleEvery;
      startMs = this.env.clock.hrNow();
    }
    const entry = task.pending.insert(rootHi, rootLo);
    task.pending.obj[entry] = messageId;
    task.pending.num[entry] = startMs;
    emitter.toAcker(this.initRoute, rootHi, rootLo, emitter.xorHi, emitter.xorLo, task.id);
    return out;
  }

  reportError(error: unknown): void {
    this.task.stats.errors++;
    this.env.onError(this.task.emitter.component, this.task.id, error);
  }

  getPendingCount(): number {
    return this.task.pending.size;
  }
}

/**
 * Runs the tasks of one spout executor: handles acks, fails and timeouts, then calls nextTuple
 * in batches while the spout is active, under max.spout.pending, and no downstream queue is full.
 */
export class SpoutExecutor {
  readonly kind = 'spout';
  readonly queue: ReceiveQueue;
  readonly tasks: SpoutTask[] = [];
  private readonly byId = new Map<number, SpoutTask>();
  private readonly batchSize: number;
  private readonly maxPending: number;
  private readonly waitMs: number;
  private active = false;
  private timeoutTimer: Timer | undefined;
  private readonly clock: Clock;
  /** False when the last turn left unasked a task that something reached since its last empty nextTuple: not quiet yet. */
  polledAll = true;
  /** Queues whose fullness stops this spout: every executor downstream of it. */
  private downstream: readonly ReceiveQueue[] = [];
  private throttledSince = -1;
  private failAllRequested = false;
  private throttleReason: 'pending' | 'backpressure' = 'pending';
  startedAt = 0;

  constructor(
    readonly component: string,
    readonly taskIds: readonly number[],
    private readonly env: ExecutorEnv,
    private readonly config: TopologyConfig,
  ) {
    this.queue = new ReceiveQueue(config['topology.executor.receive.buffer.size']);
    this.batchSize = config['topology.executor.batch.size'];
    this.maxPending = config['topology.max.spout.pending'] ?? Number.POSITIVE_INFINITY;
    this.waitMs = config['topology.sleep.spout.wait.strategy.time.ms'];
    this.clock = env.clock;
    const acking = env.plan.ackers > 0;
    for (const id of taskIds) {
      const { context, stats, emitter } = createTaskParts(env, config, component, id);
      const task = new SpoutTask(id, context, stats, emitter, sampleInterval(config['topology.stats.sample.rate']));
      task.spout = this.instantiate(component);
      task.collector = new SpoutCollector(task, env, acking);
      this.tasks.push(task);
      this.byId.set(id, task);
    }
  }

  /** Overridden for system components; user components come from the topology. */
  protected instantiate(component: string): Spout {
    return this.env.topology.createComponent(component) as Spout;
  }

  /** Tree completions reported by a local acker, handled at the start of the next turn: [task, stream, rootHi, rootLo]... */
  private readonly completions: (number | string)[] = [];

  /** A local acker reports a finished (or reset) tree of one of this executor's tasks. */
  complete(task: number, stream: string, rootHi: number, rootLo: number): void {
    this.completions.push(task, stream, rootHi, rootLo);
  }

  /**
   * What stops this spout: the local queues downstream of it, and `remoteFull`, true while the
   * transport to other workers holds too much (backpressure across workers).
   */
  setDownstream(queues: readonly ReceiveQueue[], remoteFull?: () => boolean): void {
    this.downstream = queues;
    if (remoteFull !== undefined) this.remoteFull = remoteFull;
  }

  private remoteFull: () => boolean = () => false;

  async open(): Promise<void> {
    for (const t of this.tasks) {
      for (const h of t.context.hooks) h.prepare?.(this.config, t.context);
      try {
        await t.spout.open(this.config, t.context, t.collector);
      } catch (err) {
        throw new ComponentError(this.component, t.id, 'open', err);
      }
    }
    this.startedAt = this.clock.hrNow();
    if (this.env.plan.ackers > 0 && this.config['topology.enable.message.timeouts']) {
      // Rotating two buckets every timeout fails a tree between T and 2T after its emit, as Storm does.
      const secs = this.config['topology.message.timeout.secs'];
      this.timeoutTimer = this.clock
        .setInterval(() => {
          for (const t of this.tasks) this.queue.push(t.id, makeTickTuple(secs));
          this.env.wake();
        }, secs * 1000)
        .unref();
    }
  }

  get isActive(): boolean {
    return this.active;
  }

  /**
   * Fails every tuple tree this spout is waiting for, at its next turn: a worker holding parts of
   * them is gone, and replaying now beats waiting out the message timeout. Trees that would still
   * have completed are replayed too, which at-least-once allows.
   */
  failAllPending(): void {
    this.failAllRequested = true;
    this.env.wake();
  }

  setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    for (const t of this.tasks) {
      try {
        if (active) t.spout.activate?.();
        else t.spout.deactivate?.();
      } catch (err) {
        t.collector.reportError(new ComponentError(this.component, t.id, active ? 'activate' : 'deactivate', err));
      }
    }
  }

  /** Tracked tuples in flight over all tasks. */
  get pendingCount(): number {
    let n = 0;
    for (const t of this.tasks) n += t.pending.size;
    return n;
  }

  private isBackpressured(): boolean {
    const d = this.downstream;
    for (let i = 0; i < d.length; i++) if ((d[i] as ReceiveQueue).isFull()) return true;
    return this.remoteFull();
  }

  turn(): number {
    let n = 0;
    const c = this.completions;
    if (c.length > 0) {
      for (let i = 0; i < c.length; i += 4) {
        const task = this.byId.get(c[i] as number);
        if (task !== undefined) this.handleCompletion(task, c[i + 1] as string, c[i + 2] as number, c[i + 3] as number);
      }
      n += c.length / 4;
      c.length = 0;
    }
    for (const task of this.tasks) {
      // Acks owed for emits made outside nextTuple.
      if (task.immediateAcks.length > 0) {
        n += task.immediateAcks.length;
        this.flushImmediateAcks(task);
      }
    }
    const q = this.queue;
    for (let t = q.shift(); t !== undefined; t = q.shift()) {
      const task = this.byId.get(q.lastTask);
      if (task !== undefined) this.handleSystemTuple(task, t);
      n++;
    }
    if (this.failAllRequested) {
      this.failAllRequested = false;
      for (const task of this.tasks) {
        const pending = task.pending;
        n += pending.size;
        pending.expireAll((e) => this.failTuple(task, pending.obj[e], 'failed'));
      }
    }
    this.polledAll = true;
    if (!this.active) return n;
    if (this.isBackpressured()) {
      this.startThrottle('backpressure');
      return n;
    }
    const now = performance.now();
    let blockedByPending = true;
    for (const task of this.tasks) {
      // Emits that arrived outside nextTuple (an asynchronous spout) end the wait at once.
      if (task.emitCalls !== task.emitCallsAfterNext) task.idleUntil = 0;
      if (now < task.idleUntil) {
        blockedByPending = false;
        // Waiting out the wait strategy after something reached it: ask again before calling the worker quiet.
        if (!task.askedIdle && task.pending.size < this.maxPending) this.polledAll = false;
        continue;
      }
      if (task.pending.size >= this.maxPending) continue;
      blockedByPending = false;
      for (let i = 0; i < this.batchSize; i++) {
        const before = task.emitCalls;
        try {
          task.spout.nextTuple();
        } catch (err) {
          task.collector.reportError(new ComponentError(this.component, task.id, 'nextTuple', err));
          task.emitCallsAfterNext = task.emitCalls;
          task.idleUntil = performance.now() + this.waitMs;
          break;
        }
        if (task.immediateAcks.length > 0) this.flushImmediateAcks(task);
        task.emitCallsAfterNext = task.emitCalls;
        if (task.emitCalls === before) {
          task.idleUntil = performance.now() + this.waitMs;
          task.askedIdle = true;
          break;
        }
        task.askedIdle = false;
        n++;
        if (task.pending.size >= this.maxPending) break;
        if ((i & 31) === 31 && this.isBackpressured()) break;
      }
    }
    if (blockedByPending) this.startThrottle('pending');
    else this.endThrottle();
    return n;
  }

  /** Ends the wait strategy's pause: every task is asked for a tuple at the next turn. */
  pollNow(): void {
    for (const t of this.tasks) {
      t.idleUntil = 0;
      t.askedIdle = false;
    }
  }

  /** The earliest time a task of this spout wants nextTuple called, for the loop's idle wait. */
  nextWakeAt(): number {
    if (!this.active) return Number.POSITIVE_INFINITY;
    let at = Number.POSITIVE_INFINITY;
    for (const t of this.tasks) if (t.pending.size < this.maxPending && t.idleUntil < at) at = t.idleUntil;
    return at;
  }

  private startThrottle(reason: 'pending' | 'backpressure'): void {
    if (this.throttledSince >= 0 && this.throttleReason === reason) return;
    this.endThrottle();
    this.throttledSince = this.clock.hrNow();
    this.throttleReason = reason;
  }

  private endThrottle(): void {
    if (this.throttledSince < 0) return;
    const ms = this.clock.hrNow() - this.throttledSince;
    const stats = this.tasks[0]?.stats;
    if (stats !== undefined) {
      if (this.throttleReason === 'pending') stats.skippedMaxPendingMs += ms;
      else stats.skippedBackpressureMs += ms;
    }
    this.throttledSince = -1;
  }

  private handleSystemTuple(task: SpoutTask, t: TupleImpl): void {
    if (t.isTick()) {
      task.askedIdle = false;
      const pending = task.pending;
      pending.rotate((e) => this.failTuple(task, pending.obj[e], 'timeout'));
      return;
    }
    this.handleCompletion(task, t.sourceStreamId, t.values[0] as number, t.values[1] as number);
  }

  private handleCompletion(task: SpoutTask, stream: string, rootHi: number, rootLo: number): void {
    const pending = task.pending;
    const e = pending.find(rootHi, rootLo);
    if (e < 0) return;
    if (stream === ACKER_RESET_TIMEOUT_STREAM) {
      pending.refresh(e);
      return;
    }
    const messageId = pending.obj[e];
    const startMs = pending.num[e] as number;
    pending.remove(e);
    if (stream === ACKER_ACK_STREAM) this.ackTuple(task, messageId, startMs < 0 ? -1 : this.clock.hrNow() - startMs);
    else if (stream === ACKER_FAIL_STREAM) this.failTuple(task, messageId, 'failed');
  }

  /** `latencyMs` is -1 for a tree whose latency was not sampled. */
  private ackTuple(task: SpoutTask, messageId: unknown, latencyMs: number): void {
    task.stats.acked++;
    // An ack or a fail ends the wait strategy's pause, as in Storm: the spout may have more to emit now.
    task.askedIdle = false;
    task.idleUntil = 0;
    if (latencyMs >= 0) task.stats.completeLatency.record(latencyMs);
    try {
      task.spout.ack?.(messageId);
    } catch (err) {
      task.collector.reportError(new ComponentError(this.component, task.id, 'ack', err));
    }
    const hooks = task.context.hooks;
    if (hooks.length > 0) for (const h of hooks) h.spoutAck?.({ messageId, completeLatencyMs: latencyMs });
  }

  private failTuple(task: SpoutTask, messageId: unknown, reason: 'failed' | 'timeout'): void {
    task.stats.failed++;
    task.askedIdle = false;
    task.idleUntil = 0;
    if (reason === 'timeout') task.stats.timedOut++;
    try {
      task.spout.fail?.(messageId);
    } catch (err) {
      task.collector.reportError(new ComponentError(this.component, task.id, 'fail', err));
    }
    const hooks = task.context.hooks;
    if (hooks.length > 0) for (const h of hooks) h.spoutFail?.({ messageId, reason });
  }

  private flushImmediateAcks(task: SpoutTask): void {
    const ids = task.immediateAcks.splice(0);
    for (const id of ids) this.ackTuple(task, id, 0);
  }

  get backlog(): number {
    return this.queue.size + this.completions.length / 4;
  }

  async close(): Promise<void> {
    this.clock.clear(this.timeoutTimer);
    this.endThrottle();
    for (const t of this.tasks) {
      try {
        await t.spout.close?.();
      } catch (err) {
        this.env.onError(this.component, t.id, new ComponentError(this.component, t.id, 'close', err));
      }
      for (const h of t.context.hooks) h.cleanup?.();
    }
  }
}
