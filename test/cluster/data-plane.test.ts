/**
 * The data plane between workers takes untrusted input: whatever reaches a worker's port. Garbage
 * is counted, reported and survived; the port is bound on the advertised host only; and with CURVE
 * (on by default when NATS logs in) a client that is not a worker of the topology cannot deliver
 * tuples, while the workers themselves keep talking through a worker restart (new keys).
 */
import { connect as tcpConnect } from 'node:net';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Push, curveKeyPair } from 'zeromq';
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/cluster/index.js';
import { TopologyPlan } from '../../src/executor/index.js';
import { TupleImpl } from '../../src/tuple/index.js';
import { StreamTable, TupleBatch } from '../../src/worker/index.js';
import { loadTopologyFile } from '../../src/worker/load-topology.js';
import { TestCluster, root, stopAfterEach, type ListingJson } from '../helpers/cluster.js';
import { startNats, type RunningServer } from '../helpers/servers.js';
import { eventuallyAsync } from '../helpers/wait.js';

const fixture = path.join(root, 'test/fixtures/cluster-word-count/topology.ts');
let nats: RunningServer | undefined;
let cluster: TestCluster | undefined;
const sockets: Push[] = [];

stopAfterEach(() => {
  for (const s of sockets.splice(0)) s.close();
  const taken = { cluster, nats };
  cluster = nats = undefined;
  return taken;
});

type Worker = ListingJson['topologies'][number]['workers'][number];

/** The plan every worker of the fixture runs on two workers, and its task numbers for `count`. */
async function fixturePlan(): Promise<{ table: StreamTable; plan: TopologyPlan }> {
  const { topology } = await loadTopologyFile(fixture);
  const t = topology.withConfig({ 'topology.workers': 2, 'topology.acker.executors': 2 });
  const plan = new TopologyPlan('wc', t, t.config);
  return { table: new StreamTable(plan), plan };
}

/** A well-formed batch of `n` unanchored `word` tuples from split to a count task of `worker`. */
async function forgedBatch(worker: Worker, word: string, n: number): Promise<Uint8Array> {
  const { table, plan } = await fixturePlan();
  const countTask = [...plan.tasksOf('count')].find((t) => worker.tasks.includes(t));
  if (countTask === undefined) throw new Error(`worker ${worker.port} runs no count task: ${worker.tasks.join(',')}`);
  const splitTask = [...plan.tasksOf('split')][0] ?? 0;
  const batch = new TupleBatch(table);
  const fields = plan.streamFields('split', 'default');
  if (fields === undefined) throw new Error('split declares no default stream');
  for (let i = 0; i < n; i++) batch.add(countTask, new TupleImpl([word], fields, 'split', 'default', splitTask, []));
  return batch.take();
}

function counted(c: TestCluster, word: string): number {
  let n = 0;
  for (const f of c.files('counts-')) n += (JSON.parse(readFileSync(f, 'utf8')) as Record<string, number>)[word] ?? 0;
  return n;
}

function acked(c: TestCluster): number {
  return c.spoutSummaries().reduce((n, s) => n + s.acked, 0);
}

function refusedSoFar(t: ListingJson['topologies'][number] | undefined): number {
  const m = /\((\d+) since the worker started\)/.exec(t?.lastErrors.__transport ?? '');
  return m === null ? 0 : Number(m[1]);
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The worker that runs no spout task: killing it loses no spout state. */
async function workerWithoutSpout(t: ListingJson['topologies'][number]): Promise<Worker> {
  const { plan } = await fixturePlan();
  const spouts = new Set(plan.tasksOf('sentences'));
  const w = t.workers.find((x) => !x.tasks.some((task) => spouts.has(task)));
  if (w === undefined) throw new Error(`every worker runs a spout task: ${JSON.stringify(t.workers)}`);
  return w;
}

async function startWordCount(c: TestCluster, hosts: [string, string]): Promise<ListingJson['topologies'][number]> {
  c.startCoordinator('c1');
  await c.startSupervisor('s1', 1, { host: hosts[0] });
  await c.startSupervisor('s2', 1, { host: hosts[1] });
  await eventuallyAsync(async () => (await c.listJson().catch(() => undefined))?.supervisors.length === 2, 'two supervisors', 30_000);
  const submitted = await c.run('submit', fixture, '--name', 'wc', '--workers', '2');
  expect(submitted.stderr).toBe('');
  let listed: ListingJson['topologies'][number] | undefined;
  await eventuallyAsync(async () => {
    listed = (await c.listJson()).topologies[0];
    return listed?.workers.length === 2 && listed.workers.every((w) => w.alive);
  }, 'two live workers', 60_000);
  return listed as ListingJson['topologies'][number];
}

describe('the data plane between workers', () => {
  it('binds the advertised host only, and counts, reports and survives garbage on a worker port', async () => {
    nats = await startNats();
    const total = 3000;
    const c = (cluster = new TestCluster(nats.url, 'garbage', { SQUALL_TEST_TOTAL: String(total), SQUALL_TEST_RATE: '1000' }));
    const t = await startWordCount(c, ['127.0.0.2', '127.0.0.1']);
    const w = t.workers.find((x) => x.supervisor === 's1') as Worker;
    expect(w.host).toBe('127.0.0.2');
    // 127.0.0.0/8 is all loopback: a port bound on every interface would answer on 127.0.0.3 too.
    expect(await canConnect('127.0.0.2', w.port)).toBe(true);
    expect(await canConnect('127.0.0.3', w.port)).toBe(false);

    const raw = new Push({ linger: 0 });
    sockets.push(raw);
    raw.connect(`tcp://127.0.0.2:${w.port}`);
    await raw.send(Buffer.from([0xc1, 0xc1, 0xc1])); // not msgpack
    await raw.send(Buffer.from('a string, not a batch'));
    await raw.send(new Uint8Array([0x93, 0x01, 0x02, 0x03])); // [1, 2, 3]: numbered for another plan
    // Without CURVE anyone who reaches the port can deliver: what the next test shuts out.
    await raw.send(await forgedBatch(w, 'INJECTED', 5));

    await eventuallyAsync(async () => refusedSoFar((await c.listJson()).topologies[0]) === 3, 'three refused batches reported', 30_000);
    expect((await c.listJson()).topologies[0]?.lastErrors.__transport).toMatch(/refused \d+ batch\(es\) received on port \d+ .*the last: /);
    await eventuallyAsync(() => counted(c, 'INJECTED') === 5, 'the forged tuples counted', 30_000);
    // The worker kept processing: every sentence acked, and it is the same worker process.
    await eventuallyAsync(() => acked(c) === total, `${total} acks`, 60_000);
    const after = (await c.listJson()).topologies[0];
    expect(after?.workers.every((x) => x.alive)).toBe(true);
    expect(c.logs()).not.toMatch(/exited with code|was killed by/);
  }, 180_000);

  it('with NATS logins, runs CURVE: only workers of the topology deliver, through a worker restart', async () => {
    nats = await startNats({ args: ['--user', 'squall', '--pass', 's3cret'] });
    const total = 4000;
    const c = (cluster = new TestCluster(nats.url, 'curve', {
      SQUALL_TEST_TOTAL: String(total),
      SQUALL_TEST_RATE: '500',
      SQUALL_NATS_USER: 'squall',
      SQUALL_NATS_PASS: 's3cret',
    }));
    const t = await startWordCount(c, ['127.0.0.1', '127.0.0.1']);
    expect(c.logs()).toMatch(/CURVE between workers/);
    const w = await workerWithoutSpout(t);
    const state = await ClusterState.connect({ servers: nats.url, user: 'squall', pass: 's3cret', bucketPrefix: 'curve' });
    let serverKey: string | undefined;
    try {
      serverKey = (await state.liveWorkers()).find((h) => h.supervisor === w.supervisor)?.curveKey;
    } finally {
      await state.close();
    }
    expect(serverKey).toMatch(/^.{40}$/);
    const forged = await forgedBatch(w, 'INJECTED', 5);
    // A plain client, and a CURVE client that knows the (public) server key but is no worker.
    const plain = new Push({ linger: 0 });
    const stranger = curveKeyPair();
    const curveClient = new Push({ linger: 0, curveServerKey: serverKey ?? '', curvePublicKey: stranger.publicKey, curveSecretKey: stranger.secretKey });
    sockets.push(plain, curveClient);
    for (const s of [plain, curveClient]) {
      s.connect(`tcp://127.0.0.1:${w.port}`);
      void s.send(forged).catch(() => undefined);
    }
    await eventuallyAsync(async () => /may not deliver here/.test((await c.listJson()).topologies[0]?.lastErrors.__transport ?? ''), 'the refused clients reported', 30_000);

    // The workers themselves deliver: a quarter of the sentences acked, then one worker is killed and its
    // replacement (a new keypair) is reached by the other.
    await eventuallyAsync(() => acked(c) >= total / 4, 'a quarter of the sentences acked', 60_000);
    expect(counted(c, 'INJECTED')).toBe(0);
    const victim = [...c.workerPids()].find(([, args]) => args.includes(`--port ${w.port} `))?.[0];
    expect(victim).toBeDefined();
    process.kill(victim as number, 'SIGKILL');
    await eventuallyAsync(() => c.workerPids().size === 2 && !c.workerPids().has(victim as number), 'a new worker', 60_000);
    await eventuallyAsync(() => acked(c) === total, `${total} acks`, 120_000);
    // Every count task has written its counts since: the forged tuples never reached one.
    expect(counted(c, 'INJECTED')).toBe(0);
    expect(counted(c, 'cow')).toBeGreaterThan(0);
  }, 240_000);
});
