/**
 * Storm's RotatingMap: entries live in the newest bucket, `rotate()` drops the oldest bucket and
 * returns what was in it. With n buckets rotated every T, an entry expires between (n-1)T and nT
 * after it was last put.
 */
export class RotatingMap<K, V> {
  private buckets: Map<K, V>[];

  constructor(bucketCount: number) {
    if (bucketCount < 2) throw new RangeError('RotatingMap needs at least 2 buckets');
    this.buckets = Array.from({ length: bucketCount }, () => new Map<K, V>());
  }

  get size(): number {
    let n = 0;
    for (const b of this.buckets) n += b.size;
    return n;
  }

  get(key: K): V | undefined {
    for (const b of this.buckets) {
      const v = b.get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  has(key: K): boolean {
    for (const b of this.buckets) if (b.has(key)) return true;
    return false;
  }

  /** Puts into the newest bucket, removing the key from older ones (so a put also refreshes). */
  put(key: K, value: V): void {
    const [newest, ...older] = this.buckets;
    newest?.set(key, value);
    for (const b of older) b.delete(key);
  }

  remove(key: K): V | undefined {
    for (const b of this.buckets) {
      const v = b.get(key);
      if (v !== undefined) {
        b.delete(key);
        return v;
      }
    }
    return undefined;
  }

  /** Drops the oldest bucket and returns its entries: the expired ones. */
  rotate(): Map<K, V> {
    const expired = this.buckets.pop() ?? new Map<K, V>();
    this.buckets.unshift(new Map<K, V>());
    return expired;
  }
}
