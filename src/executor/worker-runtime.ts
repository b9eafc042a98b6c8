import type { Bolt, Spout, TaskHook, Topology } from '../api/index.js';
import { AckerBolt } from '../acker/index.js';
import {
  LatencyHistogram,
  SimulatedClock,
  SquallError,
  describe,
  realClock,
  silentLogger,
  type Clock,
  type Logger,
} from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import { CHECKPOINT_COMPONENT } from '../protocol/index.js';
import { CheckpointSpout } from '../stateful/index.js';
import { ACKER_COMPONENT, type TupleImpl } from '../tuple/index.js';
import { BoltExecutor } from './bolt-executor.js';
import type { ExecutorEnv } from './env.js';
import { TopologyPlan } from './plan.js';
import type { ReceiveQueue } from './receive-queue.js';
import { SpoutExecutor } from './spout-executor.js';
import { summarizeLatency, type ComponentSummary, type TaskStats } from './stats.js';

/** The system acker runs as an ordinary bolt executor with its own component instance. */
class AckerExecutor extends BoltExecutor {
  protected override instantiate(): Bolt {
    return new AckerBolt();
  }
}

/** The checkpoint spout a topology with stateful bolts gets (see systemTopology). */
class CheckpointSpoutExecutor extends SpoutExecutor {
  protected override instantiate(): Spout {
    return new CheckpointSpout();
  }
}

export type Executor = SpoutExecutor | BoltExecutor;

export interface ReportedError {
  readonly component: string;
  readonly task: number;
  readonly message: string;
  readonly time: number;
}

export interface WorkerRuntimeOptions {
  readonly name: string;
  readonly topology: Topology;
  /** Tasks this worker runs; all of them when absent (local mode). */
  readonly tasks?: readonly number[];
  /** Sends a tuple to a task of another worker (cluster mode). */
  readonly remoteTransfer?: (task: number, tuple: TupleImpl) => void;
  /** True while the transport to other workers is backed up: spouts of this worker then wait. */
  readonly remoteBackpressured?: () => boolean;
  readonly logger?: Logger;
  readonly resourcesDir?: string;
  /** The time the topology runs on; the real clock when absent. */
  readonly clock?: Clock;
}

const RECENT_ERRORS = 20;
/** Real time a simulated-time settle may take before it is reported as stuck. */
const SETTLE_LIMIT_MS = 10_000;

/**
 * The executors of one worker and the loop that runs them on this thread: the heart of local mode
 * and of every cluster worker. Executors take turns; each turn handles a batch of tuples, so the
 * cost of yielding to the event loop is shared by hundreds of tuples.
 */
export class WorkerRuntime {
  readonly plan: TopologyPlan;
  readonly config: TopologyConfig;
  readonly executors: Executor[] = [];
  readonly spouts: SpoutExecutor[] = [];
  readonly errors: ReportedError[] = [];
  private readonly queues = new Map<number, ReceiveQueue>();
  private readonly logger: Logger;
  private running = false;
  private loopDone: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private stoppedAt = 0;
  private readonly errorCounts = new Map<string, number>();
  private readonly inboundLimit: number;
  private totalErrors = 0;
  readonly clock: Clock;
  /** Callers of `settle` waiting for a quiet pass of the loop. */
  private quietWaiters: (() => void)[] = [];
  private leaveClock: (() => void) | undefined;
  private quietPasses = 0;

  constructor(options: WorkerRuntimeOptions) {
    this.clock = options.clock ?? realClock;
    this.config = options.topology.config;
    this.inboundLimit = Math.min(this.config['topology.executor.receive.buffer.size'], 4 * this.config['topology.executor.batch.size']);
    this.plan = new TopologyPlan(options.name, options.topology, this.config);
    this.logger = options.logger ?? silentLogger;
    const allTasks = [...this.plan.taskToComponent.keys()];
    const workerTasks = options.tasks ?? allTasks;
    const local = new Set(workerTasks);
    const remote = options.remoteTransfer;
    const queues = this.queues;
    const localAckers = new Map<number, AckerBolt>();
    const env: ExecutorEnv = {
      plan: this.plan,
      topology: options.topology,
      logger: this.logger,
      clock: this.clock,
      workerTasks,
      localTasks: local,
      resourcesDir: options.resourcesDir,
      transfer: (task, tuple) => {
        const q = queues.get(task);
        if (q !== undefined) q.push(task, tuple);
        else if (remote !== undefined) remote(task, tuple);
        else throw new SquallError('INVALID_ARGUMENT', `No task ${task} in this worker and no transport to reach it`);
      },
      onError: (component, task, error) => this.reportError(component, task, error),
      wake: () => this.wake(),
      localAcker: (task) => localAckers.get(task),
    };
    for (const { component, tasks } of this.plan.allExecutors()) {
      const mine = tasks.filter((t) => local.has(t));
      if (mine.length === 0) continue;
      const spec = this.plan.component(component);
      const config = this.plan.componentConfig(component);
      let executor: Executor;
      if (component === ACKER_COMPONENT) {
        executor = new AckerExecutor(component, mine, env, config);
      } else if (spec.kind === 'spout') {
        executor = component === CHECKPOINT_COMPONENT ? new CheckpointSpoutExecutor(component, mine, env, config) : new SpoutExecutor(component, mine, env, config);
        this.spouts.push(executor);
      } else {
        executor = new BoltExecutor(component, mine, env, config);
      }
      for (const t of mine) queues.set(t, executor.queue);
      this.executors.push(executor);
    }
    for (const s of this.spouts) s.setDownstream(this.downstreamQueues(s.component), options.remoteBackpressured);
    // Ackers in this worker are reached by direct calls, and report to local spout tasks directly.
    const spoutOfTask = new Map<number, SpoutExecutor>();
    for (const s of this.spouts) for (const t of s.taskIds) spoutOfTask.set(t, s);
    for (const e of this.executors) {
      if (!(e instanceof AckerExecutor)) continue;
      for (const t of e.tasks) {
        const acker = t.bolt as AckerBolt;
        localAckers.set(t.id, acker);
        acker.setCompletionSink((spoutTask, stream, rootHi, rootLo) => {
          const spout = spoutOfTask.get(spoutTask);
          if (spout === undefined) return false;
          spout.complete(spoutTask, stream, rootHi, rootLo);
          return true;
        });
      }
    }
  }

  /** Receive queues of every local executor reachable from `component`'s streams. */
  private downstreamQueues(component: string): ReceiveQueue[] {
    const seen = new Set<string>([component]);
    const todo = [component];
    const out = new Set<ReceiveQueue>();
    while (todo.length > 0) {
      const c = todo.pop() as string;
      for (const subscribers of this.plan.targetsOf(c).values()) {
        for (const sub of subscribers.keys()) {
          if (seen.has(sub)) continue;
          seen.add(sub);
          todo.push(sub);
          for (const e of this.executors) if (e.component === sub) out.add(e.queue);
        }
      }
    }
    return [...out];
  }

  /** Adds a hook to every task of this worker (before `start`, so it sees every event). */
  addTaskHook(makeHook: (component: string, task: number) => TaskHook | undefined): void {
    for (const e of this.executors) {
      for (const t of e.tasks) {
        const hook = makeHook(e.component, t.id);
        if (hook !== undefined) t.context.addTaskHook(hook);
      }
    }
  }

  /** Delivers a tuple that arrived from another worker. */
  receive(task: number, tuple: TupleImpl): void {
    const q = this.queues.get(task);
    if (q === undefined) throw new SquallError('INVALID_ARGUMENT', `Task ${task} does not run in this worker`);
    q.push(task, tuple);
    this.wake();
  }

  /** Opens spouts and prepares bolts (acker first), then starts the loop. */
  async start(activate = true): Promise<void> {
    const timeoutSecs = this.config['topology.enable.message.timeouts'] ? this.config['topology.message.timeout.secs'] : null;
    for (const e of this.executors) {
      if (e instanceof SpoutExecutor) await e.open();
      else {
        await e.prepare();
        if (e instanceof AckerExecutor && timeoutSecs !== null) e.startTicks(timeoutSecs);
      }
    }
    this.startedAt = this.clock.hrNow();
    this.running = true;
    if (this.clock instanceof SimulatedClock) this.leaveClock = this.clock.join(this);
    if (activate) this.activate();
    this.loopDone = this.loop();
  }

  activate(): void {
    for (const s of this.spouts) s.setActive(true);
    this.wake();
  }

  deactivate(): void {
    for (const s of this.spouts) s.setActive(false);
  }

  get isActive(): boolean {
    return this.spouts.some((s) => s.isActive);
  }

  /**
   * True while some executor has a few batches' worth of tuples waiting: stop taking tuples from
   * other workers. Tuples left in ZeroMQ stay bytes off the heap; decoded early they would sit in
   * queues long enough to be promoted, and the garbage collector would pay for them.
   */
  inboundFull(): boolean {
    const limit = this.inboundLimit;
    for (const e of this.executors) if (e.queue.size >= limit) return true;
    return false;
  }

  /** A peer worker is gone with the trees it held: every spout here replays what it waits for. */
  failAllPending(): void {
    for (const s of this.spouts) s.failAllPending();
  }

  /** Tracked spout tuples in flight plus tuples queued or executing anywhere in this worker. */
  inFlight(): number {
    let n = 0;
    for (const s of this.spouts) n += s.pendingCount;
    for (const e of this.executors) n += e.backlog;
    return n;
  }

  /**
   * Stops spouts and waits until every tracked tuple has completed and every queue is empty, or
   * `timeoutMs` passes. Returns whether it drained.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.deactivate();
    // Simulated time passes only when the test moves it: what is in flight when the worker has gone quiet stays there.
    if (this.clock instanceof SimulatedClock) {
      if (timeoutMs > 0) await this.clock.settle();
      return this.inFlight() === 0;
    }
    const deadline = this.clock.hrNow() + timeoutMs;
    while (this.inFlight() > 0) {
      if (this.clock.hrNow() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loopDone;
    this.leaveClock?.();
    this.resolveQuiet();
    this.stoppedAt = this.clock.hrNow();
    // Sources first, so nothing is emitted into a bolt that has already cleaned up.
    for (const s of this.spouts) {
      s.setActive(false);
      await s.close();
    }
    for (const e of this.executors) if (e instanceof BoltExecutor) await e.cleanup();
  }

  wake(): void {
    const w = this.wakeUp;
    if (w !== undefined) {
      this.wakeUp = undefined;
      if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
      w();
    }
  }

  private async loop(): Promise<void> {
    const executors = this.executors;
    while (this.running) {
      let work = 0;
      for (let i = 0; i < executors.length; i++) work += (executors[i] as Executor).turn();
      if (work > 0) {
        this.quietPasses = 0;
        // Let timers, I/O and promise callbacks run between batches.
        await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      if (this.quietWaiters.length > 0) {
        if (!this.isQuiet()) this.quietPasses = 0;
        else if (++this.quietPasses >= 2) this.resolveQuiet();
        else {
          // Quiet twice with a turn of the event loop between: promise callbacks started in this
          // pass (a state store's write, then an emit) have had their chance to add work.
          await new Promise<void>((r) => setImmediate(r));
          continue;
        }
      }
      await this.idle();
    }
  }

  /**
   * Nothing left to do at the current time: the last pass did no work, every active spout was
   * asked for a tuple in it, and no tuple is queued or executing. What a simulated clock waits for
   * after each timer it fires.
   */
  private isQuiet(): boolean {
    for (const s of this.spouts) if (!s.polledAll) return false;
    for (const e of this.executors) if (e.backlog > 0) return false;
    return true;
  }

  /** Resolves at the next quiet pass of the loop (at once when stopped); see {@link isQuiet}. */
  settle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => {
        const i = this.quietWaiters.indexOf(done);
        if (i >= 0) this.quietWaiters.splice(i, 1);
        reject(
          new SquallError(
            'SIMULATED_TIME',
            `topology '${this.plan.name}' did not go quiet within ${SETTLE_LIMIT_MS / 1000} s of real time: ${this.inFlight()} tuple(s) in flight, some executing (a promise or a subprocess that does not settle?)`,
          ),
        );
      }, SETTLE_LIMIT_MS);
      const done = (): void => {
        clearTimeout(guard);
        resolve();
      };
      this.quietWaiters.push(done);
      // Time may have moved: every spout is asked again now rather than after its real-time pause.
      for (const s of this.spouts) s.pollNow();
      this.wake();
    });
  }

  private resolveQuiet(): void {
    this.quietPasses = 0;
    const waiters = this.quietWaiters;
    if (waiters.length === 0) return;
    this.quietWaiters = [];
    for (const w of waiters) w();
  }

  /** Sleeps until a spout wants to run again, something is delivered, or a timer fires. */
  private idle(): Promise<void> {
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const s of this.spouts) wakeAt = Math.min(wakeAt, s.nextWakeAt());
    const delay = Number.isFinite(wakeAt) ? Math.max(0, wakeAt - performance.now()) : 50;
    return new Promise<void>((resolve) => {
      this.wakeUp = resolve;
      this.idleTimer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, Math.min(delay, 50));
    });
  }

  /** Errors reported since the worker started (the `errors` list keeps only the latest). */
  get errorCount(): number {
    return this.totalErrors;
  }

  /** Records a task's error: from its executor, or found outside it (its tuple could not be sent to another worker). */
  reportError(component: string, task: number, error: unknown): void {
    const message = describe(error);
    this.totalErrors++;
    this.errorCounts.set(component, (this.errorCounts.get(component) ?? 0) + 1);
    this.errors.push({ component, task, message, time: this.clock.now() });
    if (this.errors.length > RECENT_ERRORS * 5) this.errors.splice(0, this.errors.length - RECENT_ERRORS * 5);
    this.logger.log('error', `${component}:${task} ${message}`);
  }

  /** Per-component counters and latencies, system components excluded unless asked. */
  summary(includeSystem = false): Record<string, ComponentSummary> {
    const out: Record<string, ComponentSummary> = {};
    const end = this.running || this.stoppedAt === 0 ? this.clock.hrNow() : this.stoppedAt;
    const byComponent = new Map<string, Executor[]>();
    for (const e of this.executors) {
      if (!includeSystem && e.component.startsWith('__')) continue;
      const list = byComponent.get(e.component) ?? [];
      list.push(e);
      byComponent.set(e.component, list);
    }
    for (const [component, executors] of [...byComponent].sort(([a], [b]) => a.localeCompare(b))) {
      const kind = this.plan.component(component).kind;
      const tasks: TaskStats[] = executors.flatMap((e) => e.tasks.map((t) => t.stats));
      const sum = (f: (s: TaskStats) => number): number => tasks.reduce((a, s) => a + f(s), 0);
      const byStream: Record<string, number> = {};
      for (const e of executors) {
        for (const t of e.tasks) {
          for (const r of t.emitter.allRoutes()) if (!r.system) byStream[r.id] = (byStream[r.id] ?? 0) + r.emitted;
        }
      }
      const merged = (pick: (s: TaskStats) => LatencyHistogram) => {
        const h = new LatencyHistogram();
        for (const s of tasks) h.merge(pick(s));
        return h.count > 0 ? summarizeLatency(h) : undefined;
      };
      const summary: ComponentSummary = {
        kind,
        tasks: tasks.length,
        emitted: sum((s) => s.emitted),
        transferred: sum((s) => s.transferred),
        executed: sum((s) => s.executed),
        acked: sum((s) => s.acked),
        failed: sum((s) => s.failed),
        errors: this.errorCounts.get(component) ?? 0,
        emitted_by_stream: byStream,
        queue_population: executors.reduce((a, e) => a + e.queue.size, 0),
      };
      if (kind === 'spout') {
        summary.timed_out = sum((s) => s.timedOut);
        summary.pending = executors.reduce((a, e) => a + (e instanceof SpoutExecutor ? e.pendingCount : 0), 0);
        const complete = merged((s) => s.completeLatency);
        if (complete !== undefined) summary.complete_latency_ms = complete;
      } else {
        const execute = merged((s) => s.executeLatency);
        if (execute !== undefined) summary.execute_latency_ms = execute;
        const proc = merged((s) => s.processLatency);
        if (proc !== undefined) summary.process_latency_ms = proc;
        // Capacity as Storm defines it: executed x mean execute latency / elapsed, busiest executor.
        let capacity = 0;
        for (const e of executors) {
          const elapsed = end - (e.startedAt || this.startedAt);
          if (elapsed <= 0) continue;
          let executed = 0;
          let busy = 0;
          for (const t of e.tasks) {
            executed += t.stats.executed;
            busy += t.stats.executeLatency.mean() * t.stats.executed;
          }
          if (executed > 0) capacity = Math.max(capacity, busy / elapsed);
        }
        summary.capacity = Math.round(capacity * 1000) / 1000;
      }
      const last = [...this.errors].reverse().find((er) => er.component === component);
      if (last !== undefined) summary.last_error = last.message;
      out[component] = summary;
    }
    return out;
  }

  /** Forgets the latencies measured so far (e.g. after a benchmark's warm-up). */
  resetLatencies(): void {
    for (const e of this.executors) {
      for (const t of e.tasks) {
        t.stats.executeLatency.reset();
        t.stats.processLatency.reset();
        t.stats.completeLatency.reset();
      }
    }
  }

  /** Seconds the worker has been running. */
  uptimeSeconds(): number {
    if (this.startedAt === 0) return 0;
    return ((this.running ? this.clock.hrNow() : this.stoppedAt) - this.startedAt) / 1000;
  }
}
