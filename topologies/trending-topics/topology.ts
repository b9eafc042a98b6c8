/**
 * Trending topics: hashtags with event timestamps, some arriving out of order, counted over a
 * sliding event-time window (60 s long, every 10 s, 5 s of allowed lateness); the top hashtags of
 * every window are printed. Tuples later than the lag go to a late-tuple stream and are counted.
 *
 *   squall local topologies/trending-topics/topology.ts --duration 5
 *
 * The spout replays a feed 20 times faster than real time, so windows close within seconds.
 */
import {
  BaseBasicBolt,
  BaseRichSpout,
  BaseWindowedBolt,
  Duration,
  TopologyBuilder,
  lateTupleOf,
  type OutputFieldsDeclarer,
  type Tuple,
  type TupleWindow,
} from 'squall';

const TAGS = ['#storm', '#typescript', '#streaming', '#nodejs', '#kafka', '#rust', '#flink', '#zeromq', '#nats', '#redis', '#golang', '#python'];
/** Event seconds per wall second. */
const SPEEDUP = 20;
const TUPLES_PER_SECOND = 2000;
const FEED_START = Date.UTC(2026, 10, 21, 12, 0, 0);

/** A seeded generator, so every run sees the same feed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

/**
 * Hashtags whose popularity drifts over event time (each tag peaks at its own phase). About 5% of
 * events arrive delayed by up to 8 s of event time, some beyond the bolt's lag: those are late.
 * Tracked: failed tuples are replayed.
 */
export class HashtagSpout extends BaseRichSpout {
  private readonly random = lcg(42);
  private startedAt = -1;
  private emitted = 0;
  private seq = 0;
  private readonly delayed: { values: [string, number]; dueAt: number }[] = [];
  private readonly inFlight = new Map<number, [string, number]>();
  private readonly replay: number[] = [];

  nextTuple(): void {
    const replayId = this.replay.shift();
    if (replayId !== undefined) {
      const values = this.inFlight.get(replayId);
      if (values !== undefined) this.collector.emit(values, replayId);
      return;
    }
    const now = performance.now();
    if (this.startedAt < 0) this.startedAt = now;
    if (this.emitted >= ((now - this.startedAt) * TUPLES_PER_SECOND) / 1000) return;
    this.emitted++;
    const eventTime = FEED_START + Math.floor(((now - this.startedAt) * SPEEDUP));
    const due = this.delayed[0];
    if (due !== undefined && due.dueAt <= eventTime) {
      this.delayed.shift();
      this.send(due.values);
    }
    const values: [string, number] = [this.pickTag(eventTime), eventTime];
    if (this.random() < 0.05) {
      // Held back: emitted later, with its original timestamp.
      this.delayed.push({ values, dueAt: eventTime + this.random() * 8000 });
      this.delayed.sort((a, b) => a.dueAt - b.dueAt);
      return;
    }
    this.send(values);
  }

  private send(values: [string, number]): void {
    const id = this.seq++;
    this.inFlight.set(id, values);
    this.collector.emit(values, id);
  }

  private pickTag(eventTime: number): string {
    const minute = (eventTime - FEED_START) / 60_000;
    const weights = TAGS.map((_, i) => 1 + Math.max(0, Math.sin(minute * 1.5 + i * 0.9)) ** 4 * 8);
    let r = this.random() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < TAGS.length; i++) {
      r -= weights[i] ?? 0;
      if (r <= 0) return TAGS[i] ?? '#storm';
    }
    return TAGS[TAGS.length - 1] ?? '#storm';
  }

  override ack(id: unknown): void {
    this.inFlight.delete(id as number);
  }

  override fail(id: unknown): void {
    this.replay.push(id as number);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['tag', 'ts']);
  }
}

/**
 * Counts hashtags incrementally (new tuples in, expired tuples out) and emits the top N of each
 * window: [start, end, rankings], rankings as "tag=count" strings.
 */
export class TopHashtags extends BaseWindowedBolt {
  private readonly counts = new Map<string, number>();

  constructor(private readonly n: number) {
    super();
  }

  execute(window: TupleWindow): void {
    for (const t of window.getNew()) {
      const tag = t.getStringByField('tag');
      this.counts.set(tag, (this.counts.get(tag) ?? 0) + 1);
    }
    for (const t of window.getExpired()) {
      const tag = t.getStringByField('tag');
      const left = (this.counts.get(tag) ?? 0) - 1;
      if (left > 0) this.counts.set(tag, left);
      else this.counts.delete(tag);
    }
    const top = [...this.counts]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, this.n)
      .map(([tag, count]) => `${tag}=${count}`);
    this.collector.emit([window.startTimestamp ?? window.endTimestamp, window.endTimestamp, top]);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['start', 'end', 'top']);
  }
}

const time = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/** Prints each window's rankings, and the late tuples. */
export class Printer extends BaseBasicBolt {
  private late = 0;

  execute(input: Tuple): void {
    if (input.sourceStreamId === 'late') {
      const late = lateTupleOf(input);
      this.late++;
      if (this.late <= 3 || this.late % 50 === 0) {
        process.stderr.write(`late: ${JSON.stringify(late.values[0])} at ${time(late.timestamp)} (watermark ${time(late.watermark)}); ${this.late} so far\n`);
      }
      return;
    }
    const top = input.getValueByField('top') as string[];
    process.stderr.write(`trending (${time(input.getNumberByField('start'))}, ${time(input.getNumberByField('end'))}]: ${top.join(' ')}\n`);
  }
}

export default function trendingTopics() {
  const builder = new TopologyBuilder();
  builder.setSpout('hashtags', HashtagSpout);
  builder
    .setBolt(
      'trending',
      new TopHashtags(5)
        .withWindow(Duration.ofSeconds(60), Duration.ofSeconds(10))
        .withTimestampField('ts')
        .withLag(Duration.ofSeconds(5))
        .withWatermarkInterval(250)
        .withLateTupleStream('late'),
    )
    .globalGrouping('hashtags');
  builder.setBolt('print', Printer).globalGrouping('trending').globalGrouping('trending', 'late');
  // Tuples are acked when they leave the window: the timeout must outlast window + slide + lag
  // (in event time; this feed runs faster than real time, a live one would not). Windows hold
  // their tuples until the watermark passes, which stops with the spout: do not wait for them
  // to drain on kill.
  return builder.createTopology({ 'topology.message.timeout.secs': 90, 'topology.kill.wait.ms': 500 });
}
