/**
 * The inputs a bolt's subprocess holds, by the numeric id the host gave each. Ids are handed out
 * in sequence, so an input lives in a ring slot named by the low bits of its id: set, get and
 * delete are a few array operations, with no hashing and no rehashing garbage (a `Map` with keys
 * churning at several hundred thousand a second spends a noticeable share of the host thread on
 * its table). An input held while the ring went round once (a subprocess that sits on a tuple)
 * moves to an overflow map, so nothing is ever lost or overwritten.
 */
export class InFlight<T> {
  private items: (T | undefined)[];
  private ids: Float64Array;
  private mask: number;
  private overflow: Map<number, T> | undefined;
  /** Inputs held. */
  size = 0;

  /** `capacity` rounded up to a power of two: the ring's size. */
  constructor(capacity: number) {
    let n = 64;
    while (n < capacity) n *= 2;
    this.items = new Array<T | undefined>(n).fill(undefined);
    this.ids = new Float64Array(n);
    this.mask = n - 1;
  }

  /** Makes the ring hold at least `capacity` ids in sequence without overflowing. */
  reserve(capacity: number): void {
    if (capacity <= this.items.length) return;
    const old = this.items;
    const oldIds = this.ids;
    let n = old.length;
    while (n < capacity) n *= 2;
    this.items = new Array<T | undefined>(n).fill(undefined);
    this.ids = new Float64Array(n);
    this.mask = n - 1;
    const spilled = this.overflow;
    this.overflow = undefined;
    this.size = 0;
    for (let i = 0; i < old.length; i++) {
      const item = old[i];
      if (item !== undefined) this.set(oldIds[i] as number, item);
    }
    if (spilled !== undefined) for (const [id, item] of spilled) this.set(id, item);
  }

  /** Adds `id`, which must not be held already (ids are positive integers below 2^53). */
  set(id: number, item: T): void {
    // ToInt32 takes the low 32 bits of any integer below 2^53: no wrap-around needed.
    const s = id & this.mask;
    this.size++;
    if (this.items[s] === undefined) {
      this.items[s] = item;
      this.ids[s] = id;
    } else {
      (this.overflow ??= new Map()).set(id, item);
    }
  }

  get(id: number): T | undefined {
    const s = id & this.mask;
    if (this.ids[s] === id) {
      const item = this.items[s];
      if (item !== undefined) return item;
    }
    return this.overflow?.get(id);
  }

  /** Removes `id` and returns what it held, if anything. */
  take(id: number): T | undefined {
    const s = id & this.mask;
    if (this.ids[s] === id) {
      const item = this.items[s];
      if (item !== undefined) {
        this.items[s] = undefined;
        this.size--;
        return item;
      }
    }
    const o = this.overflow;
    if (o === undefined) return undefined;
    const item = o.get(id);
    if (item !== undefined) {
      o.delete(id);
      this.size--;
      if (o.size === 0) this.overflow = undefined;
    }
    return item;
  }

  /** Every input held, oldest first, then empty. */
  drain(each: (item: T) => void): void {
    const items = this.items;
    const held: [number, T][] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item !== undefined) {
        held.push([this.ids[i] as number, item]);
        items[i] = undefined;
      }
    }
    if (this.overflow !== undefined) for (const entry of this.overflow) held.push(entry);
    this.overflow = undefined;
    this.size = 0;
    held.sort((a, b) => a[0] - b[0]);
    for (const [, item] of held) each(item);
  }
}
