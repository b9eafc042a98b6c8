import { realClock, type Clock, type Timer } from './clock.js';
import { SquallError, describe } from './errors.js';

/**
 * A daemon's periodic work: runs `work` every `periodMs`, never two runs at once, each run bounded
 * by a deadline so one call that never answers cannot stall the loop; failures go to `onError`.
 * `runNow` starts a run at once (or joins the one in progress).
 */
export class PeriodicTask {
  private timer: Timer | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly periodMs: number,
    private readonly onError: (message: string) => void,
    private readonly deadlineMs = 20_000,
    private readonly clock: Clock = realClock,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Runs once now, then every period. */
  async start(): Promise<void> {
    await this.runNow();
    if (!this.stopped) this.timer = this.clock.setInterval(() => void this.runNow(), this.periodMs);
  }

  runNow(): Promise<void> {
    if (this.running !== undefined || this.stopped) return this.running ?? Promise.resolve();
    this.running = withDeadline(this.work(), this.deadlineMs, 'a periodic run', this.clock)
      .catch((err: unknown) => this.onError(describe(err)))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** No more runs; resolves when the one in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clear(this.timer);
    await this.running;
  }
}

/**
 * Rejects when `promise` has not settled within `ms` (the call itself is left to finish or fail).
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string, clock: Clock = realClock): Promise<T> {
  let timer: Timer | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(new SquallError('TIMEOUT', `${what} did not finish within ${ms / 1000} s`)), ms).unref();
  });
  return Promise.race([promise, deadline]).finally(() => clock.clear(timer));
}
