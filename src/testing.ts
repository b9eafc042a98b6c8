/**
 * A testing kit for topologies (Storm's `Testing`): a feeder spout, a capture bolt, a fixed-tuple
 * spout, and `completeTopology`, which runs a topology until every tuple is done and returns what
 * each component emitted; simulated time (`SimulatedClock`, `LocalCluster({ simulatedTime: true })`).
 * Import from `squall/testing`.
 */
import * as path from 'node:path';
import { BaseRichBolt, BaseRichSpout, type OutputFieldsDeclarer, type Topology } from './api/index.js';
import { SimulatedClock, SquallError, type Logger } from './common/index.js';
import type { Config } from './config/index.js';
import { LocalCluster, type TopologySummary } from './local/index.js';
import { DEFAULT_STREAM, Fields, type Tuple, type Value, type Values } from './tuple/index.js';

export { SimulatedClock } from './common/index.js';
export type { Clock, ClockParticipant, Timer } from './common/index.js';

/** Something a test can ask "have you emitted everything you were going to?" */
export interface CompletableSpout {
  isExhausted(): boolean;
}

function isCompletable(x: unknown): x is CompletableSpout {
  return typeof (x as Partial<CompletableSpout>).isExhausted === 'function';
}

/** Shared between the task copies of one feeder spout (class instances are shared, not copied). */
class FeederQueue {
  readonly queue: { values: Values; messageId: unknown }[] = [];
  readonly acked: unknown[] = [];
  readonly failed: unknown[] = [];
  pending = 0;
}

/**
 * A spout fed by the test: `feed(values, messageId?)` queues a tuple; acked and failed message ids
 * are recorded in `acked` and `failed`. Replays nothing on its own.
 */
export class FeederSpout extends BaseRichSpout implements CompletableSpout {
  private readonly fields: Fields;
  private readonly shared = new FeederQueue();

  constructor(fields: readonly string[] | Fields) {
    super();
    this.fields = fields instanceof Fields ? fields : new Fields(fields);
  }

  feed(values: Values, messageId?: unknown): void {
    this.shared.queue.push({ values, messageId });
  }

  get acked(): readonly unknown[] {
    return this.shared.acked;
  }

  get failed(): readonly unknown[] {
    return this.shared.failed;
  }

  nextTuple(): void {
    const next = this.shared.queue.shift();
    if (next === undefined) return;
    if (next.messageId !== undefined) this.shared.pending++;
    this.collector.emit(next.values, next.messageId);
  }

  override ack(messageId: unknown): void {
    this.shared.pending--;
    this.shared.acked.push(messageId);
  }

  override fail(messageId: unknown): void {
    this.shared.pending--;
    this.shared.failed.push(messageId);
  }

  isExhausted(): boolean {
    return this.shared.queue.length === 0;
  }

  override declareOutputFields(declarer: OutputFieldsDeclarer): void {
    declarer.declare(this.fields);
  }
}

class FixedTupleState {
  emitted = 0;
}

/**
 * Emits a fixed list of tuples once, tracked (message id = position), split over its tasks; on the
 * given stream(s). Used by `completeTopology` to mock spouts.
 */
export class FixedTupleSpout extends BaseRichSpout implements CompletableSpout {
  private readonly state = new FixedTupleState();
  private next = 0;
  private mine: { stream: string; values: Values; id: number }[] = [];

  constructor(
    private readonly tuples: Readonly<Record<string, readonly Values[]>>,
    private readonly declared: Readonly<Record<string, readonly string[]>>,
  ) {
    super();
  }

  override open(...args: Parameters<BaseRichSpout['open']>): void {
    super.open(...args);
    const all = Object.entries(this.tuples).flatMap(([stream, list]) => list.map((values) => ({ stream, values })));
    const n = this.context.getComponentTasks(this.context.thisComponentId).length;
    this.mine = all.map((t, id) => ({ ...t, id })).filter((t) => t.id % n === this.context.thisTaskIndex);
  }

  nextTuple(): void {
    const t = this.mine[this.next];
    if (t === undefined) return;
    this.next++;
    this.state.emitted++;
    this.collector.emit(t.stream, t.values, t.id);
  }

  isExhausted(): boolean {
    return this.next >= this.mine.length;
  }

  override declareOutputFields(declarer: OutputFieldsDeclarer): void {
    for (const [stream, fields] of Object.entries(this.declared)) declarer.declareStream(stream, fields);
  }
}

/** Shared store of a capture bolt's tuples, by source component and stream. */
export class CapturedTuples {
  readonly byComponent = new Map<string, Map<string, Values[]>>();

  add(t: Tuple): void {
    let streams = this.byComponent.get(t.sourceComponent);
    if (streams === undefined) this.byComponent.set(t.sourceComponent, (streams = new Map<string, Values[]>()));
    let list = streams.get(t.sourceStreamId);
    if (list === undefined) streams.set(t.sourceStreamId, (list = []));
    list.push([...t.values]);
  }

  /** Captured values from `component` on `stream` (default stream when omitted). */
  get(component: string, stream: string = DEFAULT_STREAM): Values[] {
    return this.byComponent.get(component)?.get(stream) ?? [];
  }

  get count(): number {
    let n = 0;
    for (const s of this.byComponent.values()) for (const l of s.values()) n += l.length;
    return n;
  }
}

/** A bolt that records every tuple it receives (shared over its tasks) and acks it. */
export class CaptureBolt extends BaseRichBolt {
  readonly captured = new CapturedTuples();

  execute(input: Tuple): void {
    this.captured.add(input);
    this.collector.ack(input);
  }
}

export interface CompleteTopologyOptions {
  /** Replace spouts with fixed tuples: spout id -> tuples on its default stream, or stream -> tuples. */
  readonly mockedSources?: Readonly<Record<string, readonly Values[] | Readonly<Record<string, readonly Values[]>>>>;
  readonly config?: Config;
  /** Give up after this long, in real time. @defaultValue 10000 */
  readonly timeoutMs?: number;
  /**
   * Run on simulated time: whenever the topology is quiet and not complete, time jumps to the next
   * timer (a message timeout, a tick, a checkpoint), so a run that waits on time takes milliseconds
   * and repeats exactly. A run that is quiet with no timer left fails at once. @defaultValue false
   */
  readonly simulatedTime?: boolean;
  readonly topologyName?: string;
  readonly logger?: Logger;
  /**
   * The topology's resources directory, as the worker has the unpacked package folder: multilang
   * components (`ShellBolt`, `ShellSpout`) run their commands there, and resolve a relative `cwd`
   * against it. @defaultValue the process's working directory
   */
  readonly resourcesDir?: string;
}

export interface CompleteTopologyResult {
  /** What each component emitted: component -> stream -> values in emit order. */
  readonly emitted: Record<string, Record<string, Values[]>>;
  readonly summary: TopologySummary;
}

/**
 * Runs `topology` in a local cluster until every spout is exhausted and every tuple is done, and
 * returns what each component emitted. Every spout must be mocked or be a {@link CompletableSpout}.
 */
export async function completeTopology(topology: Topology, options: CompleteTopologyOptions = {}): Promise<CompleteTopologyResult> {
  let t = topology;
  for (const [id, source] of Object.entries(options.mockedSources ?? {})) {
    const spec = topology.spec.components[id];
    if (spec === undefined || spec.kind !== 'spout') throw new SquallError('INVALID_ARGUMENT', `mockedSources: no spout '${id}' in the topology`);
    const byStream = Array.isArray(source) ? { [DEFAULT_STREAM]: source as readonly Values[] } : (source as Record<string, readonly Values[]>);
    const declared = Object.fromEntries(Object.entries(spec.streams).map(([s, d]) => [s, d.fields]));
    t = t.withComponent(id, new FixedTupleSpout(byStream, declared));
  }
  const cluster = new LocalCluster({
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    simulatedTime: options.simulatedTime === true,
  });
  const name = options.topologyName ?? 'complete-topology';
  const emitted: Record<string, Record<string, Values[]>> = {};
  const spouts: CompletableSpout[] = [];
  await cluster.submitTopology(name, options.config ?? {}, t, {
    inactive: true,
    ...(options.resourcesDir === undefined ? {} : { resourcesDir: path.resolve(options.resourcesDir) }),
  });
  const runtime = cluster.getRuntime(name);
  runtime.addTaskHook((component) => ({
    emit: ({ stream, values }) => {
      const byStream = (emitted[component] ??= {});
      (byStream[stream] ??= []).push([...values] as Value[]);
    },
  }));
  for (const s of runtime.spouts) {
    for (const task of s.tasks) {
      if (!isCompletable(task.spout)) {
        await cluster.shutdown();
        throw new SquallError('INVALID_TOPOLOGY', `completeTopology: spout '${s.component}' is neither mocked nor a CompletableSpout`);
      }
      spouts.push(task.spout);
    }
  }
  cluster.activate(name);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = performance.now() + timeoutMs;
  const clock = cluster.clock instanceof SimulatedClock ? cluster.clock : undefined;
  try {
    for (;;) {
      if (clock !== undefined) await clock.settle();
      if (spouts.every((s) => s.isExhausted()) && runtime.inFlight() === 0) break;
      if (performance.now() > deadline) {
        throw new SquallError('SHUTDOWN', `completeTopology: not complete after ${timeoutMs} ms (${runtime.inFlight()} tuple(s) in flight)`);
      }
      if (clock === undefined) {
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      const next = clock.nextTimerAt();
      if (next === undefined) {
        throw new SquallError('SHUTDOWN', `completeTopology: the topology is quiet, not complete (${runtime.inFlight()} tuple(s) in flight), and no timer is left to wait for`);
      }
      await clock.advanceTime(Math.max(0, next - clock.now()));
    }
    return { emitted, summary: cluster.getTopologySummary(name) };
  } finally {
    await cluster.shutdown();
  }
}
