/**
 * A latency histogram with logarithmic buckets (about 4% wide), cheap enough for the data plane:
 * recording is one log and an array increment; percentiles are read from cumulative counts.
 */
const GROWTH = Math.log(1.04);
const MIN_MS = 0.001;
const BUCKETS = 512;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private maxMs = 0;

  record(ms: number): void {
    const v = ms < MIN_MS ? MIN_MS : ms;
    let i = Math.floor(Math.log(v / MIN_MS) / GROWTH);
    if (i >= BUCKETS) i = BUCKETS - 1;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.total++;
    this.sum += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get count(): number {
    return this.total;
  }

  mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  max(): number {
    return this.maxMs;
  }

  /** The value below which `p` (0..1) of the recorded latencies fall, to bucket precision. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = p * this.total;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(MIN_MS * Math.exp((i + 1) * GROWTH), this.maxMs);
    }
    return this.maxMs;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.maxMs = 0;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.total += other.total;
    this.sum += other.sum;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }
}
