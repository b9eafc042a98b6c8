import { describe, expect, it } from 'vitest';
import { WindowState, type WindowEngineOptions, type WindowView } from 'squall/internal';

interface Seen {
  all: number[];
  fresh: number[];
  expired: number[];
  start: number | undefined;
  end: number;
}

/** An engine over numbers (the item is its own timestamp unless told otherwise), recording everything. */
function engine(options: WindowEngineOptions) {
  const windows: Seen[] = [];
  const acked: number[] = [];
  const state = new WindowState<number>(options, {
    onWindow: (w: WindowView<number>) =>
      windows.push({ all: [...w.get()], fresh: [...w.getNew()], expired: [...w.getExpired()], start: w.startTimestamp, end: w.endTimestamp }),
    onExpire: (item) => acked.push(item),
  });
  return { state, windows, acked };
}

const ms = (n: number) => ({ ms: n });
const count = (n: number) => ({ count: n });

describe('event-time windows', () => {
  it('computes sliding time windows over out-of-order input exactly', () => {
    const { state, windows, acked } = engine({ length: ms(10), slide: ms(5), eventTime: true });
    for (const ts of [1, 7, 3, 12, 9, 15, 21, 18]) state.add(ts, ts);
    state.advance(25);
    // Windows end on multiples of 5 and hold (end - 10, end]; the first ends at the first multiple
    // at or above the earliest timestamp.
    expect(windows).toEqual([
      { all: [1, 3], fresh: [1, 3], expired: [], start: -5, end: 5 },
      { all: [1, 3, 7, 9], fresh: [7, 9], expired: [], start: 0, end: 10 },
      { all: [7, 9, 12, 15], fresh: [12, 15], expired: [1, 3], start: 5, end: 15 },
      { all: [12, 15, 18], fresh: [18], expired: [7, 9], start: 10, end: 20 },
      { all: [18, 21], fresh: [21], expired: [12, 15], start: 15, end: 25 },
    ]);
    // After window 25 the next starts after 20: 18 is done at once, 21 waits.
    expect(acked).toEqual([1, 3, 7, 9, 12, 15, 18]);
    expect(state.live).toBe(1);
  });

  it('closes only windows whose end the watermark has reached', () => {
    const { state, windows } = engine({ length: ms(10), slide: ms(10), eventTime: true });
    for (const ts of [2, 9, 10, 11]) state.add(ts, ts);
    state.advance(9);
    expect(windows).toEqual([]);
    state.advance(10);
    // A tuple exactly at the end belongs to the window ending there, not to the next one.
    expect(windows.map((w) => w.all)).toEqual([[2, 9, 10]]);
    state.advance(19);
    expect(windows).toHaveLength(1);
    state.add(20, 20);
    state.advance(20);
    expect(windows.map((w) => w.all)).toEqual([[2, 9, 10], [11, 20]]);
  });

  it('refuses a tuple at or below the watermark', () => {
    const { state } = engine({ length: ms(10), slide: ms(10), eventTime: true });
    state.add(5, 5);
    state.advance(12);
    expect(() => state.add(12, 12)).toThrow(/at or below the watermark 12/);
    state.add(13, 13);
  });

  it('skips empty windows, also across a long gap, without evaluating them', () => {
    const { state, windows, acked } = engine({ length: ms(10), slide: ms(5), eventTime: true });
    for (const ts of [1, 2, 1_000_000]) state.add(ts, ts);
    state.advance(2_000_000);
    expect(windows.map((w) => w.end)).toEqual([5, 10, 1_000_000, 1_000_005]);
    expect(windows.map((w) => w.all)).toEqual([[1, 2], [1, 2], [1_000_000], [1_000_000]]);
    // Expired tuples skipped over an empty window are reported by the next window that runs.
    expect(windows[2]?.expired).toEqual([1, 2]);
    expect(acked).toEqual([1, 2, 1_000_000]);
  });

  it('does not skip past the watermark: a tuple that arrives later still gets its window', () => {
    const { state, windows } = engine({ length: ms(10), slide: ms(10), eventTime: true });
    state.add(5, 5);
    state.add(155, 155);
    state.advance(100);
    expect(windows.map((w) => w.end)).toEqual([10]);
    state.add(120, 120); // above the watermark: not late
    state.advance(200);
    expect(windows.map((w) => [w.end, w.all])).toEqual([
      [10, [5]],
      [120, [120]],
      [160, [155]],
    ]);
  });

  it('keeps equal timestamps in arrival order', () => {
    const { state, windows } = engine({ length: ms(10), slide: ms(10), eventTime: true });
    const items = [101, 102, 103, 104];
    const stamps = [5, 3, 5, 3];
    items.forEach((item, i) => state.add(item, stamps[i]!));
    state.advance(10);
    expect(windows[0]?.all).toEqual([102, 104, 101, 103]);
  });

  it('count windows in event time count tuples in timestamp order as the watermark settles them', () => {
    const { state, windows, acked } = engine({ length: count(3), slide: count(2), eventTime: true });
    for (const ts of [4, 1, 3, 2, 9, 7]) state.add(ts, ts);
    state.advance(4);
    expect(windows.map((w) => w.all)).toEqual([[1, 2], [2, 3, 4]]);
    expect(windows.map((w) => w.end)).toEqual([2, 4]);
    expect(windows[1]?.fresh).toEqual([3, 4]);
    expect(windows[1]?.expired).toEqual([1]);
    state.advance(100);
    expect(windows.map((w) => w.all)).toEqual([[1, 2], [2, 3, 4], [4, 7, 9]]);
    // The next window holds the last 3 of 2 more tuples: 4 and 7 are done already.
    expect(acked).toEqual([1, 2, 3, 4, 7]);
  });

  it('count length with a time slide: the last N tuples at each end', () => {
    const { state, windows, acked } = engine({ length: count(2), slide: ms(10), eventTime: true });
    for (const ts of [1, 5, 8, 25]) state.add(ts, ts);
    state.advance(30);
    expect(windows.map((w) => [w.end, w.all, w.fresh, w.expired])).toEqual([
      [10, [5, 8], [5, 8], [1]],
      [20, [5, 8], [], []],
      [30, [8, 25], [25], [5]],
    ]);
    expect(windows[0]?.start).toBeUndefined();
    expect(acked).toEqual([1, 5]);
  });

  it('time length with a count slide: evaluates every N tuples, expires by the watermark', () => {
    const { state, windows, acked } = engine({ length: ms(10), slide: count(2), eventTime: true });
    for (const ts of [1, 3, 12, 14, 30]) state.add(ts, ts);
    state.advance(20);
    expect(windows.map((w) => [w.end, w.all, w.expired])).toEqual([
      [3, [1, 3], []],
      [14, [12, 14], [1, 3]],
    ]);
    expect(acked).toEqual([1, 3]);
    state.advance(40);
    // 30 alone does not trigger (slide 2); the next window ends above the watermark 40, so
    // it starts above 30: nothing buffered can be in it.
    expect(windows).toHaveLength(2);
    expect(acked).toEqual([1, 3, 12, 14, 30]);
  });

  it('matches a brute-force computation on random out-of-order input', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const [length, slide, lag] of [
      [100, 10, 30],
      [50, 50, 0],
      [30, 7, 15],
      [1000, 250, 100],
    ] as const) {
      const { state, windows, acked } = engine({ length: ms(length), slide: ms(slide), eventTime: true });
      const accepted: number[] = [];
      let maxTs = 0;
      let late = 0;
      // Items are ids; their timestamps drift forward with bounded disorder (sometimes beyond the lag).
      const tsOf = new Map<number, number>();
      for (let id = 0; id < 5000; id++) {
        const ts = Math.max(0, Math.floor(id * 0.7 + (rand() - 0.8) * lag * 1.3));
        tsOf.set(id, ts);
        maxTs = Math.max(maxTs, ts);
        if (ts <= state.watermark) {
          late++;
        } else {
          state.add(id, ts);
          accepted.push(id);
        }
        if (id % 37 === 0) state.advance(maxTs - lag);
      }
      state.advance(1e9);
      expect(late).toBeGreaterThan(0);
      // Expected: every window ending on a multiple of the slide with something in it, tuples in
      // timestamp order (arrival order for ties).
      const sorted = [...accepted].sort((a, b) => tsOf.get(a)! - tsOf.get(b)! || a - b);
      const expected: { end: number; all: number[] }[] = [];
      const first = Math.ceil(tsOf.get(sorted[0]!)! / slide) * slide;
      const last = tsOf.get(sorted[sorted.length - 1]!)! + length;
      for (let end = first; end <= last; end += slide) {
        const all = sorted.filter((id) => tsOf.get(id)! > end - length && tsOf.get(id)! <= end);
        if (all.length > 0) expected.push({ end, all });
      }
      expect(windows.map((w) => ({ end: w.end, all: w.all }))).toEqual(expected);
      // New = not in the previous window; every tuple acked exactly once, in timestamp order.
      for (let i = 1; i < windows.length; i++) {
        const prev = new Set(windows[i - 1]!.all);
        expect(windows[i]!.fresh).toEqual(windows[i]!.all.filter((id) => !prev.has(id)));
      }
      expect(acked).toEqual(sorted);
      expect(windows.flatMap((w) => w.expired)).toEqual(sorted.slice(0, windows.flatMap((w) => w.expired).length));
    }
  });
});

describe('processing-time and count windows', () => {
  it('sliding count windows close on arrival and expire what the next window drops', () => {
    const { state, windows, acked } = engine({ length: count(3), slide: count(2), eventTime: false });
    for (let i = 1; i <= 7; i++) state.add(i, 1000 + i);
    expect(windows.map((w) => [w.all, w.fresh, w.expired])).toEqual([
      [[1, 2], [1, 2], []],
      [[2, 3, 4], [3, 4], [1]],
      [[4, 5, 6], [5, 6], [2, 3]],
    ]);
    expect(windows.map((w) => w.end)).toEqual([1002, 1004, 1006]);
    // The next window (at 8) holds 6, 7, 8.
    expect(acked).toEqual([1, 2, 3, 4, 5]);
  });

  it('tumbling count windows ack their tuples as soon as they ran', () => {
    const { state, windows, acked } = engine({ length: count(3), slide: count(3), eventTime: false });
    for (let i = 1; i <= 7; i++) state.add(i, i);
    expect(windows.map((w) => w.all)).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(windows[1]?.expired).toEqual([1, 2, 3]);
    expect(acked).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a count of 1 slide evaluates on every tuple', () => {
    const { state, windows } = engine({ length: count(2), slide: count(1), eventTime: false });
    for (let i = 1; i <= 4; i++) state.add(i, i);
    expect(windows.map((w) => w.all)).toEqual([[1], [1, 2], [2, 3], [3, 4]]);
  });

  it('processing-time windows end on multiples of the slide, closed by advance(now - 1)', () => {
    const { state, windows, acked } = engine({ length: ms(100), slide: ms(100), eventTime: false });
    state.add(1, 1010);
    state.add(2, 1050);
    state.add(3, 1100);
    state.advance(1099);
    expect(windows).toEqual([]);
    state.add(4, 1120);
    state.advance(1100);
    expect(windows.map((w) => [w.start, w.end, w.all])).toEqual([[1000, 1100, [1, 2, 3]]]);
    expect(acked).toEqual([1, 2, 3]);
    state.advance(1500);
    expect(windows.map((w) => w.all)).toEqual([[1, 2, 3], [4]]);
  });

  it('a clock stepping back does not reorder arrivals', () => {
    const { state, windows } = engine({ length: ms(100), slide: ms(100), eventTime: false });
    state.add(1, 1050);
    state.add(2, 990);
    state.advance(1100);
    expect(windows.map((w) => w.all)).toEqual([[1, 2]]);
  });

  it('time length with a count slide in processing time expires idle tuples on advance', () => {
    const { state, windows, acked } = engine({ length: ms(100), slide: count(2), eventTime: false });
    state.add(1, 1000);
    state.add(2, 1010);
    state.add(3, 1020);
    expect(windows.map((w) => w.all)).toEqual([[1, 2]]);
    state.advance(1110);
    expect(acked).toEqual([1, 2]);
    state.advance(1200);
    expect(acked).toEqual([1, 2, 3]);
  });

  it('recycles its buffer: memory stays bounded over a long run', () => {
    const { state, windows, acked } = engine({ length: count(100), slide: count(10), eventTime: false });
    for (let i = 0; i < 200_000; i++) state.add(i, i);
    expect(windows).toHaveLength(20_000);
    expect(acked).toHaveLength(200_000 - 90);
    const internals = state as unknown as { items: unknown[] };
    expect(internals.items.length).toBeLessThan(3000);
  });

  it('a window read after execute throws a clear error', () => {
    let kept: WindowView<number> | undefined;
    const state = new WindowState<number>({ length: count(2), slide: count(2), eventTime: false }, {
      onWindow: (w) => (kept = w),
      onExpire: () => {},
    });
    state.add(1, 1);
    state.add(2, 2);
    expect(() => kept!.get()).toThrow(/read after execute returned/);
  });
});
