import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState, encodePackage, packTopology } from '../../src/cluster/index.js';
import { TopologyPlan } from 'squall/internal';
import { loadTopologyFile } from '../../src/worker/load-topology.js';
import { freePort, startNats, type RunningServer } from '../helpers/servers.js';
import { eventually } from '../helpers/wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const topologyFile = path.join(root, 'test/fixtures/two-workers/topology.ts');
let nats: RunningServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await nats?.stop();
});

function lines(dir: string, prefix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.length > 0));
}

describe('worker processes over ZeroMQ', () => {
  it('run one topology split over two processes, every message acked exactly once', async () => {
    const total = 1000;
    const out = mkdtempSync(path.join(tmpdir(), 'squall-out-'));
    process.env.SQUALL_TEST_OUT = out;
    const { topology } = await loadTopologyFile(topologyFile);
    const plan = new TopologyPlan('two', topology, topology.config);
    const tasks = [...plan.taskToComponent.keys()].sort((a, b) => a - b);
    const ports = [await freePort(), await freePort()];
    // Alternate tasks between the two workers, so every edge crosses processes somewhere.
    const workers = ports.map((port, i) => ({ supervisor: `sup-${i}`, host: '127.0.0.1', port, tasks: tasks.filter((_, k) => k % 2 === i) }));

    const state = await ClusterState.connect({ servers: nats.url, bucketPrefix: 'workers' });
    try {
      await state.putPackage('two-1', encodePackage(await packTopology(topologyFile)));
      await state.putTopology({ v: 1, name: 'two', status: 'ACTIVE', spec: topology.spec, config: {}, packageId: 'two-1', submittedAt: Date.now() });
      await state.putAssignment({ v: 1, topology: 'two', version: 1, workers });
    } finally {
      await state.close();
    }
    for (const w of workers) {
      const child = spawn(
        process.execPath,
        [path.join(root, 'dist/worker/main.js'), '--topology', 'two', '--supervisor', w.supervisor, '--port', String(w.port), '--nats', nats.url, '--bucket-prefix', 'workers', '--code-dir', mkdtempSync(path.join(tmpdir(), 'squall-code-'))],
        { env: { ...process.env, SQUALL_TEST_OUT: out, SQUALL_TEST_TOTAL: String(total) }, stdio: ['ignore', 'inherit', 'inherit'] },
      );
      children.push(child);
    }
    await eventually(() => lines(out, 'acks-').length >= total, `${total} acks`, 60_000);
    const acked = lines(out, 'acks-').map((l) => Number(l.split(' ')[1]));
    const counts = new Map<number, number>();
    for (const id of acked) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (let id = 0; id < total; id++) expect(counts.get(id), `acks of ${id}`).toBe(1);
    const values = new Set(lines(out, 'values-').map((l) => Number(l.split(' ')[1])));
    for (let id = 0; id < total; id++) expect(values.has(id * 2)).toBe(true);
    // Both processes did work: values were written by two different pids.
    expect(readdirSync(out).filter((f) => f.startsWith('values-'))).toHaveLength(2);
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  });
});
