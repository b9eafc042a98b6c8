/**
 * The window engine, independent of tuples and acking: a buffer of items ordered by time, the
 * trigger (count or time) and eviction (count or time) policies of Storm's `WindowManager`, in
 * processing time or event time.
 *
 * Every window is a contiguous range of the buffer: `[lo, hi)`, where `hi` is where the trigger
 * put the window's end and `lo` what the length leaves in. Ranges only move forward, so a window's
 * new tuples are the part of its range past the previous window's end, and its expired tuples the
 * ones evicted since the previous window: no copying, no per-tuple bookkeeping beyond the buffer.
 */
import type { PlainMeasure } from '../api/index.js';
import { SquallError } from '../common/index.js';

export interface WindowEngineOptions {
  readonly length: PlainMeasure;
  readonly slide: PlainMeasure;
  /**
   * Event time: items carry their own timestamps and may arrive out of order (never at or below
   * the watermark); windows close when `advance(watermark)` passes their end. Processing time:
   * items are stamped on arrival, and `advance(now - 1)` closes time windows.
   */
  readonly eventTime: boolean;
}

export interface WindowListener<T> {
  /** A non-empty window closed. The view is valid only during the call. */
  onWindow(window: WindowView<T>): void;
  /** An item left every future window: ack it. Called once per item, in buffer order. */
  onExpire(item: T): void;
}

/**
 * Expired slots are dropped once there are this many and they are a quarter of the buffer: the
 * memmove stays amortized O(1) per item, and expired tuples are not kept alive (and promoted by
 * the GC) for long.
 */
const COMPACT_AT = 1024;

/** One window evaluation: ranges into the engine's buffer, lists built on first call. */
export class WindowView<T> {
  private all: T[] | undefined;
  private fresh: T[] | undefined;
  private gone: T[] | undefined;
  private open = true;

  constructor(
    private readonly items: T[],
    private readonly lo: number,
    private readonly hi: number,
    private readonly newLo: number,
    private readonly expiredLo: number,
    private readonly expiredHi: number,
    readonly startTimestamp: number | undefined,
    readonly endTimestamp: number,
  ) {}

  get size(): number {
    return this.hi - this.lo;
  }

  get newSize(): number {
    return this.hi - this.newLo;
  }

  get(): readonly T[] {
    return (this.all ??= this.slice(this.lo, this.hi));
  }

  getNew(): readonly T[] {
    return (this.fresh ??= this.slice(this.newLo, this.hi));
  }

  getExpired(): readonly T[] {
    return (this.gone ??= this.slice(this.expiredLo, this.expiredHi));
  }

  close(): void {
    this.open = false;
  }

  private slice(from: number, to: number): T[] {
    if (!this.open) {
      throw new SquallError('INVALID_ARGUMENT', 'A TupleWindow was read after execute returned: call get(), getNew() or getExpired() during execute and keep the array');
    }
    return this.items.slice(from, to);
  }
}

export class WindowState<T> {
  /** Items, oldest first: `[0, reported)` recyclable, `[reported, head)` expired since the last window, `[head, n)` live. */
  private readonly items: T[] = [];
  private readonly times: number[] = [];
  /** Absolute position of `items[0]` (items compacted away so far). */
  private base = 0;
  private head = 0;
  private reported = 0;
  /** Absolute end of the last evaluated window, for `getNew`. */
  private prevHi = 0;
  /** First item with a time above the watermark (event time): items before it are final. */
  private settled = 0;
  /** First item after the end of the last time window evaluated. */
  private windowHi = 0;
  /** Items counted towards the next count trigger. */
  private since = 0;
  /** End of the next time window to evaluate; NaN until the first watermark. */
  private nextEnd = NaN;
  /** Latest arrival time (processing time), so a clock stepping back cannot reorder the buffer. */
  private lastArrival = -Infinity;
  private evaluating = false;
  /** The last watermark (event time) or `now - 1` of the last `advance` (processing time). */
  watermark = -Infinity;

  private readonly countLength: number;
  private readonly msLength: number;
  private readonly countSlide: number;
  private readonly msSlide: number;
  private readonly eventTime: boolean;

  constructor(
    options: WindowEngineOptions,
    private readonly listener: WindowListener<T>,
  ) {
    this.countLength = options.length.count ?? 0;
    this.msLength = options.length.ms ?? 0;
    this.countSlide = options.slide.count ?? 0;
    this.msSlide = options.slide.ms ?? 0;
    this.eventTime = options.eventTime;
    if (this.countLength <= 0 && this.msLength <= 0) throw new SquallError('INVALID_TOPOLOGY', 'window length must be positive');
    if (this.countSlide <= 0 && this.msSlide <= 0) throw new SquallError('INVALID_TOPOLOGY', 'sliding interval must be positive');
  }

  /** Items buffered and not expired (in a window or waiting for one). */
  get live(): number {
    return this.items.length - this.head;
  }

  /**
   * Adds an item. In event time `time` is its timestamp, which must be above the watermark (the
   * caller routes late items elsewhere); in processing time it is the arrival time, and a count
   * slide may close a window right away.
   */
  add(item: T, time: number): void {
    const items = this.items;
    const times = this.times;
    if (!this.eventTime) {
      if (time < this.lastArrival) time = this.lastArrival;
      this.lastArrival = time;
      items.push(item);
      times.push(time);
      if (this.countSlide > 0 && ++this.since >= this.countSlide) {
        this.since = 0;
        this.evaluate(items.length, time);
        this.compact();
      }
      return;
    }
    if (!(time > this.watermark)) throw new SquallError('INVALID_ARGUMENT', `timestamp ${time} is at or below the watermark ${this.watermark}`);
    const n = items.length;
    if (n === 0 || (times[n - 1] as number) <= time) {
      items.push(item);
      times.push(time);
      return;
    }
    // Out of order: binary search among the unsettled items (all settled ones are older).
    let lo = this.settled;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((times[mid] as number) <= time) lo = mid + 1;
      else hi = mid;
    }
    items.splice(lo, 0, item);
    times.splice(lo, 0, time);
  }

  /**
   * Moves time to `watermark` (event time) or `now - 1` (processing time): closes every window
   * ending at or before it, and expires what no future window can hold.
   */
  advance(watermark: number): void {
    if (!(watermark > this.watermark)) return;
    this.watermark = watermark;
    if (this.msSlide > 0) {
      this.timeTrigger(watermark);
    } else if (this.eventTime) {
      this.countTriggerOnWatermark(watermark);
    } else if (this.msLength > 0) {
      // Count slide in processing time: the next window ends at a later arrival, after now.
      this.expireThrough(watermark - this.msLength);
    }
    this.compact();
  }

  private timeTrigger(watermark: number): void {
    const times = this.times;
    const slide = this.msSlide;
    if (this.eventTime) {
      const n = times.length;
      let s = this.settled;
      while (s < n && (times[s] as number) <= watermark) s++;
      this.settled = s;
    }
    // Windows end on multiples of the slide (as in Storm); the first one above the watermark may
    // still receive items, so it is as far as an empty stretch may be skipped.
    const above = Math.floor(watermark / slide) * slide + slide;
    if (Number.isNaN(this.nextEnd)) {
      this.nextEnd = this.head < times.length ? Math.min(alignUp(times[this.head] as number, slide), above) : above;
    }
    while (this.nextEnd <= watermark) {
      const end = this.nextEnd;
      const n = times.length;
      let hi = Math.max(this.windowHi, this.head);
      while (hi < n && (times[hi] as number) <= end) hi++;
      this.windowHi = hi;
      if (this.evaluate(hi, end)) this.nextEnd = end + slide;
      else this.nextEnd = Math.min(hi < n ? alignUp(times[hi] as number, slide) : Infinity, above);
    }
    // Every later window starts after nextEnd - length: what is at or before it is done.
    if (this.msLength > 0) this.expireThrough(this.nextEnd - this.msLength);
  }

  private countTriggerOnWatermark(watermark: number): void {
    const times = this.times;
    const n = times.length;
    while (this.settled < n && (times[this.settled] as number) <= watermark) {
      this.settled++;
      if (++this.since >= this.countSlide) {
        this.since = 0;
        this.evaluate(this.settled, times[this.settled - 1] as number);
      }
    }
    // The next window ends at a tuple not yet settled, so above the watermark.
    if (this.msLength > 0) this.expireThrough(watermark - this.msLength);
  }

  /** Evaluates the window ending at buffer position `hi` with reference time `ref`; false when empty. */
  private evaluate(hi: number, ref: number): boolean {
    let lo = this.head;
    if (this.countLength > 0) {
      lo = Math.max(lo, hi - this.countLength);
    } else {
      const cut = ref - this.msLength;
      const times = this.times;
      while (lo < hi && (times[lo] as number) <= cut) lo++;
    }
    this.expireTo(lo);
    if (lo === hi) return false;
    const view = new WindowView(
      this.items,
      lo,
      hi,
      Math.max(lo, this.prevHi - this.base),
      this.reported,
      this.head,
      this.msLength > 0 ? ref - this.msLength : undefined,
      ref,
    );
    this.evaluating = true;
    try {
      this.listener.onWindow(view);
    } finally {
      view.close();
      this.evaluating = false;
      this.reported = this.head;
      this.prevHi = this.base + hi;
    }
    // Count length and count slide: the next window starts `slide` items later.
    if (this.countLength > 0 && this.countSlide > 0) this.expireTo(Math.max(this.head, hi + this.countSlide - this.countLength));
    return true;
  }

  private expireThrough(cut: number): void {
    const times = this.times;
    const limit = this.eventTime ? this.settled : times.length;
    let i = this.head;
    while (i < limit && (times[i] as number) <= cut) i++;
    this.expireTo(i);
  }

  private expireTo(to: number): void {
    const items = this.items;
    const listener = this.listener;
    for (let i = this.head; i < to; i++) listener.onExpire(items[i] as T);
    if (to > this.head) this.head = to;
  }

  private compact(): void {
    const k = this.reported;
    if (this.evaluating || k < COMPACT_AT || k * 4 < this.items.length) return;
    // copyWithin + length, not splice: splice would allocate an array of the k removed items.
    const items = this.items;
    const times = this.times;
    const n = items.length;
    items.copyWithin(0, k, n);
    items.length = n - k;
    times.copyWithin(0, k, n);
    times.length = n - k;
    this.base += k;
    this.head -= k;
    this.reported = 0;
    this.settled = Math.max(0, this.settled - k);
    this.windowHi = Math.max(0, this.windowHi - k);
  }
}

/** The first multiple of `step` at or above `t`. */
function alignUp(t: number, step: number): number {
  return Math.ceil(t / step) * step;
}
