import { afterEach, describe, expect, it } from 'vitest';
import {
  BaseBasicBolt,
  BaseRichBolt,
  BaseRichSpout,
  BaseWindowedBolt,
  Count,
  Duration,
  LocalCluster,
  TopologyBuilder,
  lateTupleOf,
  type BasicOutputCollector,
  type OutputFieldsDeclarer,
  type Tuple,
  type TupleWindow,
} from 'squall';
import { CaptureBolt, FeederSpout, completeTopology } from 'squall/testing';
import type { WindowedBoltExecutor } from 'squall/internal';
import { Ledger } from '../helpers/ledger.js';
import { eventually } from '../helpers/wait.js';
import loginAlerts from '../../topologies/login-alerts/topology.js';
import trendingTopics from '../../topologies/trending-topics/topology.js';

/** Emits [windowEnd, "tag=count ..."] per window: counts of the first field, sorted. */
class TagCounts extends BaseWindowedBolt {
  execute(w: TupleWindow): void {
    const counts = new Map<string, number>();
    for (const t of w.get()) counts.set(t.getString(0), (counts.get(t.getString(0)) ?? 0) + 1);
    const summary = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}=${n}`).join(' ');
    this.collector.emit([w.endTimestamp, summary]);
  }
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['end', 'counts']);
  }
}

let cluster: LocalCluster | undefined;
afterEach(async () => {
  await cluster?.shutdown();
  cluster = undefined;
});

function windowTask(name: string, component = 'window'): WindowedBoltExecutor {
  const exec = cluster!.getRuntime(name).executors.find((e) => e.component === component)!;
  return (exec.tasks[0] as unknown as { bolt: WindowedBoltExecutor }).bolt;
}

describe('event-time windows in a running topology', () => {
  it('computes sliding windows over out-of-order input exactly, closing them as the watermark advances', async () => {
    const feeder = new FeederSpout(['tag', 'ts']);
    const capture = new CaptureBolt();
    const b = new TopologyBuilder();
    b.setSpout('events', feeder);
    b.setBolt('window', new TagCounts().withWindow(Duration.ofMillis(30), Duration.ofMillis(10)).withTimestampField('ts').withLag(10).withWatermarkInterval(10))
      .globalGrouping('events');
    b.setBolt('capture', capture).globalGrouping('window');
    // Out of order, but never by more than the lag: no tuple is late, whenever the watermark moves.
    const input: [string, number][] = [
      ['a', 5],
      ['b', 12],
      ['a', 8],
      ['c', 25],
      ['a', 18],
      ['b', 31],
      ['a', 27],
      ['c', 40],
      ['a', 36],
      ['z', 55],
    ];
    input.forEach((v, i) => feeder.feed(v, i));
    cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology('event-time', {}, b.createTopology());
    await cluster.advanceTime(0);
    expect(capture.captured.get('window')).toEqual([]);
    // The first watermark, 55 - 10 = 45: windows ending at 10, 20, 30, 40 close; (20, 50] waits.
    await cluster.advanceTime(10);
    expect(capture.captured.get('window')).toEqual([
      [10, 'a=2'],
      [20, 'a=3 b=1'],
      [30, 'a=4 b=1 c=1'],
      [40, 'a=3 b=2 c=2'],
    ]);
    // Timestamps at or below 20 are in no window after 40 (the next holds (20, 50]).
    expect([...feeder.acked].sort()).toEqual([0, 1, 2, 4]);
    feeder.feed(['y', 70], 10);
    await cluster.advanceTime(10);
    expect(capture.captured.get('window').slice(4)).toEqual([
      [50, 'a=2 b=1 c=2'],
      [60, 'a=1 b=1 c=1 z=1'],
    ]);
    expect(windowTask('event-time').lateTuples).toBe(0);
  });

  it('sends late tuples to the late-tuple stream and acks them', async () => {
    const feeder = new FeederSpout(['tag', 'ts']);
    const capture = new CaptureBolt();
    const b = new TopologyBuilder();
    b.setSpout('events', feeder);
    b.setBolt('window', new TagCounts().withTumblingWindow(Duration.ofMillis(10)).withTimestampField('ts').withWatermarkInterval(10).withLateTupleStream('late'))
      .globalGrouping('events');
    b.setBolt('capture', capture).globalGrouping('window').globalGrouping('window', 'late');
    feeder.feed(['a', 3], 'a3');
    feeder.feed(['b', 100], 'b100');
    cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology('late', {}, b.createTopology());
    await cluster.advanceTime(10);
    expect(windowTask('late').watermark).toBe(100);
    feeder.feed(['late', 42], 'late42');
    feeder.feed(['edge', 100], 'edge100'); // exactly at the watermark: late too
    feeder.feed(['ok', 101], 'ok101');
    await cluster.advanceTime(0);
    const late = capture.captured.get('window', 'late').map((v) => lateTupleOf({ getValueByField: () => v[0] } as unknown as Tuple));
    expect(late.map((l) => [l.values, l.timestamp, l.watermark, l.component, l.stream])).toEqual([
      [['late', 42], 42, 100, 'events', 'default'],
      [['edge', 100], 100, 100, 'events', 'default'],
    ]);
    expect(feeder.acked).toEqual(expect.arrayContaining(['late42', 'edge100']));
    expect(capture.captured.get('window')).toEqual([[10, 'a=1'], [100, 'b=1']]);
    expect(feeder.failed).toEqual([]);
    expect(windowTask('late').lateTuples).toBe(2);
  });

  it('counts and reports late tuples without a late-tuple stream', async () => {
    const feeder = new FeederSpout(['tag', 'ts']);
    const b = new TopologyBuilder();
    b.setSpout('events', feeder);
    b.setBolt('window', new TagCounts().withTumblingWindow(Duration.ofMillis(10)).withTimestampField('ts').withWatermarkInterval(10)).globalGrouping('events');
    feeder.feed(['b', 100], 'b100');
    cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology('late-count', {}, b.createTopology());
    await cluster.advanceTime(10);
    expect(windowTask('late-count').watermark).toBe(100);
    for (let i = 0; i < 3; i++) feeder.feed(['late', 50 + i], `late${i}`);
    // Late tuples are reported once per watermark interval.
    await cluster.advanceTime(10);
    const summary = cluster.getTopologySummary('late-count');
    expect(summary.errors[0]?.message).toMatch(/3 late tuple\(s\) reached windowed bolt 'window'/);
    expect(summary.components.window?.errors).toBe(1);
    expect(windowTask('late-count').lateTuples).toBe(3);
    expect(feeder.acked).toEqual(expect.arrayContaining(['late0', 'late1', 'late2']));
    expect(feeder.failed).toEqual([]);
  });

  it('holds the watermark at the slowest of several input streams', async () => {
    const fast = new FeederSpout(['tag', 'ts']);
    const slow = new FeederSpout(['tag', 'ts']);
    const capture = new CaptureBolt();
    const b = new TopologyBuilder();
    b.setSpout('fast', fast);
    b.setSpout('slow', slow);
    b.setBolt('window', new TagCounts().withTumblingWindow(Duration.ofMillis(10)).withTimestampField('ts').withWatermarkInterval(10))
      .globalGrouping('fast')
      .globalGrouping('slow');
    b.setBolt('capture', capture).globalGrouping('window');
    for (let ts = 1; ts <= 100; ts += 3) fast.feed(['f', ts]);
    cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology('streams', {}, b.createTopology());
    // Fifteen watermark intervals with nothing from 'slow' yet: no watermark at all.
    await cluster.advanceTime(150);
    expect(windowTask('streams').watermark).toBe(-Infinity);
    expect(capture.captured.get('window')).toEqual([]);
    slow.feed(['s', 25]);
    await cluster.advanceTime(10);
    expect(windowTask('streams').watermark).toBe(25);
    await cluster.advanceTime(50);
    expect(capture.captured.get('window')).toEqual([[10, 'f=4'], [20, 'f=3']]);
    slow.feed(['s', 61]);
    await cluster.advanceTime(10);
    expect(capture.captured.get('window').slice(2)).toEqual([[30, 'f=3 s=1'], [40, 'f=4'], [50, 'f=3'], [60, 'f=3']]);
  });
});

describe('count and processing-time windows in a running topology', () => {
  it('tumbling count windows, run to completion', async () => {
    const feeder = new FeederSpout(['tag', 'ts']);
    const b = new TopologyBuilder();
    b.setSpout('events', feeder);
    b.setBolt('window', new TagCounts().withTumblingWindow(Count.of(3))).globalGrouping('events');
    for (const [i, tag] of ['a', 'b', 'a', 'c', 'c', 'c', 'b', 'a', 'a'].entries()) feeder.feed([tag, 0], i);
    const { emitted, summary } = await completeTopology(b.createTopology());
    expect(emitted.window?.default?.map((v) => v[1])).toEqual(['a=2 b=1', 'c=3', 'a=2 b=1']);
    expect([...feeder.acked].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(summary.components.window?.acked).toBe(9);
  });

  it('sliding count windows', async () => {
    const feeder = new FeederSpout(['tag', 'ts']);
    const capture = new CaptureBolt();
    const b = new TopologyBuilder();
    b.setSpout('events', feeder);
    b.setBolt('window', new TagCounts().withWindow(Count.of(4), Count.of(2))).globalGrouping('events');
    b.setBolt('capture', capture).globalGrouping('window');
    for (const [i, tag] of ['a', 'b', 'c', 'd', 'e', 'f', 'g'].entries()) feeder.feed([tag, 0], i);
    cluster = new LocalCluster();
    await cluster.submitTopology('count', {}, b.createTopology());
    await eventually(() => capture.captured.get('window').length === 3, 'three windows');
    expect(capture.captured.get('window').map((v) => v[1])).toEqual(['a=1 b=1', 'a=1 b=1 c=1 d=1', 'c=1 d=1 e=1 f=1']);
    // The next window (at 8) holds e, f, g, and one more.
    await eventually(() => feeder.acked.length === 4, 'four acks');
    expect([...feeder.acked].sort()).toEqual([0, 1, 2, 3]);
  });

  it('processing-time tumbling windows put every tuple in exactly one window, aligned to the slide', async () => {
    const seen: { start: number; end: number; ids: number[] }[] = [];
    class Record extends BaseWindowedBolt {
      execute(w: TupleWindow): void {
        seen.push({ start: w.startTimestamp!, end: w.endTimestamp, ids: w.get().map((t) => t.getNumber(1)) });
      }
    }
    const feeder = new FeederSpout(['tag', 'id']);
    const b = new TopologyBuilder();
    b.setSpout('events', feeder);
    b.setBolt('window', new Record().withTumblingWindow(Duration.ofMillis(50))).globalGrouping('events');
    cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology('processing', {}, b.createTopology());
    const start = cluster.clock.now();
    for (let i = 0; i < 30; i++) {
      feeder.feed(['x', i], i);
      await cluster.advanceTime(7);
    }
    await cluster.advanceTime(100);
    expect(feeder.acked.length).toBe(30);
    // Tuple i arrived at start + 7i: each window holds exactly the tuples that arrived in it.
    for (let k = 1; k < seen.length; k++) expect(seen[k]!.start).toBe(seen[k - 1]!.end);
    for (const w of seen) expect(w.ids).toEqual(Array.from({ length: 30 }, (_, i) => i).filter((i) => start + 7 * i > w.start && start + 7 * i <= w.end));
    expect(seen.flatMap((w) => w.ids)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    for (const w of seen) {
      expect(w.end % 50).toBe(0);
      expect(w.end - w.start).toBe(50);
    }
    expect(feeder.failed).toEqual([]);
  });
});

/** Emits ids 0..total-1 once each with ts = id, then a far-future tuple that closes every window; replays what fails. */

class TimestampSpout extends BaseRichSpout {
  private next = 0;
  private readonly replay: number[] = [];

  constructor(
    private readonly total: number,
    private readonly ledger: Ledger,
  ) {
    super();
  }

  nextTuple(): void {
    const replayed = this.replay.shift();
    if (replayed !== undefined) {
      this.collector.emit([replayed, replayed], replayed);
      return;
    }
    if (this.next > this.total) return;
    const id = this.next++;
    // The last tuple pushes the watermark past every window.
    this.collector.emit([id, id === this.total ? 1e9 : id], id);
  }

  override ack(id: unknown): void {
    this.ledger.ack(id);
  }

  override fail(id: unknown): void {
    this.ledger.fail(id);
    this.replay.push(id as number);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['id', 'ts']);
  }
}

/** Three tuples per input, anchored: window tuples that share spout roots. */
class Triple extends BaseBasicBolt {
  execute(t: Tuple, c: BasicOutputCollector): void {
    for (let k = 0; k < 3; k++) c.emit([t.getNumber(0), t.getNumber(1)]);
  }
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['id', 'ts']);
  }
}

/** Emits the window's size and the ids of its new tuples, anchored to them (the default). */
class WindowSize extends BaseWindowedBolt {
  execute(w: TupleWindow): void {
    this.collector.emit([w.endTimestamp, w.size, w.getNew().map((t) => t.getNumber(0))]);
  }
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['end', 'size', 'ids']);
  }
}

/** Acks window results after a while (so the trees stay open past the window), failing those `fail` picks. */
class SlowSink extends BaseRichBolt {
  constructor(private readonly failIf: (end: number) => boolean) {
    super();
  }
  execute(t: Tuple): void {
    this.context.clock.setTimeout(() => (this.failIf(t.getNumber(0)) ? this.collector.fail(t) : this.collector.ack(t)), 5);
  }
}

describe('acking windowed tuples', () => {
  async function runLedger(name: string, options: { triple: boolean; failIf?: (end: number) => boolean }): Promise<Ledger> {
    const ledger = new Ledger();
    const total = 3000;
    const b = new TopologyBuilder();
    b.setSpout('spout', new TimestampSpout(total, ledger));
    let source = 'spout';
    if (options.triple) {
      b.setBolt('triple', Triple).shuffleGrouping('spout');
      source = 'triple';
    }
    // 200-tuple windows sliding by 50 (ts = id): 50 or 150 new tuples per window, over the
    // threshold where anchoring merges roots.
    b.setBolt('window', new WindowSize().withWindow(Duration.ofMillis(200), Duration.ofMillis(50)).withTimestampField('ts').withLag(20).withWatermarkInterval(5))
      .globalGrouping(source);
    b.setBolt('sink', new SlowSink(options.failIf ?? (() => false))).shuffleGrouping('window');
    cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology(name, { 'topology.max.spout.pending': 1000 }, b.createTopology());
    // One watermark interval at a time, until every id is acked (or a minute of simulated time).
    for (let t = 0; ![...Array(total).keys()].every((id) => ledger.acks.has(id)); t += 5) {
      if (t > 60_000) throw new Error(`${total} acks: not after 60 s of simulated time`);
      await cluster.advanceTime(5);
    }
    // Nothing acked twice later.
    await cluster.advanceTime(100);
    return ledger;
  }

  it('acks every spout tuple exactly once, after it left the window and its window result was acked', async () => {
    const ledger = await runLedger('ack-once', { triple: false });
    for (let id = 0; id < 3000; id++) expect(ledger.acks.get(id), `acks of ${id}`).toBe(1);
    expect(ledger.fails.size).toBe(0);
    expect(ledger.acks.has(3000)).toBe(false); // the closing tuple waits in its window
  });

  it('acks exactly once when window tuples share roots (anchored splits upstream)', async () => {
    const ledger = await runLedger('shared-roots', { triple: true });
    for (let id = 0; id < 3000; id++) expect(ledger.acks.get(id), `acks of ${id}`).toBe(1);
    expect(ledger.fails.size).toBe(0);
  });

  it('a failed window result fails the roots of that window’s new tuples; their replays are late and acked', async () => {
    const ledger = await runLedger('fail-result', { triple: false, failIf: (end) => end === 1000 });
    // The window ending at 1000 holds (800, 1000]; its new tuples are 951..1000.
    const failed = [...ledger.fails.keys()].sort((a, b) => a - b);
    expect(failed).toEqual(Array.from({ length: 50 }, (_, i) => 951 + i));
    for (let id = 0; id < 3000; id++) expect(ledger.acks.get(id), `acks of ${id}`).toBe(1);
    expect(windowTask('fail-result').lateTuples).toBe(50);
  });
});

describe('the example topologies', () => {
  it('login-alerts: three failed logins within five minutes of event time, whatever the arrival order', async () => {
    const feeder = new FeederSpout(['user', 'success', 'ts']);
    const capture = new CaptureBolt();
    const topology = loginAlerts().withComponent('logins', feeder).withComponent('print', capture);
    const at = (hh: number, mm: number, ss = 0) => Date.UTC(2026, 10, 21, hh, mm, ss);
    const events: [string, boolean, number][] = [
      ['eve', false, at(8, 0)],
      ['ada', false, at(8, 0, 10)],
      ['bob', false, at(8, 0)], // 10 s out of order (within the 30 s lag)
      ['eve', false, at(8, 2)],
      ['bob', false, at(8, 3)],
      ['ada', true, at(8, 3, 5)],
      ['eve', false, at(8, 4, 59)], // third failure in 4:59: alert
      ['bob', false, at(8, 5)], // 8:00 to 8:05 is not *within* five minutes: no alert
      ['ada', false, at(8, 4, 50)], // out of order; ada has two failures only
      ['bob', false, at(8, 6)], // 8:03, 8:05, 8:06: alert
    ];
    // Every user moves to 9:00, so the watermark of every task passes the windows above.
    for (const user of ['ada', 'bob', 'eve', 'zed']) events.push([user, true, at(9, 0)]);
    events.forEach((e, i) => feeder.feed(e, i));
    cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology('logins', {}, topology);
    await cluster.advanceTime(0);
    expect(capture.captured.get('alerts')).toEqual([]);
    // One watermark interval (200 ms) closes every window; four more add nothing.
    await cluster.advanceTime(1000);
    const alerts = capture.captured.get('alerts').map(([user, n, first, last]) => [user, n, new Date(first as number).toISOString().slice(11, 19), new Date(last as number).toISOString().slice(11, 19)]);
    expect(alerts.sort()).toEqual([
      ['bob', 3, '08:03:00', '08:06:00'],
      ['eve', 3, '08:00:00', '08:04:59'],
    ]);
  });

  it('trending-topics: ranks the hashtags of each event-time window', async () => {
    const feeder = new FeederSpout(['tag', 'ts']);
    const capture = new CaptureBolt();
    const topology = trendingTopics().withComponent('hashtags', feeder).withComponent('print', capture);
    const t0 = Date.UTC(2026, 10, 21, 12, 0, 0);
    const feed: [string, number][] = [
      ['#a', 1000],
      ['#b', 2000],
      ['#a', 9000],
      ['#c', 8000],
      ['#a', 12_000],
      ['#b', 15_000],
      ['#b', 16_000],
      ['#b', 40_000],
    ];
    feed.forEach(([tag, dt], i) => feeder.feed([tag, t0 + dt], i));
    cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology('trending', {}, topology);
    await cluster.advanceTime(0);
    expect(capture.captured.get('trending')).toEqual([]);
    // Watermark 35 s at the first interval (250 ms): windows ending at 10, 20 and 30 s close; later intervals add none.
    await cluster.advanceTime(1000);
    expect(capture.captured.get('trending').map(([start, end, top]) => [(start as number) - t0, (end as number) - t0, top])).toEqual([
      [-50_000, 10_000, ['#a=2', '#b=1', '#c=1']],
      [-40_000, 20_000, ['#a=3', '#b=3', '#c=1']],
      [-30_000, 30_000, ['#a=3', '#b=3', '#c=1']],
    ]);
  });
});
