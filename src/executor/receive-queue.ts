import type { TupleImpl } from '../tuple/index.js';

/**
 * An executor's receive queue: a growable ring buffer of (destination task, tuple). `capacity` is
 * the backpressure threshold, not a hard limit: producers check `isFull()` and stop (spouts stop
 * calling nextTuple), while a tuple already produced is always accepted, so nothing is dropped.
 */
export class ReceiveQueue {
  private tuples: (TupleImpl | undefined)[];
  private tasks: Int32Array;
  private head = 0;
  private count = 0;
  private mask: number;
  /** Destination task of the tuple last returned by `shift()`. */
  lastTask = 0;
  /** Highest population seen, for metrics. */
  highWater = 0;

  constructor(readonly capacity: number) {
    let size = 1024;
    while (size < Math.min(capacity, 1 << 16)) size <<= 1;
    this.tuples = new Array<TupleImpl | undefined>(size);
    this.tasks = new Int32Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  isFull(): boolean {
    return this.count >= this.capacity;
  }

  push(task: number, tuple: TupleImpl): void {
    if (this.count === this.tuples.length) this.grow();
    const i = (this.head + this.count) & this.mask;
    this.tuples[i] = tuple;
    this.tasks[i] = task;
    this.count++;
    if (this.count > this.highWater) this.highWater = this.count;
  }

  /** The oldest tuple (its destination in `lastTask`), or undefined when empty. */
  shift(): TupleImpl | undefined {
    if (this.count === 0) return undefined;
    const i = this.head;
    const t = this.tuples[i];
    this.tuples[i] = undefined;
    this.lastTask = this.tasks[i] ?? 0;
    this.head = (i + 1) & this.mask;
    this.count--;
    return t;
  }

  private grow(): void {
    const size = this.tuples.length * 2;
    const tuples = new Array<TupleImpl | undefined>(size);
    const tasks = new Int32Array(size);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & this.mask;
      tuples[k] = this.tuples[i];
      tasks[k] = this.tasks[i] ?? 0;
    }
    this.tuples = tuples;
    this.tasks = tasks;
    this.head = 0;
    this.mask = size - 1;
  }
}
