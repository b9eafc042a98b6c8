import { describe, expect, it } from 'vitest';
import {
  BaseRichSpout,
  BaseWindowedBolt,
  Count,
  Duration,
  InvalidTopologyError,
  TopologyBuilder,
  type Config,
  type OutputFieldsDeclarer,
  type TupleWindow,
} from 'squall';

class Events extends BaseRichSpout {
  nextTuple(): void {}
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['user', 'ts']);
  }
}

class Noop extends BaseWindowedBolt {
  execute(_w: TupleWindow): void {}
}

function build(bolt: BaseWindowedBolt, config: Config = {}, tick?: number) {
  const b = new TopologyBuilder();
  b.setSpout('events', Events);
  const d = b.setBolt('alerts', bolt).shuffleGrouping('events');
  if (tick !== undefined) d.setTickFrequency(tick);
  return b.createTopology(config);
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidTopologyError);
    return (err as InvalidTopologyError).problems.map((p) => `${p.component}: ${p.message}`);
  }
  return [];
}

describe('windowed bolts at createTopology', () => {
  it('refuses a message timeout shorter than a time window and its slide, naming the component and the numbers', () => {
    const bolt = new Noop().withWindow(Duration.ofSeconds(60), Duration.ofSeconds(10));
    expect(() => build(bolt)).toThrow(
      "Invalid topology: component 'alerts': topology.message.timeout.secs is 30 s, but a windowed bolt acks its tuples only when they leave the window, up to 70 s later (window length 1 min + slide 10 s): tuples would time out and replay; raise the timeout above 70 s",
    );
    expect(build(bolt, { 'topology.message.timeout.secs': 71 }).spec.components.alerts?.kind).toBe('bolt');
  });

  it('counts the lag and the watermark interval in event time', () => {
    const bolt = new Noop().withWindow(Duration.ofSeconds(20), Duration.ofSeconds(5)).withTimestampField('ts').withLag(Duration.ofSeconds(4));
    expect(problems(() => build(bolt))).toEqual([
      "alerts: topology.message.timeout.secs is 30 s, but a windowed bolt acks its tuples only when they leave the window, up to 30 s later (window length 20 s + slide 5 s + lag 4 s + watermark interval 1 s): tuples would time out and replay; raise the timeout above 30 s",
    ]);
    expect(problems(() => build(bolt, { 'topology.message.timeout.secs': 31 }))).toEqual([]);
  });

  it('skips the timeout check when nothing is tracked', () => {
    const bolt = new Noop().withWindow(Duration.ofMinutes(5), Duration.ofMinutes(1));
    expect(problems(() => build(bolt, { 'topology.acker.executors': 0 }))).toEqual([]);
    expect(problems(() => build(bolt, { 'topology.enable.message.timeouts': false }))).toEqual([]);
  });

  it('refuses a count window that max spout pending could never fill', () => {
    const bolt = new Noop().withTumblingWindow(Count.of(500));
    expect(problems(() => build(bolt, { 'topology.max.spout.pending': 100 }))).toEqual([
      'alerts: topology.max.spout.pending is 100, but a count window holds up to 500 tuples unacked: a spout task stops at 100 pending, so the window could never fill',
    ]);
    expect(problems(() => build(bolt, { 'topology.max.spout.pending': 500 }))).toEqual([]);
  });

  it('reports bad window settings', () => {
    expect(problems(() => build(new Noop()))).toEqual([
      'alerts: a windowed bolt needs a window: call withWindow(length, slide) or withTumblingWindow(length)',
    ]);
    expect(problems(() => build(new Noop().withWindow(Count.of(5), Count.of(10))))).toEqual([
      'alerts: the sliding interval (10 tuples) is longer than the window length (5 tuples)',
    ]);
    expect(problems(() => build(new Noop().withWindow(Count.of(0), Duration.ofMillis(-1)).withLag(-5)))).toEqual([
      'alerts: the window length must be a whole number of tuples of at least 1, got 0',
      'alerts: the sliding interval must be a positive number of milliseconds, got -1',
      'alerts: the lag must be at least 0 ms, got -5',
    ]);
    expect(problems(() => build(new Noop().withTumblingWindow(Count.of(5)).withLateTupleStream('late')))).toEqual([
      "alerts: withLateTupleStream('late') needs event time (withTimestampField or withTimestampExtractor): in processing time no tuple is late",
    ]);
  });

  it('declares the late-tuple stream and the tick frequency in the spec', () => {
    const bolt = new Noop().withTumblingWindow(Count.of(5)).withTimestampField('ts').withLateTupleStream('late').withWatermarkInterval(250);
    const spec = build(bolt).spec.components.alerts!;
    expect(spec.streams.late).toEqual({ fields: ['late_tuple'], direct: false });
    expect(spec.config['topology.tick.tuple.freq.secs']).toBe(0.25);
  });

  it('accepts a late-tuple stream the bolt declared itself with the same field, refuses one with others', () => {
    class Declares extends Noop {
      constructor(private readonly fields: string[]) {
        super();
      }
      override declareOutputFields(d: OutputFieldsDeclarer): void {
        d.declareStream('late', this.fields);
      }
    }
    const ok = new Declares(['late_tuple']).withTumblingWindow(Count.of(5)).withTimestampField('ts').withLateTupleStream('late');
    expect(problems(() => build(ok))).toEqual([]);
    const clash = new Declares(['x']).withTumblingWindow(Count.of(5)).withTimestampField('ts').withLateTupleStream('late');
    expect(problems(() => build(clash))).toEqual([
      "alerts: the late-tuple stream: Component 'alerts': stream 'late' is declared twice",
    ]);
  });

  it('refuses a tick frequency set over the one the windows run on', () => {
    const bolt = new Noop().withTumblingWindow(Count.of(5)).withTimestampField('ts');
    expect(problems(() => build(bolt, {}, 5))).toEqual([
      'alerts: its windows are driven by tick tuples every 1 s (from its watermark interval), but topology.tick.tuple.freq.secs is set to 5 on it: leave it unset',
    ]);
  });

  it('keeps settings per task copy: fluent settings survive the instance copy', () => {
    const bolt = new Noop().withWindow(Duration.ofSeconds(2), Count.of(3)).withTimestampExtractor(() => 1);
    const topology = build(bolt);
    const copy = topology.createComponent('alerts') as unknown as Noop;
    expect(copy).not.toBe(bolt);
    expect(copy.getWindowConfiguration()).toEqual({
      length: { ms: 2000 },
      slide: { count: 3 },
      timestampField: undefined,
      lagMs: 0,
      watermarkIntervalMs: 1000,
      lateTupleStream: undefined,
    });
    expect(copy.getTimestampExtractor()).toBe(bolt.getTimestampExtractor());
  });
});
