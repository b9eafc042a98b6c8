/**
 * Stateful word count (counts in Redis-backed key-value state, checkpoints every second) against
 * the same topology with a plain in-memory count bolt, both in local mode with acking on. Each case
 * runs in its own process; prints one JSON line per case
 * {"name", "tuples_per_s", "p50_ms", "p99_ms", "rss_mb", ...} (tuples = words counted per second)
 * and a last line with the ratio stateful / stateless.
 *
 *   npx tsx bench/stateful.ts [seconds]                    both cases, then the ratio
 *   npx tsx bench/stateful.ts stateless|stateful [seconds]  one case (needs SQUALL_REDIS for stateful)
 *
 * Redis: SQUALL_REDIS=redis://host:port, or a redis-server started on a free port for the run.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  LocalCluster,
  TopologyBuilder,
  type Config,
} from '../src/index.js';
import { startRedis } from '../test/helpers/servers.js';
import { StatefulWordCount } from '../topologies/stateful-word-count/topology.js';
import { SentenceSpout, SplitSentence, WordCount as PlainCount } from '../topologies/word-count/topology.js';
import { measure } from './harness.js';

/**
 * The same for both cases. Acks of a stateful bolt are held until the next commit (up to a
 * checkpoint interval, up to ~1.5 s before the commit lands), so max pending must cover that
 * many sentences (~100 K/s here): at 100 K the spout stalled waiting for commits and the ratio
 * fell to 0.68. The stateless case runs with the same limit (its queues, not the limit, bound it).
 */
const BASE: Config = { 'topology.acker.executors': 1, 'topology.max.spout.pending': 250_000 };

function topology(stateful: boolean) {
  const b = new TopologyBuilder();
  b.setSpout('sentences', SentenceSpout, 1);
  b.setBolt('split', SplitSentence, 2).shuffleGrouping('sentences');
  b.setBolt('count', stateful ? StatefulWordCount : PlainCount, 2).fieldsGrouping('split', ['word']);
  return b.createTopology();
}

async function runCase(stateful: boolean, seconds: number): Promise<Record<string, unknown>> {
  const name = stateful ? 'word-count-stateful-redis' : 'word-count-stateless';
  const config: Config = stateful
    ? {
        ...BASE,
        'topology.state.provider': 'redis',
        'topology.state.provider.config': { url: process.env.SQUALL_REDIS ?? '', keyPrefix: `bench:${process.pid}:` },
        'topology.state.checkpoint.interval.ms': 1000,
      }
    : BASE;
  const cluster = new LocalCluster();
  await cluster.submitTopology(name, config, topology(stateful));
  const read = (): number => cluster.getTopologySummary(name).components.count?.executed ?? 0;
  // Latency over the measured window only.
  const m = await measure(seconds, read, () => cluster.getRuntime(name).resetLatencies(), 4);
  const summary = cluster.getTopologySummary(name);
  await cluster.killTopology(name, { waitMs: 0 });
  const complete = summary.components.sentences?.complete_latency_ms;
  return {
    name,
    tuples_per_s: Math.round(m.count / m.elapsedSecs),
    p50_ms: complete?.p50_ms ?? null,
    p99_ms: complete?.p99_ms ?? null,
    rss_mb: m.rssMb,
    seconds: Math.round(m.elapsedSecs * 10) / 10,
    failed: summary.components.sentences?.failed ?? 0,
  };
}

/** Runs one case in a fresh Node process (same flags as bench/run-all.sh) and returns its JSON line. */
function child(which: string, seconds: number, redisUrl: string): Promise<Record<string, unknown>> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', self, which, String(seconds)], {
      env: { ...process.env, SQUALL_REDIS: redisUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.once('error', reject);
    p.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`bench case ${which} exited with ${code}: ${out}`));
      else resolve(JSON.parse(line) as Record<string, unknown>);
    });
  });
}

const args = process.argv.slice(2);
const which = args[0] === 'stateless' || args[0] === 'stateful' ? args.shift() : undefined;
const seconds = Number(args[0] ?? '15');

if (which !== undefined) {
  console.log(JSON.stringify(await runCase(which === 'stateful', seconds)));
} else {
  const server = process.env.SQUALL_REDIS === undefined ? await startRedis() : undefined;
  const url = process.env.SQUALL_REDIS ?? server?.url ?? '';
  try {
    const stateless = await child('stateless', seconds, url);
    console.log(JSON.stringify(stateless));
    const stateful = await child('stateful', seconds, url);
    console.log(JSON.stringify(stateful));
    const ratio = (stateful.tuples_per_s as number) / (stateless.tuples_per_s as number);
    console.log(JSON.stringify({ name: 'stateful/stateless', ratio: Math.round(ratio * 1000) / 1000, target: 0.7 }));
  } finally {
    await server?.stop();
  }
}
process.exit(0);
