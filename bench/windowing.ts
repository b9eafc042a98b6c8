/**
 * Event-time sliding window count in local mode: a spout emitting [key, ts] with timestamps that
 * advance with emission (`perMs` tuples per event-time millisecond, 1% of them late by up to
 * half the lag), a windowed bolt counting each 10 s window sliding by 1 s with a 1 s lag
 * (incrementally, through getNew/getExpired), and a sink. Prints one JSON line:
 * {"name", "tuples_per_s", "p50_ms", "p99_ms", "rss_mb", ...}.
 *
 *   node --max-semi-space-size=64 --import tsx bench/windowing.ts [acked|unacked] [seconds] [perMs]
 *
 * Throughput counts tuples into the windowed bolt (acked: tuples acked at the spout). Latency is
 * the window result latency: from the emit of the first tuple whose timestamp lets the watermark
 * pass a window's end (end + lag) to the sink receiving that window's count; it includes the
 * wait for the next watermark tick (interval 100 ms here).
 */
import {
  BaseRichBolt,
  BaseRichSpout,
  BaseWindowedBolt,
  Duration,
  LocalCluster,
  TopologyBuilder,
  type OutputFieldsDeclarer,
  type Tuple,
  type TupleWindow,
} from '../src/index.js';
import { measure } from './harness.js';
import { LatencyHistogram } from '../src/internal.js';

const WINDOW_MS = 10_000;
const SLIDE_MS = 1000;
const LAG_MS = 1000;
const WATERMARK_INTERVAL_MS = 100;
const RING = 1 << 21;

/** Shared by the spout and the sink (class instances are shared between task copies, not copied). */
class Clock {
  /** Wall time (performance.now) at which the first tuple of each event-time ms was emitted. */
  readonly emittedAt = new Float64Array(RING);
  readonly latency = new LatencyHistogram();
  measuring = false;
  windows = 0;
  wrongCounts = 0;
}

class TimestampSpout extends BaseRichSpout {
  private seq = 0;
  private readonly start = 1_700_000_000_000;
  private lastMs = -1;
  private readonly values: [string, number] = ['k', 0];

  constructor(
    private readonly clock: Clock,
    private readonly tracked: boolean,
    private readonly perMs: number,
  ) {
    super();
  }

  nextTuple(): void {
    // A batch per call: the spout executor calls nextTuple in a loop anyway.
    for (let i = 0; i < 64; i++) {
      const n = this.seq++;
      const eventMs = Math.floor(n / this.perMs);
      if (eventMs !== this.lastMs) {
        this.lastMs = eventMs;
        this.clock.emittedAt[eventMs & (RING - 1)] = performance.now();
      }
      // 1 in 100 arrives up to half the lag late: out of order, but not late for the watermark.
      const disorder = n % 100 === 0 ? (n % 500) : 0;
      const values = [this.values[0], this.start + eventMs - disorder];
      if (this.tracked) this.collector.emit(values, n);
      else this.collector.emit(values);
    }
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['key', 'ts']);
  }
}

/** Counts the window incrementally: + new, - expired; checks it against the window's size. */
class SlidingCount extends BaseWindowedBolt {
  private count = 0;

  execute(w: TupleWindow): void {
    this.count += w.getNew().length - w.getExpired().length;
    this.collector.emit([w.endTimestamp, this.count, w.size]);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['end', 'count', 'size']);
  }
}

class Sink extends BaseRichBolt {
  constructor(private readonly clock: Clock) {
    super();
  }

  execute(t: Tuple): void {
    const c = this.clock;
    c.windows++;
    if (t.getNumber(1) !== t.getNumber(2)) c.wrongCounts++;
    if (c.measuring) {
      const closer = t.getNumber(0) + LAG_MS - 1_700_000_000_000;
      const at = c.emittedAt[closer & (RING - 1)] as number;
      if (at > 0) c.latency.record(performance.now() - at);
    }
    this.collector.ack(t);
  }
}

async function run(mode: string, seconds: number, perMs: number): Promise<Record<string, unknown>> {
  const tracked = mode === 'acked';
  const clock = new Clock();
  const b = new TopologyBuilder();
  b.setSpout('spout', new TimestampSpout(clock, tracked, perMs));
  b.setBolt(
    'window',
    new SlidingCount()
      .withWindow(Duration.ofMillis(WINDOW_MS), Duration.ofMillis(SLIDE_MS))
      .withTimestampField('ts')
      .withLag(LAG_MS)
      .withWatermarkInterval(WATERMARK_INTERVAL_MS),
  ).localOrShuffleGrouping('spout');
  b.setBolt('sink', new Sink(clock)).localOrShuffleGrouping('window');
  // Acked: a tuple stays pending for its window (10 s of event time = 10 * perMs K tuples), the
  // lag and a watermark interval; max pending leaves room for that.
  const config = tracked
    ? { 'topology.acker.executors': 1, 'topology.max.spout.pending': 40 * perMs * 1000 }
    : { 'topology.acker.executors': 0 };
  const cluster = new LocalCluster();
  const name = `windowing-${mode}`;
  await cluster.submitTopology(name, config, b.createTopology());
  const read = (): number => {
    const c = cluster.getTopologySummary(name).components;
    return (tracked ? c.spout?.acked : c.window?.executed) ?? 0;
  };
  const m = await measure(seconds, read, () => (clock.measuring = true));
  let lateTuples = 0;
  for (const e of cluster.getRuntime(name).executors) {
    if (e.component !== 'window') continue;
    for (const t of e.tasks) lateTuples += (t as unknown as { bolt: { lateTuples: number } }).bolt.lateTuples;
  }
  const errors = cluster.getTopologySummary(name).errors.length;
  await cluster.killTopology(name, { waitMs: 0 });
  const r = (x: number): number => Math.round(x * 100) / 100;
  return {
    name: `windowing-event-time-sliding-count-${mode}`,
    tuples_per_s: Math.round(m.count / m.elapsedSecs),
    p50_ms: clock.latency.count > 0 ? r(clock.latency.percentile(0.5)) : null,
    p99_ms: clock.latency.count > 0 ? r(clock.latency.percentile(0.99)) : null,
    rss_mb: m.rssMb,
    seconds: Math.round(m.elapsedSecs * 10) / 10,
    tuples_per_window: WINDOW_MS * perMs,
    windows: clock.windows,
    wrong_counts: clock.wrongCounts,
    late_tuples: lateTuples,
    errors,
  };
}

const [mode = 'unacked', secs = '15', perMs = '10'] = process.argv.slice(2);
if (mode !== 'acked' && mode !== 'unacked') throw new Error(`mode must be 'acked' or 'unacked', got '${mode}'`);
console.log(JSON.stringify(await run(mode, Number(secs), Number(perMs))));
process.exit(0);
