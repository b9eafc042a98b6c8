/**
 * What a test spout saw of its messages: acks and fails per message id, how many tuples it
 * emitted (first emits and replays), and the most it had pending at once. One for every suite.
 */
export class Ledger {
  readonly acks = new Map<number, number>();
  readonly fails = new Map<number, number>();
  emitted = 0;
  maxPendingSeen = 0;

  ack(id: unknown): void {
    this.acks.set(id as number, (this.acks.get(id as number) ?? 0) + 1);
  }

  fail(id: unknown): void {
    this.fails.set(id as number, (this.fails.get(id as number) ?? 0) + 1);
  }

  /** Distinct ids acked. */
  get acked(): number {
    return this.acks.size;
  }

  /** Acks counted over all ids (an id acked twice counts twice). */
  get totalAcks(): number {
    let n = 0;
    for (const v of this.acks.values()) n += v;
    return n;
  }

  /** Fails counted over all ids: the replays a replaying spout made. */
  get replays(): number {
    let n = 0;
    for (const v of this.fails.values()) n += v;
    return n;
  }
}
