/**
 * Login alerts: login events (user, success, event time) arrive out of order; a user with three
 * failed logins within five minutes of event time raises an alert, whatever order the events
 * arrived in.
 *
 *   squall local topologies/login-alerts/topology.ts --duration 5
 *
 * The spout replays logins 120 times faster than real time (two event minutes per second).
 */
import {
  BaseBasicBolt,
  BaseRichSpout,
  BaseWindowedBolt,
  Duration,
  TopologyBuilder,
  type OutputFieldsDeclarer,
  type Tuple,
  type TupleWindow,
} from 'squall';

const FIVE_MINUTES = 5 * 60_000;
const SLIDE = 30_000;
/** Event ms per wall ms. */
const SPEEDUP = 120;
const EVENTS_PER_SECOND = 80;
const START = Date.UTC(2026, 10, 21, 8, 0, 0);
const USERS = ['ada', 'bob', 'cyd', 'dee', 'eve', 'fay', 'gus', 'hal'];
/** These two occasionally have their passwords guessed at. */
const TARGETS = new Set(['eve', 'hal']);

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

/**
 * Login events: ordinary users fail 2% of the time; now and then a target gets a burst of two to
 * five failures 40 to 100 s apart. Events are shuffled in a small buffer before they are emitted,
 * so they arrive out of order by several seconds of event time. Tracked, with replay on fail.
 */
export class LoginSpout extends BaseRichSpout {
  private readonly random = lcg(7);
  private startedAt = -1;
  private generated = 0;
  private seq = 0;
  private readonly shuffle: [string, boolean, number][] = [];
  private readonly inFlight = new Map<number, [string, boolean, number]>();
  private readonly replay: number[] = [];
  private burst: { user: string; left: number; next: number } | undefined;

  nextTuple(): void {
    const replayId = this.replay.shift();
    if (replayId !== undefined) {
      const values = this.inFlight.get(replayId);
      if (values !== undefined) this.collector.emit(values, replayId);
      return;
    }
    const now = performance.now();
    if (this.startedAt < 0) this.startedAt = now;
    if (this.generated >= ((now - this.startedAt) * EVENTS_PER_SECOND) / 1000) return;
    this.generated++;
    const eventTime = START + Math.floor((now - this.startedAt) * SPEEDUP);
    this.shuffle.push(this.nextEvent(eventTime));
    if (this.shuffle.length < 4) return;
    // Emit a random buffered event: arrival order differs from event order.
    const i = Math.floor(this.random() * this.shuffle.length);
    const [event] = this.shuffle.splice(i, 1);
    if (event === undefined) return;
    const id = this.seq++;
    this.inFlight.set(id, event);
    this.collector.emit(event, id);
  }

  private nextEvent(eventTime: number): [string, boolean, number] {
    if (this.burst === undefined && this.random() < 0.01) {
      const user = [...TARGETS][Math.floor(this.random() * TARGETS.size)] ?? 'eve';
      this.burst = { user, left: 2 + Math.floor(this.random() * 4), next: eventTime };
    }
    const b = this.burst;
    if (b !== undefined && eventTime >= b.next) {
      b.left--;
      b.next = eventTime + 40_000 + this.random() * 60_000;
      if (b.left <= 0) this.burst = undefined;
      return [b.user, false, eventTime];
    }
    const user = USERS[Math.floor(this.random() * USERS.length)] ?? 'ada';
    return [user, this.random() >= 0.02, eventTime];
  }

  override ack(id: unknown): void {
    this.inFlight.delete(id as number);
  }

  override fail(id: unknown): void {
    this.replay.push(id as number);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['user', 'success', 'ts']);
  }
}

/**
 * Looks at windows of five minutes plus a slide, every slide. For each new failed login, counts
 * the user's failures in the five minutes up to it: three or more raise an alert. The window is a
 * slide longer than five minutes so that those five minutes are always inside it, and only new
 * failures are checked, so each failure is judged once, in the first window that holds it.
 */
export class FailedLoginAlerts extends BaseWindowedBolt {
  constructor(private readonly threshold: number) {
    super();
  }

  execute(window: TupleWindow): void {
    const failures = new Map<string, number[]>();
    for (const t of window.get()) {
      if (t.getValueByField('success') === true) continue;
      const user = t.getStringByField('user');
      let list = failures.get(user);
      if (list === undefined) failures.set(user, (list = []));
      list.push(t.getNumberByField('ts')); // in timestamp order: the window is sorted
    }
    const alerted = new Set<string>();
    const fresh = window.getNew();
    for (let i = fresh.length - 1; i >= 0; i--) {
      const t = fresh[i] as Tuple;
      const user = t.getStringByField('user');
      if (t.getValueByField('success') === true || alerted.has(user)) continue;
      const at = t.getNumberByField('ts');
      const recent = (failures.get(user) ?? []).filter((ts) => ts > at - FIVE_MINUTES && ts <= at);
      if (recent.length >= this.threshold) {
        alerted.add(user);
        this.collector.emit([user, recent.length, recent[0] ?? at, at]);
      }
    }
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['user', 'failures', 'first', 'last']);
  }
}

const time = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

export class AlertPrinter extends BaseBasicBolt {
  execute(input: Tuple): void {
    process.stderr.write(
      `ALERT ${input.getStringByField('user')}: ${input.getNumberByField('failures')} failed logins between ${time(input.getNumberByField('first'))} and ${time(input.getNumberByField('last'))}\n`,
    );
  }
}

export default function loginAlerts() {
  const builder = new TopologyBuilder();
  builder.setSpout('logins', LoginSpout);
  builder
    .setBolt(
      'alerts',
      new FailedLoginAlerts(3)
        .withWindow(Duration.ofMillis(FIVE_MINUTES + SLIDE), Duration.ofMillis(SLIDE))
        .withTimestampField('ts')
        .withLag(Duration.ofSeconds(30))
        .withWatermarkInterval(200),
      2,
    )
    .fieldsGrouping('logins', ['user']);
  builder.setBolt('print', AlertPrinter).globalGrouping('alerts');
  // Tuples are acked when they leave the window (5.5 min + 30 s slide + 30 s lag of event time);
  // and windows do not drain once the spout stops, so kill does not wait for them.
  return builder.createTopology({ 'topology.message.timeout.secs': 420, 'topology.kill.wait.ms': 500 });
}
