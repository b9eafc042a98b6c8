import { describe, expect, it } from 'vitest';
import {
  BaseWindowedBolt,
  Count,
  Duration,
  FailedError,
  Fields,
  SYSTEM_COMPONENT,
  TICK_STREAM,
  lateTupleOf,
  type Anchors,
  type OutputCollector,
  type TopologyContext,
  type Tuple,
  type TupleWindow,
  type Values,
} from 'squall';
import { TupleImpl, WindowedBoltExecutor } from 'squall/internal';
import { SimulatedClock } from 'squall/testing';

const FIELDS = new Fields(['id', 'ts']);

interface Emit {
  stream: string;
  anchors: Anchors;
  values: Values;
}

/** Records what the wrapper does with the runtime's collector. */
class Recorder implements OutputCollector {
  readonly emits: Emit[] = [];
  readonly acked: Tuple[] = [];
  readonly failed: Tuple[] = [];
  readonly errors: unknown[] = [];

  emit(a: unknown, b?: unknown, c?: unknown): number[] {
    const [stream, anchors, values] =
      c !== undefined ? [a as string, b as Anchors, c as Values] : typeof a === 'string' ? [a, null, b as Values] : [undefined, a as Anchors, b as Values];
    this.emits.push({ stream: stream ?? 'default', anchors, values });
    return [];
  }
  emitDirect(): void {
    throw new Error('not used');
  }
  ack(t: Tuple): void {
    this.acked.push(t);
  }
  fail(t: Tuple): void {
    this.failed.push(t);
  }
  resetTimeout(): void {}
  reportError(e: unknown): void {
    this.errors.push(e);
  }
}

function context(sources: Record<string, string[]>, clock: SimulatedClock): TopologyContext {
  const map = new Map(Object.entries(sources).map(([c, streams]) => [c, new Map(streams.map((s) => [s, { type: 'shuffle' }]))]));
  return { thisComponentId: 'win', thisTaskId: 7, getThisSources: () => map, clock } as unknown as TopologyContext;
}

/** A tracked tuple (one root per id) from `component`, with event time `ts`. */
function tuple(id: number, ts: number, component = 'events', stream = 'default', tracked = true): TupleImpl {
  return new TupleImpl([id, ts], FIELDS, component, stream, 1, tracked ? [id, id * 7, id * 13, id * 17] : []);
}

const tick = () => new TupleImpl([1], new Fields(['rate_secs']), SYSTEM_COMPONENT, TICK_STREAM, -1);
const ids = (ts: readonly Tuple[]) => ts.map((t) => t.getNumber(0));

/** Records every window as id lists. */
class Recording extends BaseWindowedBolt {
  readonly windows: { all: number[]; fresh: number[]; expired: number[]; start: number | undefined; end: number }[] = [];
  constructor(private readonly onWindow?: (w: TupleWindow, self: Recording) => void) {
    super();
  }
  execute(w: TupleWindow): void {
    this.windows.push({ all: ids(w.get()), fresh: ids(w.getNew()), expired: ids(w.getExpired()), start: w.startTimestamp, end: w.endTimestamp });
    this.onWindow?.(w, this);
  }
}

function run(bolt: BaseWindowedBolt, sources: Record<string, string[]> = { events: ['default'] }, clock = new SimulatedClock()) {
  const out = new Recorder();
  const exec = new WindowedBoltExecutor(bolt);
  void exec.prepare({} as never, context(sources, clock), out);
  return { exec, out };
}

describe('event time in the windowed bolt executor', () => {
  it('windows out-of-order input by timestamp, closing them at watermarks computed on ticks', () => {
    const bolt = new Recording().withWindow(Duration.ofMillis(10), Duration.ofMillis(5)).withTimestampField('ts').withLag(3);
    const { exec, out } = run(bolt);
    const input = [
      [1, 1],
      [2, 7],
      [3, 3],
      [4, 12],
      [5, 9],
      [6, 15],
    ] as const;
    for (const [id, ts] of input) exec.execute(tuple(id, ts));
    exec.execute(tick()); // watermark 15 - 3 = 12
    expect(exec.watermark).toBe(12);
    expect(bolt.windows).toEqual([
      { all: [1, 3], fresh: [1, 3], expired: [], start: -5, end: 5 },
      { all: [1, 3, 2, 5], fresh: [2, 5], expired: [], start: 0, end: 10 },
    ]);
    // Timestamps 1 and 3 can be in no window after 10 (the next starts after 5).
    expect(ids(out.acked)).toEqual([1, 3]);
    exec.execute(tuple(7, 13)); // above the watermark: on time
    exec.execute(tuple(8, 30));
    exec.execute(tick()); // watermark 27
    expect(bolt.windows.slice(2)).toEqual([
      { all: [2, 5, 4, 7, 6], fresh: [4, 7, 6], expired: [1, 3], start: 5, end: 15 },
      { all: [4, 7, 6], fresh: [], expired: [2, 5], start: 10, end: 20 },
    ]);
    expect(out.failed).toEqual([]);
    expect(exec.lateTuples).toBe(0);
  });

  it('holds the watermark at the slowest input stream, and none until every stream has spoken', () => {
    const bolt = new Recording().withTumblingWindow(Duration.ofMillis(10)).withTimestampField('ts');
    const { exec } = run(bolt, { fast: ['default'], slow: ['default', 'other'] });
    exec.execute(tuple(1, 5, 'fast'));
    exec.execute(tuple(2, 100, 'fast'));
    exec.execute(tuple(3, 4, 'slow'));
    exec.execute(tick());
    // slow:other has not delivered anything yet.
    expect(exec.watermark).toBe(-Infinity);
    exec.execute(tuple(4, 50, 'slow', 'other'));
    exec.execute(tick());
    expect(exec.watermark).toBe(4); // min(100, 4, 50)
    expect(bolt.windows).toEqual([]);
    exec.execute(tuple(5, 21, 'slow'));
    exec.execute(tick());
    expect(exec.watermark).toBe(21);
    // (10, 20] is empty and skipped; 30 is above the watermark.
    expect(bolt.windows.map((w) => [w.end, w.all])).toEqual([[10, [3, 1]]]);
    exec.execute(tuple(6, 120, 'slow'));
    exec.execute(tick());
    expect(exec.watermark).toBe(50);
    expect(bolt.windows.map((w) => [w.end, w.all])).toEqual([
      [10, [3, 1]],
      [30, [5]],
      [50, [4]],
    ]);
  });

  it('sends late tuples to the late-tuple stream, anchored, and acks them', () => {
    const bolt = new Recording().withTumblingWindow(Duration.ofMillis(10)).withTimestampField('ts').withLateTupleStream('late');
    const { exec, out } = run(bolt);
    exec.execute(tuple(1, 15));
    exec.execute(tick()); // watermark 15
    const lateOne = tuple(2, 15); // exactly at the watermark: late
    const lateTwo = tuple(3, 4);
    exec.execute(lateOne);
    exec.execute(lateTwo);
    exec.execute(tuple(4, 16)); // just above: on time
    expect(exec.lateTuples).toBe(2);
    const late = out.emits.filter((e) => e.stream === 'late');
    expect(late.map((e) => e.anchors)).toEqual([lateOne, lateTwo]);
    expect(late[0]!.values).toEqual([
      { component: 'events', stream: 'default', task: 1, fields: ['id', 'ts'], values: [2, 15], timestamp: 15, watermark: 15 },
    ]);
    expect(lateTupleOf(new TupleImpl(late[1]!.values, new Fields(['late_tuple']), 'win', 'late', 7)).values).toEqual([3, 4]);
    expect(out.acked).toContain(lateOne);
    expect(out.acked).toContain(lateTwo);
    expect(out.errors).toEqual([]);
  });

  it('without a late-tuple stream, counts late tuples, acks them and reports them once per watermark interval', () => {
    const bolt = new Recording().withTumblingWindow(Duration.ofMillis(10)).withTimestampField('ts');
    const { exec, out } = run(bolt);
    exec.execute(tuple(1, 15));
    exec.execute(tick());
    for (let i = 0; i < 5; i++) exec.execute(tuple(10 + i, 3));
    expect(exec.lateTuples).toBe(5);
    expect(ids(out.acked)).toEqual([10, 11, 12, 13, 14]);
    expect(out.errors).toEqual([]);
    exec.execute(tick());
    expect(out.errors).toHaveLength(1);
    expect(String((out.errors[0] as Error).message)).toMatch(
      /Component 'events', stream 'default': 5 late tuple\(s\) reached windowed bolt 'win' \(the last: timestamp 3 at or below the watermark 15\); they were acked without processing \(5 in all\)/,
    );
    exec.execute(tick());
    expect(out.errors).toHaveLength(1);
  });

  it('reads event time with an extractor, and refuses tuples without a usable timestamp', () => {
    const bolt = new Recording().withTumblingWindow(Duration.ofMillis(10)).withTimestampExtractor((t) => t.getNumber(1) * 10);
    const { exec } = run(bolt);
    exec.execute(tuple(1, 1));
    exec.execute(tuple(2, 2));
    exec.execute(tuple(3, 2.5));
    exec.execute(tick()); // watermark 25
    expect(bolt.windows.map((w) => w.all)).toEqual([[1], [2]]);

    const byField = run(new Recording().withTumblingWindow(Duration.ofMillis(10)).withTimestampField('time'));
    expect(() => byField.exec.execute(tuple(1, 1))).toThrow(
      /Component 'events', stream 'default': windowed bolt 'win' reads event time from field 'time', which the stream does not have \(fields: id, ts\)/,
    );
    const bad = run(new Recording().withTumblingWindow(Duration.ofMillis(10)).withTimestampField('ts'));
    expect(() => bad.exec.execute(new TupleImpl([1, 'noon'], FIELDS, 'events', 'default', 1))).toThrow(/needs a finite number of ms as event time, got "noon"/);
  });
});

describe('emitting and acking', () => {
  it('anchors default emits to the new tuples of the window', () => {
    const bolt = new Recording((w, self) => self['collector'].emit([w.size])).withWindow(Count.of(3), Count.of(2));
    const { exec, out } = run(bolt);
    const t = [1, 2, 3, 4].map((i) => tuple(i, 0));
    for (const x of t) exec.execute(x);
    expect(out.emits.map((e) => [e.anchors, e.values])).toEqual([
      [[t[0], t[1]], [2]],
      [[t[2], t[3]], [3]],
    ]);
  });

  it('anchors to one carrier of the distinct roots for a large window, and moves its edges onto one tuple per root', () => {
    const bolt = new Recording((_w, self) => self['collector'].emit('default', [1])).withTumblingWindow(Count.of(100));
    const { exec, out } = run(bolt);
    // 100 tuples, 50 roots: tuples 2k and 2k+1 share a root, as words split from one sentence.
    const tuples = Array.from({ length: 100 }, (_, i) => {
      const root = Math.floor(i / 2) + 1;
      return new TupleImpl([i, 0], FIELDS, 'split', 'default', 1, [root, -root, i + 1000, i + 2000]);
    });
    // The recorder plays the emitter: one edge for the single anchor, XORed into it.
    out.emit = function (this: Recorder, _s: unknown, anchors: unknown, values: unknown): number[] {
      const carrier = anchors as TupleImpl;
      carrier.ackHi ^= 0x1234;
      carrier.ackLo ^= 0x5678;
      this.emits.push({ stream: 'default', anchors: carrier, values: values as Values });
      return [];
    };
    for (const t of tuples) exec.execute(t);
    expect(out.emits).toHaveLength(1);
    const carrier = out.emits[0]!.anchors as TupleImpl;
    expect(carrier.anchors).toHaveLength(50 * 4);
    expect(carrier.anchors.slice(0, 8)).toEqual([1, -1, 0, 0, 2, -2, 0, 0]);
    expect(tuples.filter((t) => t.ackHi === 0x1234 && t.ackLo === 0x5678).map((t) => t.getNumber(0))).toEqual(
      Array.from({ length: 50 }, (_, k) => 2 * k),
    );
    expect(tuples.filter((t) => t.ackHi === 0 && t.ackLo === 0)).toHaveLength(50);
    expect(out.acked).toHaveLength(100);
  });

  it('emits unanchored when nothing in the window is tracked, and with explicit anchors when asked', () => {
    const bolt = new Recording((w, self) => {
      self['collector'].emit([1]);
      self['collector'].emit(null, [2]);
      self['collector'].emit('default', w.get()[0]!, [3]);
    }).withTumblingWindow(Count.of(40));
    const { exec, out } = run(bolt);
    const t = Array.from({ length: 40 }, (_, i) => tuple(i, 0, 'events', 'default', false));
    for (const x of t) exec.execute(x);
    expect(out.emits.map((e) => [e.anchors, e.values])).toEqual([
      [null, [1]],
      [null, [2]],
      [t[0], [3]],
    ]);
  });

  it('refuses an anchored emit outside execute', () => {
    const bolt = new Recording().withTumblingWindow(Count.of(2));
    run(bolt);
    expect(() => bolt['collector'].emit([1])).toThrow(/emitted outside execute\(window\) without anchors/);
    expect(() => bolt['collector'].emit(null, [1])).not.toThrow();
  });

  it('fails the new tuples of a window whose execute throws, reports it, and never acks them', () => {
    let calls = 0;
    const bolt = new Recording(() => {
      if (++calls === 2) throw new Error('boom');
    }).withWindow(Count.of(4), Count.of(2));
    const { exec, out } = run(bolt);
    for (let i = 1; i <= 8; i++) exec.execute(tuple(i, 0));
    expect(ids(out.failed)).toEqual([3, 4]);
    expect(String((out.errors[0] as Error).message)).toBe("Component 'win' task 7 threw in execute: boom");
    // 1..6 left the window; 3 and 4 were failed instead of acked.
    expect(ids(out.acked)).toEqual([1, 2, 5, 6]);
  });

  it('fails without reporting on FailedError', () => {
    const bolt = new Recording(() => {
      throw new FailedError();
    }).withTumblingWindow(Count.of(2));
    const { exec, out } = run(bolt);
    exec.execute(tuple(1, 0));
    exec.execute(tuple(2, 0));
    expect(ids(out.failed)).toEqual([1, 2]);
    expect(out.errors).toEqual([]);
    expect(out.acked).toEqual([]);
  });
});

describe('processing time in the windowed bolt executor', () => {
  it("stamps arrivals with the topology's clock and closes windows on ticks", async () => {
    const clock = new SimulatedClock(10_010);
    const bolt = new Recording().withTumblingWindow(Duration.ofSeconds(1));
    const { exec, out } = run(bolt, undefined, clock);
    exec.execute(tuple(1, 0));
    await clock.advanceTime(490);
    exec.execute(tuple(2, 0));
    await clock.advanceTime(500);
    exec.execute(tuple(3, 0)); // arrives at 11 000: in the window ending there
    exec.execute(tick());
    expect(bolt.windows).toEqual([]);
    await clock.advanceTime(1);
    exec.execute(tuple(4, 0));
    exec.execute(tick());
    expect(bolt.windows).toEqual([{ all: [1, 2, 3], fresh: [1, 2, 3], expired: [], start: 10_000, end: 11_000 }]);
    expect(ids(out.acked)).toEqual([1, 2, 3]);
  });

  it('the tick frequency follows the slide, capped by the watermark interval', () => {
    const config = (b: BaseWindowedBolt) => new WindowedBoltExecutor(b).getComponentConfiguration();
    expect(config(new Recording().withWindow(Duration.ofMillis(200), Duration.ofMillis(50)))).toEqual({ 'topology.tick.tuple.freq.secs': 0.05 });
    expect(config(new Recording().withWindow(Duration.ofMinutes(5), Duration.ofMinutes(1)))).toEqual({ 'topology.tick.tuple.freq.secs': 1 });
    expect(config(new Recording().withWindow(Count.of(5), Count.of(1)))).toEqual({});
    expect(config(new Recording().withWindow(Count.of(5)).withTimestampField('ts').withWatermarkInterval(20))).toEqual({
      'topology.tick.tuple.freq.secs': 0.02,
    });
  });
});
