/**
 * Ports of Storm's storm-perf topologies, run in local mode. Each prints one JSON line:
 * {"name", "tuples_per_s", "p50_ms", "p99_ms", "rss_mb", ...}.
 *
 *   npx tsx bench/storm-perf.ts <const-null|const-id-null|const-id-null-acked|const-id-null-acked-half|word-count> [seconds]
 */
import { BaseRichBolt, BaseRichSpout, LocalCluster, TopologyBuilder, type Config, type OutputFieldsDeclarer, type Tuple } from '../src/index.js';
import wordCount from '../topologies/word-count/topology.js';
import { measure } from './harness.js';

/** Emits the same tuple forever (ConstSpout), optionally with message ids, optionally rate-limited. */
class ConstSpout extends BaseRichSpout {
  private seq = 0;
  private readonly value = ['some data'];
  private startedAt = -1;
  private emittedSinceStart = 0;

  constructor(
    private readonly tracked: boolean,
    private readonly ratePerSec: number,
  ) {
    super();
  }

  nextTuple(): void {
    if (this.ratePerSec > 0) {
      // Pace to the rate since the start: a steady stream (what Storm's ThroughputVsLatency
      // does), catching up after each wait instead of drifting below the target.
      const now = performance.now();
      if (this.startedAt < 0) this.startedAt = now;
      if (this.emittedSinceStart >= ((now - this.startedAt) * this.ratePerSec) / 1000) return;
      this.emittedSinceStart++;
    }
    if (this.tracked) this.collector.emit(this.value, this.seq++);
    else this.collector.emit(this.value);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['str']);
  }
}

class IdBolt extends BaseRichBolt {
  execute(t: Tuple): void {
    this.collector.emit(t, t.values as never);
    this.collector.ack(t);
  }
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['str']);
  }
}

class NullBolt extends BaseRichBolt {
  execute(t: Tuple): void {
    this.collector.ack(t);
  }
}

function constTopology(withId: boolean, tracked: boolean, rate: number) {
  const b = new TopologyBuilder();
  b.setSpout('spout', new ConstSpout(tracked, rate));
  if (withId) {
    b.setBolt('id', IdBolt).localOrShuffleGrouping('spout');
    b.setBolt('null', NullBolt).localOrShuffleGrouping('id');
  } else {
    b.setBolt('null', NullBolt).localOrShuffleGrouping('spout');
  }
  return b.createTopology();
}

interface Case {
  topology: () => ReturnType<typeof constTopology>;
  config: Config;
  /** The component whose executed (or acked) count is the throughput. */
  counter: { component: string; field: 'executed' | 'acked' };
}

const MAX_PENDING = 5000;

function cases(rateForHalf: number): Record<string, Case> {
  return {
    'const-null': {
      topology: () => constTopology(false, false, 0),
      config: { 'topology.acker.executors': 0 },
      counter: { component: 'null', field: 'executed' },
    },
    'const-id-null': {
      topology: () => constTopology(true, false, 0),
      config: { 'topology.acker.executors': 0 },
      counter: { component: 'null', field: 'executed' },
    },
    'const-id-null-acked': {
      topology: () => constTopology(true, true, 0),
      config: { 'topology.acker.executors': 1, 'topology.max.spout.pending': MAX_PENDING },
      counter: { component: 'spout', field: 'acked' },
    },
    'const-id-null-acked-half': {
      topology: () => constTopology(true, true, rateForHalf),
      config: { 'topology.acker.executors': 1, 'topology.max.spout.pending': MAX_PENDING },
      counter: { component: 'spout', field: 'acked' },
    },
    'word-count': {
      topology: wordCount,
      config: { 'topology.acker.executors': 1, 'topology.max.spout.pending': MAX_PENDING },
      counter: { component: 'count', field: 'executed' },
    },
  };
}

async function run(name: string, seconds: number, rate: number): Promise<Record<string, unknown>> {
  const c = cases(rate)[name];
  if (c === undefined) throw new Error(`unknown benchmark '${name}'; one of: ${Object.keys(cases(0)).join(', ')}`);
  const cluster = new LocalCluster();
  await cluster.submitTopology(name, c.config, c.topology());
  const read = (): number => cluster.getTopologySummary(name).components[c.counter.component]?.[c.counter.field] ?? 0;
  // Latency over the measured window only.
  const m = await measure(seconds, read, () => cluster.getRuntime(name).resetLatencies());
  const summary = cluster.getTopologySummary(name);
  await cluster.killTopology(name, { waitMs: 0 });
  const complete = summary.components.spout?.complete_latency_ms ?? summary.components.sentences?.complete_latency_ms;
  return {
    name,
    tuples_per_s: Math.round(m.count / m.elapsedSecs),
    p50_ms: complete?.p50_ms ?? null,
    p99_ms: complete?.p99_ms ?? null,
    rss_mb: m.rssMb,
    seconds: Math.round(m.elapsedSecs * 10) / 10,
    ...(rate > 0 && name.endsWith('half') ? { target_rate: rate } : {}),
  };
}

const [name = 'const-null', secs = '15', rate = '200000'] = process.argv.slice(2);
console.log(JSON.stringify(await run(name, Number(secs), Number(rate))));
process.exit(0);
