import { ComponentError, InvalidTopologyError, InvalidTupleError, isSquallError, realClock, type Clock } from '../common/index.js';
import { STATEFUL_BOLT, isStatefulBolt, type StatefulBolt } from '../api/index.js';
import type { KeyValueState, StateKey } from '../state/index.js';
import type { Value } from '../tuple/index.js';
import type { Config, TopologyConfig } from '../config/index.js';
import type { Fields, Tuple, Values } from '../tuple/index.js';
import { emitAnchored, emitAnchors, emitStream, emitValues, type Anchors, type OutputCollector } from '../api/index.js';
import { StreamDeclarations, type Bolt, type OutputFieldsDeclarer } from '../api/index.js';
import type { TopologyContext } from '../api/index.js';
import { WindowAnchors } from './anchoring.js';
import { toLateTupleValue } from '../api/index.js';
import type { TupleWindow } from '../api/index.js';
import { declareWindowStreams, isEventTime, windowComponentConfig, windowSettingsProblems } from '../api/index.js';
import { WindowState, type WindowView } from './window-state.js';
import type { TimestampExtractor, WindowedBolt, WindowedOutputCollector } from '../api/index.js';

/** Emits of a windowed bolt: anchored to the new tuples of the window being executed, by default. */
class WindowCollector implements WindowedOutputCollector {
  private view: WindowView<Tuple> | undefined;
  private anchors: WindowAnchors | undefined;

  constructor(
    private readonly out: OutputCollector,
    private readonly component: string,
  ) {}

  begin(view: WindowView<Tuple>): void {
    this.view = view;
    this.anchors = undefined;
  }

  end(): void {
    this.view = undefined;
    this.anchors = undefined;
  }

  /** Worked out on the first anchored emit of a window, shared by the rest. */
  private windowAnchors(streamId: string): WindowAnchors {
    if (this.view === undefined) {
      throw new InvalidTupleError(
        this.component,
        streamId,
        'a windowed bolt emitted outside execute(window) without anchors: the window it would anchor to is gone (pass anchors, or null for an unanchored emit)',
      );
    }
    return (this.anchors ??= WindowAnchors.plan(this.view.getNew()));
  }

  // Emits without anchors are anchored to the window's new tuples; explicit anchors pass through.
  emit(a: Values | Anchors | string, b?: Values | Anchors, c?: Values): number[] {
    const n = arguments.length;
    const stream = emitStream(n, a);
    if (emitAnchored(n, a)) return this.out.emit(stream, emitAnchors(n, a, b), emitValues(n, a, b, c));
    return this.windowAnchors(stream).emit(this.out, stream, emitValues(n, a, b, c));
  }

  emitDirect(taskId: number, a: Values | Anchors | string, b?: Values | Anchors, c?: Values): void {
    const n = arguments.length - 1;
    const stream = emitStream(n, a);
    if (emitAnchored(n, a)) this.out.emitDirect(taskId, stream, emitAnchors(n, a, b), emitValues(n, a, b, c));
    else this.windowAnchors(stream).emitDirect(this.out, taskId, stream, emitValues(n, a, b, c));
  }

  reportError(error: unknown): void {
    this.out.reportError(error);
  }
}

/**
 * Runs a {@link WindowedBolt} as a {@link Bolt} (Storm's `WindowedBoltExecutor`): buffers the
 * input, closes windows on arrival (count slides), on tick tuples (time slides in processing
 * time) or on watermarks computed at tick tuples (event time), and acks each tuple once when it
 * leaves the window for good. Late tuples go to the late-tuple stream or are counted, reported
 * and acked. An `execute` that throws fails the window's new tuples (they replay), reporting the
 * error unless it is a {@link FailedError}.
 */
export class WindowedBoltExecutor implements Bolt {
  /** Late tuples this task received (sent to the late-tuple stream, or acked without processing). */
  lateTuples = 0;
  /** Windows executed by this task. */
  windows = 0;
  private collector!: OutputCollector;
  private clock: Clock = realClock;
  private out!: WindowCollector;
  private state!: WindowState<Tuple>;
  private component = '';
  private task = -1;
  private eventTime = false;
  private lagMs = 0;
  private lateStream: string | undefined;
  private extractor: TimestampExtractor | undefined;
  private timestampField = '';
  /** Field position of the timestamp for the last `Fields` seen (one per input stream). */
  private tsFields: Fields | undefined;
  private tsIndex = -1;
  /** Latest timestamp per input stream (source component and stream), for the watermark. */
  private readonly slots = new Map<string, Map<string, number>>();
  private readonly latest: number[] = [];
  private seenSlots = 0;
  private lastComponent = '';
  private lastStream = '';
  private lastSlot = -1;
  /** Tuples failed by a throwing execute, not to be acked again when they expire. */
  private failed: Set<Tuple> | undefined;
  /** Late tuples acked without a late stream since the last report, and the last of them. */
  private unreportedLate = 0;
  private lastLate: { component: string; stream: string; timestamp: number; watermark: number } | undefined;

  constructor(readonly bolt: WindowedBolt) {
    // A stateful windowed bolt makes this wrapper a stateful bolt, so the checkpointing executor
    // wraps it in turn: state restored before the first window, acks held until commit.
    if (isStatefulBolt(bolt)) (this as { [STATEFUL_BOLT]?: true })[STATEFUL_BOLT] = true;
  }

  /** For stateful windowed bolts: hands the restored state to the user's bolt. */
  initState(state: KeyValueState<StateKey, Value>): void | Promise<void> {
    return this.statefulHooks().initState?.(state);
  }

  prePrepare(txid: number): void {
    this.statefulHooks().prePrepare?.(txid);
  }

  preCommit(txid: number): void {
    this.statefulHooks().preCommit?.(txid);
  }

  preRollback(): void {
    this.statefulHooks().preRollback?.();
  }

  private statefulHooks(): Partial<Pick<StatefulBolt<StateKey, Value>, 'initState' | 'prePrepare' | 'preCommit' | 'preRollback'>> {
    return this.bolt as unknown as Partial<StatefulBolt<StateKey, Value>>;
  }

  prepare(config: TopologyConfig, context: TopologyContext, collector: OutputCollector): void | Promise<void> {
    this.component = context.thisComponentId;
    this.task = context.thisTaskId;
    this.clock = context.clock;
    const problems = windowSettingsProblems(this.bolt);
    if (problems.length > 0) throw new InvalidTopologyError(problems.map((message) => ({ component: this.component, message })));
    const wc = this.bolt.getWindowConfiguration();
    this.collector = collector;
    this.out = new WindowCollector(collector, this.component);
    this.eventTime = isEventTime(this.bolt);
    this.lagMs = wc.lagMs;
    this.lateStream = wc.lateTupleStream;
    this.extractor = this.bolt.getTimestampExtractor();
    this.timestampField = wc.timestampField ?? '';
    for (const [component, streams] of context.getThisSources()) for (const stream of streams.keys()) this.addSlot(component, stream);
    this.state = new WindowState<Tuple>(
      { length: wc.length as NonNullable<typeof wc.length>, slide: wc.slide as NonNullable<typeof wc.slide>, eventTime: this.eventTime },
      { onWindow: (w) => this.onWindow(w), onExpire: (t) => this.onExpire(t) },
    );
    return this.bolt.prepare?.(config, context, this.out);
  }

  execute(input: Tuple): void {
    if (input.isTick()) {
      this.onTick();
      return;
    }
    if (!this.eventTime) {
      this.state.add(input, this.clock.now());
      return;
    }
    const ts = this.timestampOf(input);
    const slot = this.slotOf(input);
    const latest = this.latest;
    const prev = latest[slot] as number;
    if (ts > prev) {
      if (prev === -Infinity) this.seenSlots++;
      latest[slot] = ts;
    }
    if (ts <= this.state.watermark) {
      this.late(input, ts);
      return;
    }
    this.state.add(input, ts);
  }

  /** Tuples buffered by this task and not yet expired. */
  get buffered(): number {
    return this.state.live;
  }

  /** The current watermark (event time), -Infinity before the first. */
  get watermark(): number {
    return this.state.watermark;
  }

  private onTick(): void {
    if (!this.eventTime) {
      this.state.advance(this.clock.now() - 1);
      return;
    }
    const latest = this.latest;
    // As in Storm: no watermark until every input stream has delivered a tuple; then the slowest
    // stream holds it back.
    if (latest.length > 0 && this.seenSlots === latest.length) {
      let min = Infinity;
      for (let i = 0; i < latest.length; i++) if ((latest[i] as number) < min) min = latest[i] as number;
      this.state.advance(min - this.lagMs);
    }
    if (this.unreportedLate > 0) this.reportLate();
  }

  private onWindow(view: WindowView<Tuple>): void {
    this.windows++;
    this.out.begin(view);
    try {
      const result: unknown = this.bolt.execute(view as TupleWindow);
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        // Not supported (emits after an await would anchor to tuples already acked); at least
        // do not lose the error.
        void (result as Promise<void>).then(undefined, (err: unknown) => this.collector.reportError(new ComponentError(this.component, this.task, 'execute', err)));
      }
    } catch (err) {
      this.windowFailed(view, err);
    } finally {
      this.out.end();
    }
  }

  private windowFailed(view: WindowView<Tuple>, err: unknown): void {
    if (isSquallError(err, 'REPORTED_FAILED')) this.collector.reportError(err);
    else if (!isSquallError(err, 'FAILED')) this.collector.reportError(new ComponentError(this.component, this.task, 'execute', err));
    const failed = (this.failed ??= new Set());
    for (const t of view.getNew()) {
      if (failed.has(t)) continue;
      failed.add(t);
      this.collector.fail(t);
    }
  }

  private onExpire(t: Tuple): void {
    const failed = this.failed;
    if (failed !== undefined && failed.delete(t)) {
      if (failed.size === 0) this.failed = undefined;
      return;
    }
    this.collector.ack(t);
  }

  private late(input: Tuple, ts: number): void {
    this.lateTuples++;
    const watermark = this.state.watermark;
    if (this.lateStream !== undefined) {
      this.collector.emit(this.lateStream, input, [toLateTupleValue(input, ts, watermark)]);
    } else {
      this.unreportedLate++;
      this.lastLate = { component: input.sourceComponent, stream: input.sourceStreamId, timestamp: ts, watermark };
    }
    // Storm acks late tuples: replaying them would only make them late again.
    this.collector.ack(input);
  }

  /** At most once per watermark interval, so a burst of late tuples is one error, not thousands. */
  private reportLate(): void {
    const last = this.lastLate;
    if (last === undefined) return;
    this.collector.reportError(
      new InvalidTupleError(
        last.component,
        last.stream,
        `${this.unreportedLate} late tuple(s) reached windowed bolt '${this.component}' (the last: timestamp ${last.timestamp} at or below the watermark ${last.watermark}); they were acked without processing (${this.lateTuples} in all). Raise withLag, or receive them with withLateTupleStream`,
      ),
    );
    this.unreportedLate = 0;
  }

  private timestampOf(t: Tuple): number {
    let v: unknown;
    if (this.extractor !== undefined) {
      v = this.extractor(t);
    } else {
      if (t.fields !== this.tsFields) {
        this.tsFields = t.fields;
        this.tsIndex = t.fields.indexOf(this.timestampField);
      }
      if (this.tsIndex < 0) {
        throw new InvalidTupleError(
          t.sourceComponent,
          t.sourceStreamId,
          `windowed bolt '${this.component}' reads event time from field '${this.timestampField}', which the stream does not have (fields: ${t.fields.names.join(', ')})`,
        );
      }
      v = t.values[this.tsIndex];
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InvalidTupleError(
        t.sourceComponent,
        t.sourceStreamId,
        `windowed bolt '${this.component}' needs a finite number of ms as event time, got ${typeof v === 'bigint' ? `${v}n` : JSON.stringify(v)}`,
      );
    }
    return v;
  }

  private slotOf(t: Tuple): number {
    const component = t.sourceComponent;
    const stream = t.sourceStreamId;
    if (component === this.lastComponent && stream === this.lastStream) return this.lastSlot;
    const slot = this.slots.get(component)?.get(stream) ?? this.addSlot(component, stream);
    this.lastComponent = component;
    this.lastStream = stream;
    this.lastSlot = slot;
    return slot;
  }

  private addSlot(component: string, stream: string): number {
    let streams = this.slots.get(component);
    if (streams === undefined) this.slots.set(component, (streams = new Map<string, number>()));
    const existing = streams.get(stream);
    if (existing !== undefined) return existing;
    const slot = this.latest.length;
    streams.set(stream, slot);
    this.latest.push(-Infinity);
    return slot;
  }

  cleanup(): void | Promise<void> {
    return this.bolt.cleanup?.();
  }

  declareOutputFields(declarer: OutputFieldsDeclarer): void {
    this.bolt.declareOutputFields?.(declarer);
    if (declarer instanceof StreamDeclarations) declareWindowStreams(this.bolt, declarer);
  }

  getComponentConfiguration(): Config {
    return { ...this.bolt.getComponentConfiguration?.(), ...windowComponentConfig(this.bolt) };
  }
}
