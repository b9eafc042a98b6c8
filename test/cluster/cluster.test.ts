/**
 * Cluster mode as an operator runs it: a real nats-server, coordinators and supervisors started
 * with the `squall` binary, worker processes started by the supervisors, and the CLI commands.
 * The fixture topology (test/fixtures/cluster-word-count) reports what its spout emitted and
 * acked, and its counts, in files this test reads.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/cluster/index.js';
import { TopologyPlan } from 'squall/internal';
import { loadTopologyFile } from '../../src/worker/load-topology.js';
import { TestCluster, root, runCli, type ListingJson, stopAfterEach } from '../helpers/cluster.js';
import { freePort, startNats, type RunningServer } from '../helpers/servers.js';
import { eventuallyAsync, sleep } from '../helpers/wait.js';

const fixture = path.join(root, 'test/fixtures/cluster-word-count/topology.ts');
const SENTENCES = ['the cow jumped over the moon', 'an apple a day keeps the doctor away', 'four score and seven years ago'];

let nats: RunningServer;
let cluster: TestCluster | undefined;
let clusters = 0;

beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats?.stop();
});
stopAfterEach(() => {
  const taken = { cluster };
  cluster = undefined;
  return taken;
});

function newCluster(env: Record<string, string>, natsUrl = nats.url): TestCluster {
  cluster = new TestCluster(natsUrl, `t${++clusters}`, env);
  return cluster;
}

async function waitForSupervisors(c: TestCluster, n: number): Promise<void> {
  await eventuallyAsync(async () => {
    const r = await c.run('list', '--json');
    return r.code === 0 && (JSON.parse(r.stdout) as ListingJson).supervisors.length === n;
  }, `${n} supervisors`, 30_000);
}

function topologyOf(listing: ListingJson, name: string): ListingJson['topologies'][number] | undefined {
  return listing.topologies.find((t) => t.name === name);
}

function spout(c: TestCluster): { emitted: number; acked: number; duplicates: number; failed: number } {
  const all = c.spoutSummaries();
  return {
    emitted: all.reduce((n, s) => n + s.emitted, 0),
    acked: all.reduce((n, s) => n + s.acked, 0),
    duplicates: all.reduce((n, s) => n + s.duplicates, 0),
    failed: all.reduce((n, s) => n + s.failed, 0),
  };
}

function expectedCounts(total: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let id = 0; id < total; id++) for (const w of (SENTENCES[id % SENTENCES.length] ?? '').split(' ')) out[w] = (out[w] ?? 0) + 1;
  return out;
}

function counts(c: TestCluster): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of c.files('counts-')) {
    for (const [w, n] of Object.entries(JSON.parse(readFileSync(f, 'utf8')) as Record<string, number>)) out[w] = (out[w] ?? 0) + n;
  }
  return out;
}

/** The task ids of the fixture's spout when it runs on `workers` workers (ackers follow the worker count). */
async function spoutTasks(workers: number): Promise<number[]> {
  const { topology } = await loadTopologyFile(fixture);
  const t = topology.withConfig({ 'topology.workers': workers });
  return [...new TopologyPlan('x', t, t.config).tasksOf('sentences')];
}

/** The port of a worker of `name` that runs no spout task: killing it loses no spout state. */
async function portWithoutSpout(c: TestCluster, name: string, workers: number): Promise<{ port: number; supervisor: string }> {
  const tasks = new Set(await spoutTasks(workers));
  const t = topologyOf(await c.listJson(), name);
  const w = t?.workers.find((x) => !x.tasks.some((task) => tasks.has(task)));
  if (w === undefined) throw new Error(`every worker of ${name} runs a spout task: ${JSON.stringify(t)}`);
  return { port: w.port, supervisor: w.supervisor };
}

function pidOnPort(c: TestCluster, port: number): number | undefined {
  for (const [pid, args] of c.workerPids()) if (args.includes(`--port ${port} `)) return pid;
  return undefined;
}

describe('a cluster of real processes', () => {
  it('runs word count on two workers: right counts, listed, and every lifecycle command does what it says', async () => {
    const total = 4000;
    // 500/s leaves the deactivate about 7 s to land before the spout runs out, even on a loaded machine.
    const c = newCluster({ SQUALL_TEST_TOTAL: String(total), SQUALL_TEST_RATE: '500' });
    c.startCoordinator('c1');
    await c.startSupervisor('s1');
    await c.startSupervisor('s2');
    await waitForSupervisors(c, 2);

    const submitted = await c.run('submit', fixture, '--name', 'wc', '--workers', '2', '--inactive');
    expect(submitted.stderr).toBe('');
    expect(submitted.code).toBe(0);
    expect(submitted.stdout).toMatch(/Submitted 'wc' \(INACTIVE\) on 2 worker\(s\)/);
    // Spread evenly: one worker on each supervisor.
    expect(submitted.stdout).toContain('s1:');
    expect(submitted.stdout).toContain('s2:');
    await eventuallyAsync(async () => topologyOf(await c.listJson(), 'wc')?.workers.every((w) => w.alive) === true, 'two live workers', 60_000);
    const listed = await c.run('list');
    expect(listed.stdout).toMatch(/wc\s+INACTIVE\s+2\/2/);
    expect(listed.stdout).toMatch(/s1 \(127\.0\.0\.1\) 1\/2 slots used/);

    // Inactive: the spout emits nothing.
    await sleep(1500);
    expect(spout(c).emitted).toBe(0);
    expect((await c.run('activate', 'wc')).code).toBe(0);
    await eventuallyAsync(() => spout(c).emitted > 500, 'the spout to emit after activate', 30_000);

    // Deactivate mid-stream: emission stops while tuples remain to send.
    expect((await c.run('deactivate', 'wc')).stdout).toContain("Deactivated 'wc'");
    await sleep(2000);
    const stopped = spout(c).emitted;
    await sleep(1500);
    expect(spout(c).emitted).toBe(stopped);
    expect(stopped).toBeLessThan(total);
    expect((await c.run('activate', 'wc')).code).toBe(0);

    // Every sentence acked once, and the counts exactly right.
    await eventuallyAsync(() => spout(c).acked === total, `${total} acks`, 60_000);
    expect(spout(c).duplicates).toBe(0);
    const expected = expectedCounts(total);
    await eventuallyAsync(() => JSON.stringify(counts(c)) === JSON.stringify({ ...counts(c), ...expected }) && Object.keys(counts(c)).length === Object.keys(expected).length, 'final counts', 10_000);
    expect(counts(c)).toEqual(expected);

    // Rebalance onto three workers.
    const rebalanced = await c.run('rebalance', 'wc', '--workers', '3', '--wait', '1');
    expect(rebalanced.stdout).toContain("Rebalanced 'wc'");
    await eventuallyAsync(async () => {
      const t = topologyOf(await c.listJson(), 'wc');
      return t?.status === 'ACTIVE' && t.workers.length === 3 && t.workers.every((w) => w.alive);
    }, 'three live workers', 60_000);
    expect(c.workerPids().size).toBe(3);

    // Kill: gone from the list, worker processes gone.
    const killed = await c.run('kill', 'wc', '--wait', '1');
    expect(killed.stdout).toContain("Killed 'wc'");
    expect(topologyOf(await c.listJson(), 'wc')).toBeUndefined();
    await eventuallyAsync(() => c.workerPids().size === 0, 'workers to stop', 30_000);
  }, 240_000);

  it('restarts a worker killed with kill -9, and moves work off a dead supervisor; every sentence acked once', async () => {
    const total = 12_000;
    const c = newCluster({ SQUALL_TEST_TOTAL: String(total), SQUALL_TEST_RATE: '1000' });
    c.startCoordinator('c1');
    await c.startSupervisor('s1');
    await c.startSupervisor('s2');
    await waitForSupervisors(c, 2);
    expect((await c.run('submit', fixture, '--name', 'wc', '--workers', '2')).code).toBe(0);
    await eventuallyAsync(() => spout(c).acked > 1000, 'acks to flow', 60_000);

    // kill -9 of a worker: the supervisor starts it again on the same slot.
    const victim = await portWithoutSpout(c, 'wc', 2);
    const pid = pidOnPort(c, victim.port);
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGKILL');
    await eventuallyAsync(() => {
      const again = pidOnPort(c, victim.port);
      return again !== undefined && again !== pid;
    }, 'the worker to be restarted', 30_000);
    await eventuallyAsync(async () => topologyOf(await c.listJson(), 'wc')?.workers.every((w) => w.alive) === true, 'both workers alive', 30_000);
    const afterRestart = spout(c).acked;
    await eventuallyAsync(() => spout(c).acked > afterRestart + 500, 'acks to flow after the restart', 30_000);

    // Kill the supervisor of the worker without the spout: its work moves to the other one.
    const moving = await portWithoutSpout(c, 'wc', 2);
    await c.kill(moving.supervisor);
    const survivor = moving.supervisor === 's1' ? 's2' : 's1';
    await eventuallyAsync(async () => {
      const t = topologyOf(await c.listJson(), 'wc');
      return t !== undefined && t.workers.length === 2 && t.workers.every((w) => w.supervisor === survivor && w.alive);
    }, `both workers on ${survivor}`, 60_000);

    await eventuallyAsync(() => spout(c).acked === total, `${total} acks`, 120_000);
    expect(spout(c).duplicates).toBe(0);
    expect(c.spoutSummaries()).toHaveLength(1); // the spout's worker was never restarted
  }, 240_000);

  it('keeps running when the leading coordinator dies: the standby takes over', async () => {
    const total = 8000;
    const c = newCluster({ SQUALL_TEST_TOTAL: String(total), SQUALL_TEST_RATE: '1000' });
    c.startCoordinator('c1');
    await waitForLeader(c, ['c1']);
    c.startCoordinator('c2');
    await c.startSupervisor('s1');
    await c.startSupervisor('s2');
    await waitForSupervisors(c, 2);
    expect((await c.run('submit', fixture, '--name', 'wc', '--workers', '2')).code).toBe(0);
    await eventuallyAsync(() => spout(c).acked > 500, 'acks to flow', 60_000);

    await c.kill('c1');
    await waitForLeader(c, ['c2']);
    // The new leader answers commands and drives the topology.
    expect((await c.run('deactivate', 'wc')).code).toBe(0);
    await sleep(2000);
    const held = spout(c).emitted;
    await sleep(1500);
    expect(spout(c).emitted).toBe(held);
    expect((await c.run('activate', 'wc')).code).toBe(0);
    await eventuallyAsync(() => spout(c).acked === total, `${total} acks`, 60_000);
    expect(spout(c).duplicates).toBe(0);
  }, 240_000);

  it('recovers from a nats-server restart without manual steps', async () => {
    const own = await startNats();
    try {
      const total = 20_000;
      const c = newCluster({ SQUALL_TEST_TOTAL: String(total), SQUALL_TEST_RATE: '1000' }, own.url);
      c.startCoordinator('c1');
      await c.startSupervisor('s1');
      await c.startSupervisor('s2');
      await waitForSupervisors(c, 2);
      expect((await c.run('submit', fixture, '--name', 'wc', '--workers', '2')).code).toBe(0);
      await eventuallyAsync(() => spout(c).acked > 500, 'acks to flow', 60_000);
      const pids = [...c.workerPids().keys()].sort();

      await own.stop({ keepDir: true });
      await sleep(3000);
      const restarted = await startNats({ port: own.port, dir: own.dir });
      try {
        await eventuallyAsync(async () => {
          const r = await c.run('list', '--json');
          if (r.code !== 0) return false;
          const t = topologyOf(JSON.parse(r.stdout) as ListingJson, 'wc');
          return t !== undefined && t.workers.length === 2 && t.workers.every((w) => w.alive);
        }, 'the cluster to answer with both workers alive', 60_000);
        // Nothing was rescheduled: the same worker processes carry on.
        expect([...c.workerPids().keys()].sort()).toEqual(pids);
        // Control works again: workers follow a deactivate.
        expect((await c.run('deactivate', 'wc')).code).toBe(0);
        await sleep(2500);
        const held = spout(c).emitted;
        await sleep(1500);
        expect(spout(c).emitted).toBe(held);
        expect(spout(c).duplicates).toBe(0);
      } finally {
        await restarted.stop();
      }
    } finally {
      await own.stop();
    }
  }, 240_000);

  it('gives a clear error for each bad submission and command', async () => {
    const c = newCluster({ SQUALL_TEST_TOTAL: '1000000', SQUALL_TEST_RATE: '100', SQUALL_TEST_FAIL_EVERY: '20' });

    // NATS unreachable: the URL tried is named.
    const closed = await freePort();
    const unreachable = await runCli(['list', '--nats', `nats://127.0.0.1:${closed}`]);
    expect(unreachable.code).toBe(4);
    expect(unreachable.stderr).toContain(`cannot reach NATS at nats://127.0.0.1:${closed}`);

    // NATS up, no coordinator yet.
    const noCoordinator = await c.run('list');
    expect(noCoordinator.code).toBe(4);
    expect(noCoordinator.stderr).toMatch(/no coordinator answers/);

    c.startCoordinator('c1');
    await waitForLeader(c, ['c1']);
    // No supervisor alive.
    const noSupervisor = await c.run('submit', fixture, '--name', 'a');
    expect(noSupervisor.code).toBe(5);
    expect(noSupervisor.stderr).toContain('No supervisor is alive');

    await c.startSupervisor('s1', 1);
    await waitForSupervisors(c, 1);
    expect((await c.run('submit', fixture, '--name', 'a')).code).toBe(0);
    // Name in use.
    const again = await c.run('submit', fixture, '--name', 'a');
    expect(again.code).toBe(5);
    expect(again.stderr).toContain("A topology named 'a' is already running");
    // No free slot.
    const full = await c.run('submit', fixture, '--name', 'b');
    expect(full.code).toBe(5);
    expect(full.stderr).toContain('No supervisor has a free slot');
    // Invalid topology: the local-mode message, naming component and field.
    const invalid = await c.run('submit', path.join(root, 'test/fixtures/invalid-topology/topology.ts'), '--name', 'c');
    expect(invalid.code).toBe(3);
    expect(invalid.stderr).toMatch(/component 'count'.*field 'wrod'|field 'wrod'.*component 'count'/);
    // Unknown topology.
    for (const cmd of [['kill', 'nope'], ['activate', 'nope'], ['deactivate', 'nope'], ['rebalance', 'nope', '--workers', '2']]) {
      const r = await c.run(...cmd);
      expect(r.code, cmd.join(' ')).toBe(5);
      expect(r.stderr).toContain("No running topology named 'nope'");
    }
    // A rebalance that cannot be done names the component.
    const badRebalance = await c.run('rebalance', 'a', '-e', 'split=9', '-e', 'nosuch=1');
    expect(badRebalance.code).toBe(3);
    expect(badRebalance.stderr).toContain("component 'split': executors must be a whole number from 1 to its 2 task(s)");
    expect(badRebalance.stderr).toContain("component 'nosuch': no such component");

    // Errors reported by a component are kept in the cluster and listed.
    await eventuallyAsync(async () => topologyOf(await c.listJson(), 'a')?.lastErrors.split !== undefined, 'the reported error of split', 30_000);
    expect(topologyOf(await c.listJson(), 'a')?.lastErrors.split).toMatch(/injected failure of sentence \d+ \(task \d+ on 127\.0\.0\.1:\d+\)/);
    expect((await c.run('list')).stdout).toMatch(/a\/split last error: .*injected failure/);

    // The coordinator validates what reaches it through the API too, not only what the CLI checked.
    const state = await ClusterState.connect({ servers: nats.url, bucketPrefix: c.prefix });
    try {
      const reply = await state.request('submit', {
        name: 'raw',
        packageId: 'none',
        config: {},
        spec: { version: 1, components: { s: { id: 's', kind: 'spout', parallelism: 1, tasks: 1, streams: {}, inputs: [], config: {} }, b: { id: 'b', kind: 'bolt', parallelism: 1, tasks: 1, streams: {}, inputs: [{ component: 's', stream: 'default', grouping: { type: 'shuffle' } }], config: {} } } },
      });
      expect(reply.ok).toBe(false);
      expect(reply.error?.code).toBe('INVALID_TOPOLOGY');
      expect(reply.error?.message).toContain("component 'b'");
      const badName = await state.request('submit', { name: 'no spaces', packageId: 'x', config: {}, spec: { version: 1, components: {} } });
      expect(badName.error?.message).toContain("topology name 'no spaces'");
    } finally {
      await state.close();
    }
  }, 240_000);
});

async function waitForLeader(c: TestCluster, ids: string[]): Promise<void> {
  await eventuallyAsync(async () => {
    const r = await c.run('list', '--json');
    return r.code === 0 && ids.includes((JSON.parse(r.stdout) as ListingJson).leader);
  }, `leader ${ids.join(' or ')}`, 30_000);
}
