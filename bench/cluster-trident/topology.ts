/**
 * The Trident word count example as bench/cluster.ts submits it: counts in Redis
 * ($SQUALL_REDIS), $BENCH_BATCH sentences per batch (a multiple of 5), no query stream.
 */
import { tridentWordCount } from '../../topologies/trident-word-count/topology.js';

export default function benchTrident() {
  return tridentWordCount({
    redisUrl: process.env.SQUALL_REDIS,
    batchSize: Number(process.env.BENCH_BATCH ?? '1000'),
    parallelism: 2,
    query: false,
    config: { 'topology.max.spout.pending': 4, 'topology.trident.batch.emit.interval.millis': 0 },
  });
}
