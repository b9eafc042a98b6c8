/**
 * A bolt whose `execute` returns a promise, in local mode: a spout emitting as fast as it may, the
 * bolt acking each tuple and resolving at once, acking on (one acker). Exercises the executor's
 * bookkeeping of open executions (`topology.bolt.max.async.pending`, their message timeout).
 * Prints one JSON line: tuples acked per second over the measured window.
 *
 *   npx tsx bench/async-bolt.ts [seconds]
 */
import { BaseRichBolt, BaseRichSpout, LocalCluster, TopologyBuilder, type OutputFieldsDeclarer, type Tuple } from '../src/index.js';
import { measure } from './harness.js';

const seconds = Number(process.argv[2] ?? 10);
let acked = 0;

class Numbers extends BaseRichSpout {
  private n = 0;
  nextTuple(): void {
    this.collector.emit([this.n], this.n++);
  }
  override ack(): void {
    acked++;
  }
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['n']);
  }
}

class AsyncSink extends BaseRichBolt {
  execute(t: Tuple): Promise<void> {
    this.collector.ack(t);
    return Promise.resolve();
  }
}

const b = new TopologyBuilder();
b.setSpout('numbers', new Numbers());
b.setBolt('sink', AsyncSink).shuffleGrouping('numbers');
const cluster = new LocalCluster();
await cluster.submitTopology('async', { 'topology.max.spout.pending': 5000, 'topology.acker.executors': 1 }, b.createTopology());
const m = await measure(seconds, () => acked);
await cluster.shutdown();
process.stdout.write(`${JSON.stringify({ case: 'async-bolt-acked', tuplesPerSec: Math.round(m.count / m.elapsedSecs), rssMb: m.rssMb })}\n`);
