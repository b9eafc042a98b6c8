/**
 * Word count in a real cluster on this machine: nats-server, a coordinator and a supervisor with
 * two slots, started as the operator would (the `squall` binary, built in dist/), the example
 * topology submitted with `squall submit --workers 2`. Prints one JSON line per case:
 *
 *   cluster-word-count-acked / -unacked  words counted per second over the two workers
 *   cluster-recovery                      seconds from kill -9 of a worker to tuples flowing
 *                                         through its replacement (and to the first beat)
 *   cluster-idle-worker                   RSS of a worker of an inactive topology
 *   cluster-trident-word-count            Trident word count with Redis state: words committed
 *                                         per second (from the count of "the" in Redis)
 *
 *   npm run build && npx tsx bench/cluster.ts [seconds] [acked|recovery|unacked|idle ...]
 *
 * Extra topology configuration for every case: BENCH_CONF="key=value key=value".
 *
 * Rates come from the workers' own heartbeats (counters and the worker's clock, about once a
 * second), so they do not depend on when this process happens to look.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterState } from '../src/cluster/index.js';
import type { WorkerHeartbeat } from '../src/protocol/cluster-records.js';
import { freePort, startNats, startRedis } from '../test/helpers/servers.js';
import { Redis } from 'ioredis';
import { decodeRedisValue } from '../src/trident/index.js';
import { sleep } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(root, 'dist/cli/main.js');
const topology = path.join(root, 'topologies/word-count/topology.ts');
const seconds = Number(process.argv[2] ?? 20);
const cases = new Set(process.argv.length > 3 ? process.argv.slice(3) : ['acked', 'recovery', 'unacked', 'idle', 'trident']);
const benchConf = (process.env.BENCH_CONF ?? '').split(/\s+/).filter((c) => c.length > 0).flatMap((c) => ['-c', c]);
const prefix = 'bench';

const nats = await startNats();
// Redis for the Trident case; workers inherit SQUALL_REDIS through the supervisor.
const redis = cases.has('trident') ? await startRedis() : undefined;
if (redis !== undefined) process.env.SQUALL_REDIS = redis.url;
const dir = mkdtempSync(path.join(tmpdir(), 'squall-bench-cluster-'));
const common = ['--nats', nats.url, '--prefix', prefix];
const daemons: ChildProcess[] = [];
// Daemon output goes to a file (a pipe this process left unread would stall them).
const logFile = path.join(dir, 'daemons.log');
const log = openSync(logFile, 'a');
const quiet = (args: string[]): ChildProcess => {
  const child = spawn(process.execPath, [cli, ...args, ...common], { stdio: ['ignore', log, log] });
  child.on('exit', (code) => code !== 0 && code !== null && process.stderr.write(`${args[0] ?? ''} exited ${code}; see ${logFile}\n`));
  daemons.push(child);
  return child;
};
const squall = (...args: string[]): string => execFileSync(process.execPath, [cli, ...args, ...common], { encoding: 'utf8' });

const slots = [await freePort(), await freePort()];
quiet(['coordinator', '--id', 'c1']);
quiet(['supervisor', '--id', 's1', '--host', '127.0.0.1', '--slots', slots.join(','), '--dir', dir]);
const state = await ClusterState.connect({ servers: nats.url, bucketPrefix: prefix });

async function beats(name: string): Promise<WorkerHeartbeat[]> {
  return (await state.liveWorkers()).filter((h) => h.topology === name);
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Math.round(Number(m[1]) / 1024);
  } catch {
    return 0;
  }
}

const executed = (h: WorkerHeartbeat, component: string): number => h.stats[component]?.executed ?? 0;

/** Words per second through `count`, each worker's counter growth over its own clock, summed. */
async function countRate(name: string, secs: number): Promise<{ rate: number; rss: number }> {
  await sleep(Math.min(5, secs / 3) * 1000); // warm-up
  const first = new Map((await beats(name)).map((h) => [h.pid, h]));
  let rss = 0;
  const until = Date.now() + secs * 1000;
  while (Date.now() < until) {
    for (const pid of first.keys()) rss = Math.max(rss, rssMb(pid));
    await sleep(500);
  }
  let rate = 0;
  for (const h of await beats(name)) {
    const f = first.get(h.pid);
    if (f === undefined || h.time <= f.time) continue;
    rate += ((executed(h, 'count') - executed(f, 'count')) * 1000) / (h.time - f.time);
  }
  return { rate: Math.round(rate), rss };
}

async function submit(name: string, ...extra: string[]): Promise<void> {
  squall('submit', extra.find((e) => e.endsWith('.ts')) ?? topology, '--name', name, '--workers', '2', ...benchConf, ...extra.filter((e) => !e.endsWith('.ts')));
  await waitFor(`two workers of ${name}`, async () => ((await beats(name)).length === 2 ? true : undefined));
}

async function kill(name: string): Promise<void> {
  squall('kill', name, '--wait', '0');
  await waitFor(`${name} gone`, async () => ((await beats(name)).length === 0 ? true : undefined), 30_000, 250);
}

const line = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
try {
  await waitFor('the supervisor', async () => ((await state.liveSupervisors()).length === 1 ? true : undefined));

  if (cases.has('acked') || cases.has('recovery')) await submit('wc-acked');
  if (cases.has('acked')) {
    const acked = await countRate('wc-acked', seconds);
    line({ name: 'cluster-word-count-acked', tuples_per_s: acked.rate, workers: 2, worker_rss_mb: acked.rss, seconds });
  }
  if (cases.has('recovery')) await recovery();
  if (cases.has('acked') || cases.has('recovery')) await kill('wc-acked');
  if (cases.has('unacked')) {
    await submit('wc-unacked', '-c', 'topology.acker.executors=0');
    const unacked = await countRate('wc-unacked', seconds);
    line({ name: 'cluster-word-count-unacked', tuples_per_s: unacked.rate, workers: 2, worker_rss_mb: unacked.rss, seconds });
    await kill('wc-unacked');
  }
  if (cases.has('idle')) {
    await submit('wc-idle', '--inactive');
    await sleep(5000);
    const idle = (await beats('wc-idle')).map((h) => rssMb(h.pid));
    line({ name: 'cluster-idle-worker', rss_mb: Math.max(...idle), workers_rss_mb: idle });
    await kill('wc-idle');
  }
  if (cases.has('trident') && redis !== undefined) {
    await submit('tc', path.join(root, 'bench/cluster-trident/topology.ts'));
    const r = new Redis(redis.url);
    // "the" is 4 of the 32 words in every cycle of the five sentences.
    const the = async (): Promise<number> => {
      const b = await r.getBuffer('squall:tc:counts:["the"]');
      return b === null ? 0 : (((decodeRedisValue(b) as unknown[])[1] as number | undefined) ?? 0);
    };
    await sleep(Math.min(5, seconds / 3) * 1000);
    const [c0, t0] = [await the(), Date.now()];
    await sleep(seconds * 1000);
    const [c1, t1] = [await the(), Date.now()];
    r.disconnect();
    line({ name: 'cluster-trident-word-count', tuples_per_s: Math.round((((c1 - c0) / 4) * 32 * 1000) / (t1 - t0)), workers: 2, batch: Number(process.env.BENCH_BATCH ?? 1000), seconds });
    await kill('tc');
  }
} finally {
  await state.close();
  for (const d of daemons) d.kill('SIGTERM');
  await sleep(1500);
  for (const d of daemons) if (d.exitCode === null) d.kill('SIGKILL');
  await nats.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
}

async function recovery(): Promise<void> {
  // kill -9 the worker without the spout; time until its replacement counts words again.
  const victim = (await beats('wc-acked')).find((h) => h.stats.sentences === undefined) ?? (await beats('wc-acked'))[0];
  if (victim === undefined) throw new Error('no worker to kill');
  const killedAt = Date.now();
  process.kill(victim.pid, 'SIGKILL');
  const replacement = () => beats('wc-acked').then((b) => b.find((h) => h.port === victim.port && h.pid !== victim.pid));
  const firstBeat = await waitFor('the replacement worker', replacement, 60_000, 50);
  const beatSecs = (Date.now() - killedAt) / 1000;
  await waitFor('tuples through the replacement', async () => {
    const h = await replacement();
    return h !== undefined && executed(h, 'split') + executed(h, 'count') > 0 ? h : undefined;
  }, 60_000, 50);
  const flowingSecs = (Date.now() - killedAt) / 1000;
  line({ name: 'cluster-recovery', seconds_to_flowing: Math.round(flowingSecs * 10) / 10, seconds_to_first_beat: Math.round(beatSecs * 10) / 10, replacement_pid: firstBeat.pid });
}
