/**
 * Throughput of one multilang bolt subprocess inside a topology, in local mode with acking on:
 *
 *   const spout (tracked) -> multilang pass-through bolt (one task, one subprocess) -> null bolt
 *
 * Each run prints one JSON line {"name", "tuples_per_s", "p50_ms", "p99_ms", "rss_mb", ...}:
 * tuples acked at the spout per second after a warm-up, complete latency percentiles, the peak
 * RSS of this (host) process, the CPU the host and the subprocess used per wall-clock second,
 * the host's CPU per tuple (user + system, and system alone, in µs), and the subprocess's RSS.
 * Results: bench/RESULTS-multilang.md.
 *
 *   npx tsx bench/multilang-passthrough.ts [python-ext|go-ext|python-legacy-json|all] [seconds] [runs]
 *
 * The Go case builds multilang/go/examples/passthrough into a temporary directory first.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BaseRichBolt,
  BaseRichSpout,
  LocalCluster,
  ShellBolt,
  TopologyBuilder,
  type Config,
  type OutputFieldsDeclarer,
  type ShellBoltOptions,
  type Tuple,
} from '../src/index.js';
import { measure } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const pythonSrc = path.join(root, 'multilang/python/src');

/** Emits the same small tuple forever, tracked (storm-perf's ConstSpout). */
class ConstSpout extends BaseRichSpout {
  private seq = 0;
  private readonly value = ['some data', 42];

  nextTuple(): void {
    this.collector.emit(this.value, this.seq++);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['str', 'n']);
  }
}

class NullBolt extends BaseRichBolt {
  execute(t: Tuple): void {
    this.collector.ack(t);
  }
}

interface Case {
  readonly bolt: () => ShellBoltOptions;
  readonly config: Config;
}

let goBinary: string | undefined;
function buildGo(): string {
  if (goBinary !== undefined) return goBinary;
  const dir = mkdtempSync(path.join(tmpdir(), 'squall-bench-go-'));
  const out = path.join(dir, 'passthrough');
  execFileSync('go', ['build', '-o', out, './examples/passthrough'], { cwd: path.join(root, 'multilang/go'), stdio: 'inherit' });
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return (goBinary = out);
}

const FIELDS = ['str', 'n'];
const MAX_PENDING = 5000;

const CASES: Record<string, Case> = {
  'python-ext': {
    bolt: () => ({
      command: ['python3', 'passthrough_bolt.py'],
      cwd: path.join(root, 'multilang/python/examples'),
      env: { PYTHONPATH: pythonSrc },
      outputFields: FIELDS,
      serializer: 'msgpack',
    }),
    config: { 'topology.max.spout.pending': MAX_PENDING },
  },
  'go-ext': {
    bolt: () => ({ command: [buildGo()], outputFields: FIELDS, serializer: 'msgpack' }),
    config: { 'topology.max.spout.pending': MAX_PENDING },
  },
  // Storm's own conversation: json, one message per tuple, a task-id round trip per emit.
  'python-legacy-json': {
    bolt: () => ({
      command: ['python3', 'passthrough_bolt.py'],
      cwd: path.join(root, 'multilang/python/examples'),
      env: { PYTHONPATH: pythonSrc },
      outputFields: FIELDS,
      serializer: 'json',
      extension: false,
    }),
    config: { 'topology.max.spout.pending': 1000 },
  },
};

function childStats(pid: number | undefined): { rssMb: number | null; cpuSecs: number | null } {
  if (pid === undefined) return { rssMb: null, cpuSecs: null };
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(stat[11]) + Number(stat[12]);
    return { rssMb: rss === null ? null : Math.round(Number(rss[1]) / 1024), cpuSecs: ticks / 100 };
  } catch {
    return { rssMb: null, cpuSecs: null };
  }
}

async function run(name: string, seconds: number): Promise<Record<string, unknown>> {
  const c = CASES[name];
  if (c === undefined) throw new Error(`unknown case '${name}'; one of: ${Object.keys(CASES).join(', ')}, all`);
  const bolt = new ShellBolt(c.bolt());
  const b = new TopologyBuilder();
  b.setSpout('spout', ConstSpout);
  b.setBolt('pass', bolt).localOrShuffleGrouping('spout');
  b.setBolt('null', NullBolt).localOrShuffleGrouping('pass');
  const cluster = new LocalCluster();
  await cluster.submitTopology(name, { 'topology.acker.executors': 1, ...c.config }, b.createTopology());
  const acked = (): number => cluster.getTopologySummary(name).components.spout?.acked ?? 0;
  let pid: number | undefined;
  let cpu0: number | null = null;
  let hostCpu0 = process.cpuUsage();
  const m = await measure(seconds, acked, () => {
    cluster.getRuntime(name).resetLatencies();
    pid = bolt.stats.pids.at(-1);
    cpu0 = childStats(pid).cpuSecs;
    hostCpu0 = process.cpuUsage();
  });
  const elapsed = m.elapsedSecs;
  const hostCpu = process.cpuUsage(hostCpu0);
  const child = childStats(pid);
  const summary = cluster.getTopologySummary(name);
  await cluster.killTopology(name, { waitMs: 0 });
  const complete = summary.components.spout?.complete_latency_ms;
  return {
    name: `multilang-passthrough-${name}`,
    tuples_per_s: Math.round(m.count / elapsed),
    p50_ms: complete?.p50_ms ?? null,
    p99_ms: complete?.p99_ms ?? null,
    rss_mb: m.rssMb,
    // CPU used per wall second: on a shared machine, tuples_per_s / host_cpu_share is what one
    // whole core for the host would carry.
    host_cpu_share: Math.round(((hostCpu.user + hostCpu.system) / 1e6 / elapsed) * 100) / 100,
    // Host CPU (user + system, all of its threads) per tuple carried: less sensitive to other
    // load on the machine than tuples_per_s.
    host_cpu_us_per_tuple: m.count === 0 ? null : Math.round(((hostCpu.user + hostCpu.system) / m.count) * 100) / 100,
    host_sys_us_per_tuple: m.count === 0 ? null : Math.round((hostCpu.system / m.count) * 100) / 100,
    child_rss_mb: child.rssMb,
    child_cpu_share: cpu0 === null || child.cpuSecs === null ? null : Math.round(((child.cpuSecs - cpu0) / elapsed) * 100) / 100,
    failed: summary.components.spout?.failed ?? 0,
    errors: summary.errors.length,
    seconds: Math.round(elapsed * 10) / 10,
  };
}

const [which = 'all', secs = '15', runs = '1'] = process.argv.slice(2);
const names = which === 'all' ? Object.keys(CASES) : [which];
for (const name of names) {
  for (let i = 0; i < Number(runs); i++) console.log(JSON.stringify(await run(name, Number(secs))));
}
process.exit(0);
