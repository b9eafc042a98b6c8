interface Slot<V> {
  value: V;
  /** The rotation count when the entry was last put. */
  generation: number;
}

/**
 * Storm's RotatingMap: entries expire `buckets` rotations after they were last put, so with
 * rotations every T an entry expires between (n-1)T and nT after its last put. Storm keeps n
 * maps; one map plus a generation per entry gives the same expiry with a single lookup per
 * operation (the data path's acking uses it per tuple), and a scan per rotation instead.
 */
export class RotatingMap<K, V> {
  private readonly entries = new Map<K, Slot<V>>();
  private generation = 0;

  constructor(private readonly buckets: number) {
    if (buckets < 2) throw new RangeError('RotatingMap needs at least 2 buckets');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Puts or refreshes: the entry's expiry starts again. */
  put(key: K, value: V): void {
    const slot = this.entries.get(key);
    if (slot === undefined) this.entries.set(key, { value, generation: this.generation });
    else {
      slot.value = value;
      slot.generation = this.generation;
    }
  }

  /** Puts a key known not to be present (a freshly drawn random id), skipping the lookup. */
  putNew(key: K, value: V): void {
    this.entries.set(key, { value, generation: this.generation });
  }

  remove(key: K): V | undefined {
    const slot = this.entries.get(key);
    if (slot === undefined) return undefined;
    this.entries.delete(key);
    return slot.value;
  }

  /** Ages every entry by one bucket and returns those that expired. */
  rotate(): Map<K, V> {
    this.generation++;
    const expired = new Map<K, V>();
    const oldest = this.generation - this.buckets;
    for (const [key, slot] of this.entries) {
      if (slot.generation <= oldest) {
        expired.set(key, slot.value);
        this.entries.delete(key);
      }
    }
    return expired;
  }
}
