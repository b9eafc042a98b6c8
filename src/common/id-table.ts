import { SquallError } from './errors.js';
/**
 * A hash table keyed by 64-bit ids given as two int32 halves, with its entries in typed-array
 * columns: acking looks up several ids per tuple, and this does it without allocating per entry
 * or hashing BigInts. Entries keep a stable index while they live (slots in the hash index point
 * at them); keys are random, so the low half is the hash.
 *
 * Expiry works as Storm's RotatingMap: `rotate()` ages every entry, and an entry expires `buckets`
 * rotations after it was last touched by `insert` or `refresh`.
 */
export class IdTable {
  // Entry columns, indexed by entry.
  keyHi = new Int32Array(64);
  keyLo = new Int32Array(64);
  /** XOR value of an acker tree. */
  valHi = new Int32Array(64);
  valLo = new Int32Array(64);
  /** A number per entry: the acker's spout task, the spout's start time. */
  num = new Float64Array(64);
  /** A flag per entry: the acker's "failed". */
  flag = new Uint8Array(64);
  /** An object per entry: the spout's message id. */
  obj: unknown[] = new Array<unknown>(64);
  private gen = new Int32Array(64);
  private live = new Uint8Array(64);
  private free: number[] = [];
  private used = 0;
  private count = 0;
  // Hash index: slot -> entry + 1 (0 = empty), linear probing.
  private slots = new Int32Array(128);
  private mask = 127;
  private generation = 0;

  constructor(private readonly buckets: number) {
    if (buckets < 2) throw new SquallError('INVALID_ARGUMENT', 'IdTable needs at least 2 buckets');
  }

  get size(): number {
    return this.count;
  }

  /** The entry of id (hi, lo), or -1. */
  find(hi: number, lo: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let s = lo & mask; ; s = (s + 1) & mask) {
      const e = (slots[s] as number) - 1;
      if (e < 0) return -1;
      if (this.keyLo[e] === lo && this.keyHi[e] === hi) return e;
    }
  }

  /** Adds id (hi, lo), which must not be present; returns its entry with zeroed columns. */
  insert(hi: number, lo: number): number {
    if ((this.count + 1) * 2 > this.slots.length) this.growIndex();
    let e = this.free.pop();
    if (e === undefined) {
      if (this.used === this.keyHi.length) this.growColumns();
      e = this.used++;
    }
    this.keyHi[e] = hi;
    this.keyLo[e] = lo;
    this.valHi[e] = 0;
    this.valLo[e] = 0;
    this.num[e] = 0;
    this.flag[e] = 0;
    this.gen[e] = this.generation;
    this.live[e] = 1;
    this.count++;
    const mask = this.mask;
    let s = lo & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = e + 1;
    return e;
  }

  /** Restarts an entry's expiry. */
  refresh(e: number): void {
    this.gen[e] = this.generation;
  }

  /** Removes an entry by index (it must be live). */
  remove(e: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let s = (this.keyLo[e] as number) & mask;
    while (slots[s] !== e + 1) s = (s + 1) & mask;
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    let hole = s;
    for (let j = (hole + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const other = (slots[j] as number) - 1;
      const home = (this.keyLo[other] as number) & mask;
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        slots[hole] = slots[j] as number;
        hole = j;
      }
    }
    slots[hole] = 0;
    this.live[e] = 0;
    this.obj[e] = undefined;
    this.free.push(e);
    this.count--;
  }

  /** Ages every entry; calls `expired` for each entry that expired, then removes it. */
  rotate(expired: (entry: number) => void): void {
    this.generation++;
    const oldest = this.generation - this.buckets;
    for (let e = 0; e < this.used; e++) {
      if (this.live[e] === 1 && (this.gen[e] as number) <= oldest) {
        expired(e);
        this.remove(e);
      }
    }
  }

  /** Calls `expired` for every entry, then empties the table. */
  expireAll(expired: (entry: number) => void): void {
    for (let e = 0; e < this.used; e++) {
      if (this.live[e] === 1) {
        expired(e);
        this.remove(e);
      }
    }
  }

  private growColumns(): void {
    const n = this.keyHi.length * 2;
    const grow32 = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.keyHi = grow32(this.keyHi);
    this.keyLo = grow32(this.keyLo);
    this.valHi = grow32(this.valHi);
    this.valLo = grow32(this.valLo);
    this.gen = grow32(this.gen);
    const num = new Float64Array(n);
    num.set(this.num);
    this.num = num;
    const flag = new Uint8Array(n);
    flag.set(this.flag);
    this.flag = flag;
    const live = new Uint8Array(n);
    live.set(this.live);
    this.live = live;
    this.obj.length = n;
  }

  private growIndex(): void {
    const size = this.slots.length * 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let e = 0; e < this.used; e++) {
      if (this.live[e] !== 1) continue;
      let s = (this.keyLo[e] as number) & this.mask;
      while (this.slots[s] !== 0) s = (s + 1) & this.mask;
      this.slots[s] = e + 1;
    }
  }
}
