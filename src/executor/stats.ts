import { LatencyHistogram } from '../common/index.js';

/** Counters of one task, updated on the data path (plain fields: no map lookups per tuple). */
export class TaskStats {
  /** Tuples emitted on user streams. */
  emitted = 0;
  /** Tuple copies sent to tasks (an emit to three tasks transfers three). */
  transferred = 0;
  executed = 0;
  acked = 0;
  failed = 0;
  /** Spout tuples failed because their tree timed out (included in `failed`). */
  timedOut = 0;
  errors = 0;
  /** Milliseconds a spout spent not calling nextTuple because of max.spout.pending. */
  skippedMaxPendingMs = 0;
  /** Milliseconds a spout spent not calling nextTuple because a downstream queue was full. */
  skippedBackpressureMs = 0;
  /** Milliseconds spent inside execute (sampled tuples only; scaled back up for capacity). */
  executeMsSampled = 0;
  readonly executeLatency = new LatencyHistogram();
  readonly processLatency = new LatencyHistogram();
  readonly completeLatency = new LatencyHistogram();
  readonly emittedByStream = new Map<string, number>();
}

export interface LatencySummary {
  count: number;
  mean_ms: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** What a component did, summed over its tasks: what `squall local` prints and `--json` emits. */
export interface ComponentSummary {
  kind: 'spout' | 'bolt';
  tasks: number;
  emitted: number;
  transferred: number;
  executed: number;
  acked: number;
  failed: number;
  timed_out?: number;
  errors: number;
  emitted_by_stream: Record<string, number>;
  execute_latency_ms?: LatencySummary;
  process_latency_ms?: LatencySummary;
  complete_latency_ms?: LatencySummary;
  /** Busy fraction of the component's busiest executor over the run (Storm's capacity). */
  capacity?: number;
  /** Tracked spout tuples still in flight. */
  pending?: number;
  queue_population: number;
  last_error?: string;
}

export function summarizeLatency(h: LatencyHistogram): LatencySummary {
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { count: h.count, mean_ms: r(h.mean()), p50_ms: r(h.percentile(0.5)), p99_ms: r(h.percentile(0.99)), max_ms: r(h.max()) };
}
