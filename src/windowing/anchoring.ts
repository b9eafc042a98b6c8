/**
 * Anchoring a windowed bolt's emits to the window's new tuples, at a cost linear in their number.
 *
 * Handing the collector a list of N anchors makes the emitter draw an edge per anchor and merge
 * the anchors' roots by scanning the roots seen so far: quadratic when the roots are distinct,
 * which a window of spout tuples always is (10 K anchors: ~50 M comparisons per emit). So for a
 * large list the roots are merged here, once per window, with a map: the emit is anchored to one
 * synthetic tuple carrying every distinct root, for which the emitter draws one edge `e` per
 * target (the single-anchor case of Storm's algorithm: the child gets `e` under each root of its
 * anchor, and `e` is XORed into the anchor's ack value). The synthetic tuple is never acked;
 * instead its accumulated ack value is XORed into one real anchor per root (the first window
 * tuple with that root), whose ack at expiry delivers it. Per root the acker sees `e` from the
 * child and `e` from the designated anchor, exactly as if that anchor had been the only one with
 * the root; the other anchors with the same root contribute their own edges as usual.
 *
 * This needs every anchor to have at most one root (a tuple's ack value is shared by all its
 * roots); otherwise, or for short lists, the anchors go to the collector as they are.
 */
import { Fields, TupleImpl, pushRoot, rootHi, rootLo, type Tuple, type Values } from '../tuple/index.js';
import type { OutputCollector } from '../api/index.js';

/** Up to this many anchors the emitter's own merging is cheap. */
const DIRECT_MAX = 32;
const NO_FIELDS = new Fields([]);
const NO_VALUES: Values = [];

export class WindowAnchors {
  private constructor(
    /** Anchors handed to the collector as they are; null: unanchored (nothing is tracked). */
    private readonly direct: readonly Tuple[] | null,
    /** Carries the distinct roots; non-null selects the merged path. */
    private readonly merged: TupleImpl | null,
    /** One real anchor per root, in the order of the roots. */
    private readonly designated: readonly TupleImpl[],
  ) {}

  /** Works out how to anchor to `tuples`, once per window. */
  static plan(tuples: readonly Tuple[]): WindowAnchors {
    let tracked = 0;
    let multiRoot = false;
    for (let i = 0; i < tuples.length; i++) {
      const n = (tuples[i] as TupleImpl).roots;
      if (n === 0) continue;
      tracked++;
      if (n > 1) multiRoot = true;
    }
    if (tracked === 0) return new WindowAnchors(null, null, []);
    if (tuples.length <= DIRECT_MAX || multiRoot) return new WindowAnchors(tuples, null, []);
    // Key: 32 bits of the root's high half and 21 of its low half, exact in a double; the stored
    // low half catches the (astronomically rare) collision, which falls back to the direct path.
    const seen = new Map<number, number>();
    const roots: number[] = [];
    const designated: TupleImpl[] = [];
    for (let i = 0; i < tuples.length; i++) {
      const t = tuples[i] as TupleImpl;
      if (t.roots === 0) continue;
      const hi = rootHi(t.anchors, 0);
      const lo = rootLo(t.anchors, 0);
      const key = (hi >>> 0) * 2097152 + (lo & 0x1fffff);
      const prev = seen.get(key);
      if (prev === undefined) {
        seen.set(key, lo);
        pushRoot(roots, hi, lo, 0, 0);
        designated.push(t);
      } else if (prev !== lo) {
        return new WindowAnchors(tuples, null, []);
      }
    }
    const carrier = new TupleImpl(NO_VALUES, NO_FIELDS, '__window', '__window', -1, roots);
    return new WindowAnchors(null, carrier, designated);
  }

  emit(out: OutputCollector, streamId: string, values: Values): number[] {
    const carrier = this.merged;
    if (carrier === null) return out.emit(streamId, this.direct, values);
    carrier.ackHi = 0;
    carrier.ackLo = 0;
    try {
      return out.emit(streamId, carrier, values);
    } finally {
      this.settle(carrier);
    }
  }

  emitDirect(out: OutputCollector, taskId: number, streamId: string, values: Values): void {
    const carrier = this.merged;
    if (carrier === null) {
      out.emitDirect(taskId, streamId, this.direct, values);
      return;
    }
    carrier.ackHi = 0;
    carrier.ackLo = 0;
    try {
      out.emitDirect(taskId, streamId, carrier, values);
    } finally {
      this.settle(carrier);
    }
  }

  /** Moves the edges drawn for the carrier onto the designated anchors (also after a partial emit). */
  private settle(carrier: TupleImpl): void {
    const hi = carrier.ackHi;
    const lo = carrier.ackLo;
    if (hi === 0 && lo === 0) return;
    const d = this.designated;
    for (let i = 0; i < d.length; i++) {
      const t = d[i] as TupleImpl;
      t.ackHi ^= hi;
      t.ackLo ^= lo;
    }
  }
}
