/**
 * Leader takeover with the default lease: nats-server and two coordinators started with the
 * `squall` binary (build dist/ first), no configuration file. Each round kills the leading
 * coordinator (kill -9, or SIGTERM: a clean exit that gives the lease up), measures the time until
 * the standby holds the lease, and starts the killed one again as the new standby. Prints one JSON
 * line per way of dying.
 *
 *   npm run build && npx tsx bench/leader-takeover.ts [rounds]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterState } from '../src/cluster/index.js';
import { startNats } from '../test/helpers/servers.js';
import { sleep } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(root, 'dist/cli/main.js');
const rounds = Number(process.argv[2] ?? 5);
const prefix = 'takeover';

const nats = await startNats();
const dir = mkdtempSync(path.join(tmpdir(), 'squall-bench-takeover-'));
const log = openSync(path.join(dir, 'daemons.log'), 'a');
const coordinators = new Map<string, ChildProcess>();
const start = (id: string): void => {
  coordinators.set(id, spawn(process.execPath, [cli, 'coordinator', '--id', id, '--nats', nats.url, '--prefix', prefix], { stdio: ['ignore', log, log] }));
};
const state = await ClusterState.connect({ servers: nats.url, bucketPrefix: prefix, name: 'bench' });

async function leader(): Promise<string | undefined> {
  return (await state.currentLeader().catch(() => undefined))?.id;
}

async function waitForLeader(not: string | undefined, timeoutMs = 60_000): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const id = await leader();
    if (id !== undefined && id !== not) return id;
    if (performance.now() > deadline) throw new Error(`no new leader within ${timeoutMs} ms`);
    await sleep(10);
  }
}

try {
  start('c1');
  start('c2');
  await waitForLeader(undefined);
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const old = await waitForLeader(undefined);
      const child = coordinators.get(old);
      if (child === undefined) throw new Error(`unknown leader ${old}`);
      // Let the standby settle into its polling, as in a cluster that ran for a while.
      await sleep(2000);
      const exited = new Promise((r) => child.once('exit', r));
      const t0 = performance.now();
      child.kill(signal);
      await waitForLeader(old);
      times.push((performance.now() - t0) / 1000);
      await exited;
      start(old);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const round2 = (x: number): number => Math.round(x * 100) / 100;
    process.stdout.write(
      `${JSON.stringify({
        case: signal === 'SIGKILL' ? 'leader-takeover-kill9' : 'leader-takeover-sigterm',
        leaseSecs: 4,
        runs: times.map(round2),
        median: round2(sorted[Math.floor(sorted.length / 2)] ?? 0),
        max: round2(sorted.at(-1) ?? 0),
      })}\n`,
    );
  }
} finally {
  for (const c of coordinators.values()) c.kill('SIGKILL');
  await state.close();
  await nats.stop();
}
