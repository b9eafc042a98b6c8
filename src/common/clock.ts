import { SquallError } from './errors.js';

/**
 * The time the runtime runs on (Storm's `Time`). Every timer of a topology (message timeouts, tick
 * tuples, window and watermark intervals, checkpoints, Trident batch intervals) and of the daemons
 * (heartbeats, backoff, leases) goes through one of these, so that tests can swap the real clock
 * for a {@link SimulatedClock} and move time themselves.
 */
export interface Clock {
  /** True for a simulated clock: time moves only when a test advances it. */
  readonly simulated: boolean;
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number;
  /** Monotonic milliseconds with sub-millisecond resolution, as `performance.now()`: for intervals and latencies. */
  hrNow(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  setInterval(fn: () => void, ms: number): Timer;
  /** Cancels a timeout or an interval; `undefined` and timers already done are ignored. */
  clear(timer: Timer | undefined): void;
}

/** A scheduled timer. `unref()` lets the process exit while the timer waits (no-op when simulated). */
export interface Timer {
  unref(): Timer;
}

/** The wall clock and Node's timers. */
export const realClock: Clock = {
  simulated: false,
  now: () => Date.now(),
  hrNow: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clear: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};

class SimulatedTimer implements Timer {
  cancelled = false;

  constructor(
    public at: number,
    readonly seq: number,
    readonly fn: () => void,
    /** Period of an interval; 0 for a timeout. */
    readonly every: number,
  ) {}

  unref(): Timer {
    return this;
  }
}

/** Something that runs on a simulated clock: `settle` resolves once it has nothing left to do at the current time. */
export interface ClockParticipant {
  settle(): Promise<void>;
}

/** 2001-09-09T01:46:40Z: a fixed, realistic epoch, so runs repeat exactly. */
const DEFAULT_START_MS = 1_000_000_000_000;

/**
 * Time that only a test moves (Storm's simulated `Time`): `now()` stays put until
 * {@link advanceTime}, which fires the timers that fall due, in order, and lets everything that
 * runs on the clock (the topologies of a `LocalCluster`) settle after each one. Timers already due
 * (a timeout of 0) fire soon on their own, as they would with the real clock.
 *
 * Each `LocalCluster({ simulatedTime: true })` has its own; two never share time.
 */
export class SimulatedClock implements Clock {
  readonly simulated = true;
  private current: number;
  private seq = 0;
  /** Waiting timers, sorted by due time, then by creation. */
  private timers: SimulatedTimer[] = [];
  private readonly participants = new Set<ClockParticipant>();
  private dueQueued = false;
  private advancing: Promise<void> = Promise.resolve();

  constructor(startMs: number = DEFAULT_START_MS) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  hrNow(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.add(fn, ms, 0);
  }

  setInterval(fn: () => void, ms: number): Timer {
    // A zero period would fire forever at one instant.
    return this.add(fn, ms, Math.max(1, ms));
  }

  clear(timer: Timer | undefined): void {
    if (!(timer instanceof SimulatedTimer) || timer.cancelled) return;
    timer.cancelled = true;
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** When the next timer falls due, or `undefined` when none waits. */
  nextTimerAt(): number | undefined {
    return this.timers[0]?.at;
  }

  /** Registers something that runs on this clock; returns the call that removes it. */
  join(participant: ClockParticipant): () => void {
    this.participants.add(participant);
    return () => this.participants.delete(participant);
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due in order, each at its own time,
   * and waiting after each for the participants to settle. Calls made while one runs wait their turn.
   */
  advanceTime(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) {
      return Promise.reject(new SquallError('SIMULATED_TIME', `advanceTime: expected a finite number of milliseconds >= 0, got ${String(ms)}`));
    }
    const run = this.advancing.then(() => this.advanceNow(ms));
    this.advancing = run.catch(() => undefined);
    return run;
  }

  /** Fires the timers due now and waits until every participant has settled. */
  settle(): Promise<void> {
    const run = this.advancing.then(() => this.settleNow());
    this.advancing = run.catch(() => undefined);
    return run;
  }

  private async advanceNow(ms: number): Promise<void> {
    const target = this.current + ms;
    await this.settleNow();
    for (let t = this.timers[0]; t !== undefined && t.at <= target; t = this.timers[0]) {
      this.current = Math.max(this.current, t.at);
      this.fire(t);
      await this.settleNow();
    }
    this.current = target;
    await this.settleNow();
  }

  /** Settles the participants, then fires the next timer due now and settles again, until none is due. */
  private async settleNow(): Promise<void> {
    for (;;) {
      for (const p of [...this.participants]) await p.settle();
      const head = this.timers[0];
      if (head === undefined || head.at > this.current) return;
      this.fire(head);
    }
  }

  private add(fn: () => void, ms: number, every: number): SimulatedTimer {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const t = new SimulatedTimer(this.current + delay, this.seq++, fn, every);
    this.insert(t);
    if (delay === 0) this.queueDue();
    return t;
  }

  private insert(t: SimulatedTimer): void {
    const list = this.timers;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = list[mid] as SimulatedTimer;
      if (m.at < t.at || (m.at === t.at && m.seq < t.seq)) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, t);
  }

  /** A timer due at the current time fires on the next turn of the event loop, as a real one would. */
  private queueDue(): void {
    if (this.dueQueued) return;
    this.dueQueued = true;
    setImmediate(() => {
      this.dueQueued = false;
      this.fireDue();
    });
  }

  private fireDue(): void {
    for (let t = this.timers[0]; t !== undefined && t.at <= this.current; t = this.timers[0]) this.fire(t);
  }

  private fire(t: SimulatedTimer): void {
    this.timers.shift();
    if (t.every > 0) {
      t.at += t.every;
      this.insert(t);
    } else {
      t.cancelled = true;
    }
    t.fn();
  }
}
