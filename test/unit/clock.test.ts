import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'squall/testing';

describe('SimulatedClock', () => {
  it('stands still until advanced, then fires timers in time order, each at its own time', async () => {
    const clock = new SimulatedClock(0);
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 200);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 100);
    clock.setTimeout(() => fired.push(['c', clock.now()]), 200);
    await new Promise((r) => setTimeout(r, 20));
    expect(clock.now()).toBe(0);
    expect(fired).toEqual([]);
    await clock.advanceTime(150);
    expect(fired).toEqual([['a', 100]]);
    expect(clock.now()).toBe(150);
    await clock.advanceTime(50);
    // Same due time: creation order.
    expect(fired).toEqual([['a', 100], ['b', 200], ['c', 200]]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('repeats intervals once per period, and cancels what is cleared', async () => {
    const clock = new SimulatedClock(0);
    const at: number[] = [];
    const every = clock.setInterval(() => at.push(clock.now()), 30);
    const never = clock.setTimeout(() => at.push(-1), 50);
    clock.clear(never);
    await clock.advanceTime(100);
    expect(at).toEqual([30, 60, 90]);
    clock.clear(every);
    await clock.advanceTime(1000);
    expect(at).toEqual([30, 60, 90]);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('fires a timer that is already due without being advanced, as a real clock would', async () => {
    const clock = new SimulatedClock(0);
    let fired = false;
    clock.setTimeout(() => (fired = true), 0);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(fired).toBe(true);
    expect(clock.now()).toBe(0);
  });

  it('lets what runs on it settle after every timer it fires', async () => {
    const clock = new SimulatedClock(0);
    const log: string[] = [];
    let work = 0;
    clock.join({
      settle: async () => {
        // Work a timer started finishes before time moves on.
        while (work > 0) {
          await new Promise((r) => setImmediate(r));
          work--;
          log.push(`done@${clock.now()}`);
        }
      },
    });
    clock.setTimeout(() => {
      log.push('t1');
      work = 2;
    }, 10);
    clock.setTimeout(() => log.push('t2'), 10);
    await clock.advanceTime(10);
    expect(log).toEqual(['t1', 'done@10', 'done@10', 't2']);
  });

  it('keeps the time of each clock apart', async () => {
    const a = new SimulatedClock(0);
    const b = new SimulatedClock(0);
    await a.advanceTime(5000);
    expect(a.now()).toBe(5000);
    expect(b.now()).toBe(0);
  });

  it('refuses to go backwards or by a non-number, naming the value', async () => {
    const clock = new SimulatedClock(0);
    await expect(clock.advanceTime(-1)).rejects.toThrow(/advanceTime: expected a finite number of milliseconds >= 0, got -1/);
    await expect(clock.advanceTime(Number.NaN)).rejects.toMatchObject({ code: 'SIMULATED_TIME' });
    expect(clock.now()).toBe(0);
  });
});
