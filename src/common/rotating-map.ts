/** A value that remembers when it was last put into a {@link RotatingMap}. */
export interface Aging {
  generation: number;
}

/**
 * Storm's RotatingMap: entries expire `buckets` rotations after they were last put, so with
 * rotations every T an entry expires between (n-1)T and nT after its last put. Storm keeps n
 * maps; here one map holds the entries and each value carries the rotation count of its last put,
 * which gives the same expiry with a single lookup per operation and no wrapper object (acking
 * uses it for every tuple), at the price of a scan per rotation.
 */
export class RotatingMap<K, V extends Aging> {
  private readonly entries = new Map<K, V>();
  private generation = 0;

  constructor(private readonly buckets: number) {
    if (buckets < 2) throw new RangeError('RotatingMap needs at least 2 buckets');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Puts or refreshes: the entry's expiry starts again. */
  put(key: K, value: V): void {
    value.generation = this.generation;
    this.entries.set(key, value);
  }

  remove(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) this.entries.delete(key);
    return value;
  }

  /** Ages every entry by one bucket and returns those that expired. */
  rotate(): Map<K, V> {
    this.generation++;
    const expired = new Map<K, V>();
    const oldest = this.generation - this.buckets;
    for (const [key, value] of this.entries) {
      if (value.generation <= oldest) {
        expired.set(key, value);
        this.entries.delete(key);
      }
    }
    return expired;
  }
}
