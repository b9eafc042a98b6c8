import type { Tuple } from '../../tuple/index.js';

/**
 * One evaluation of a window, handed to a windowed bolt's `execute` (Storm's `TupleWindow`).
 * Tuples are in timestamp order (event time) or arrival order (processing time, count windows).
 *
 * The lists are built on first call and are the caller's to keep; the window object itself is valid
 * only during `execute` (what it points into is recycled afterwards).
 */
export interface TupleWindow {
  /** Every tuple in the window. */
  get(): readonly Tuple[];
  /** Tuples in this window that were not in the previous one: for incremental aggregation. */
  getNew(): readonly Tuple[];
  /**
   * Tuples that left the window since the previous evaluation (already acked): subtract them from
   * an incremental aggregate.
   */
  getExpired(): readonly Tuple[];
  /** How many tuples `get()` returns, without building the list. */
  readonly size: number;
  /**
   * Start of a time-length window in ms, exclusive: the window holds timestamps in
   * `(startTimestamp, endTimestamp]`. Undefined for count-length windows.
   */
  readonly startTimestamp: number | undefined;
  /**
   * The window's reference time in ms, inclusive: its end for time windows (event time, or the
   * wall clock in processing time), the trigger time (or triggering tuple's timestamp) for count
   * slides.
   */
  readonly endTimestamp: number;
}
