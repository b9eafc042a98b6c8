/**
 * Trident word count with its counts in Redis (opaque map state), local mode: sentences in
 * batches, split and counted per partition, partial counts added to Redis once per batch (one
 * MGET and one MSET per batch and counting task). Prints one JSON line
 * {"name", "tuples_per_s", "p50_ms", "p99_ms", "rss_mb", ...}: tuples = words in committed batches
 * per second; latencies = batch commit latency (`$commit` emitted to acked, i.e. every counting
 * task's Redis write); also the batch latency (first emit to commit acked).
 *
 *   npx tsx bench/trident.ts [seconds] [sentences per batch]
 *
 * Redis: SQUALL_REDIS=redis://host:port, or a redis-server started on a free port for the run.
 */
import { LocalCluster } from '../src/index.js';
import { Redis } from 'ioredis';
import { decodeRedisValue, tridentStats } from '../src/trident/index.js';
import { startRedis } from '../test/helpers/servers.js';
import { tridentWordCount } from '../topologies/trident-word-count/topology.js';
import { measure } from './harness.js';

const seconds = Number(process.argv[2] ?? '15');
const batchSize = Number(process.argv[3] ?? '5000');
// The example's five sentences, 32 words; batches are whole cycles of them.
const WORDS_PER_CYCLE = 32;
if (batchSize % 5 !== 0) throw new Error('sentences per batch must be a multiple of 5');

const server = process.env.SQUALL_REDIS === undefined ? await startRedis() : undefined;
const url = process.env.SQUALL_REDIS ?? server?.url ?? '';
const name = `trident-bench-${process.pid}`;
const cluster = new LocalCluster();
try {
  await cluster.submitTopology(
    name,
    {},
    tridentWordCount({
      redisUrl: url,
      batchSize,
      parallelism: 2,
      query: false,
      config: { 'topology.max.spout.pending': 4, 'topology.trident.batch.emit.interval.millis': 0 },
    }),
  );
  const stats = tridentStats(name);
  const m = await measure(seconds, () => stats.committed, () => {
    stats.commitLatency.reset();
    stats.batchLatency.reset();
  });
  const words = m.count * (batchSize / 5) * WORDS_PER_CYCLE;
  const summary = cluster.getTopologySummary(name);
  // Check the result: 'the' is in every batch, 4 times per cycle of five sentences, so its count
  // is exactly 4 per cycle of every batch up to the txid that wrote it last.
  await cluster.killTopology(name);
  const r = new Redis(url);
  const stored = decodeRedisValue((await r.getBuffer(`squall:${name}:counts:["the"]`)) ?? Buffer.alloc(0)) as number[];
  r.disconnect();
  const exact = stored[1] === (stored[0] ?? 0) * (batchSize / 5) * 4;
  console.log(
    JSON.stringify({
      name: 'trident-word-count-redis',
      tuples_per_s: Math.round(words / m.elapsedSecs),
      p50_ms: Math.round(stats.commitLatency.percentile(0.5) * 100) / 100,
      p99_ms: Math.round(stats.commitLatency.percentile(0.99) * 100) / 100,
      batch_p50_ms: Math.round(stats.batchLatency.percentile(0.5) * 100) / 100,
      batch_p99_ms: Math.round(stats.batchLatency.percentile(0.99) * 100) / 100,
      batches_per_s: Math.round((m.count / m.elapsedSecs) * 10) / 10,
      sentences_per_batch: batchSize,
      rss_mb: m.rssMb,
      seconds: Math.round(m.elapsedSecs * 10) / 10,
      failed_batches: stats.failedAttempts,
      errors: summary.errors.length,
      counts_exact: exact,
    }),
  );
} finally {
  await cluster.shutdown();
  await server?.stop();
}
process.exit(0);
