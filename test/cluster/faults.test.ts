/**
 * Faults that used to stall or slow a cluster of real processes: malformed records in the
 * cluster's buckets, workers that die (once, or in a loop), and supervisors that come back after
 * their work moved away.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRecord } from '../../src/protocol/cluster-records.js';
import { HEALTHY_AFTER_MS } from '../../src/supervisor/supervisor.js';
import { TestCluster, root, type ListingJson, stopAfterEach } from '../helpers/cluster.js';
import { startNats, type RunningServer } from '../helpers/servers.js';
import { eventuallyAsync, sleep } from '../helpers/wait.js';

const fixture = path.join(root, 'test/fixtures/cluster-word-count/topology.ts');

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

function newCluster(env: Record<string, string>): TestCluster {
  cluster = new TestCluster(nats.url, `f${++clusters}`, env);
  return cluster;
}

async function waitForSupervisors(c: TestCluster, n: number): Promise<void> {
  await eventuallyAsync(async () => (await c.listJson().catch(() => undefined))?.supervisors.length === n, `${n} supervisors`, 30_000);
}

const topologyOf = (listing: ListingJson, name: string): ListingJson['topologies'][number] | undefined => listing.topologies.find((t) => t.name === name);

/** How many times `pattern` occurs in `text`. */
const occurrences = (text: string, pattern: RegExp): number => [...text.matchAll(new RegExp(pattern.source, 'g'))].length;

describe('faults that stall or slow a cluster', () => {
  it('lists the good topologies when every bucket holds a malformed record, and names what it skipped', async () => {
    const c = newCluster({ SQUALL_TEST_TOTAL: '1000000', SQUALL_TEST_RATE: '200' });
    c.startCoordinator('c1');
    await c.startSupervisor('s1');
    await waitForSupervisors(c, 1);
    expect((await c.run('submit', fixture, '--name', 'good')).code).toBe(0);
    await eventuallyAsync(async () => topologyOf(await c.listJson(), 'good')?.workers.every((w) => w.alive) === true, 'the worker', 60_000);

    const nc = await connect({ servers: nats.url });
    const garbage = new TextEncoder().encode('this is not a record');
    const buckets = ['topologies', 'assignments', 'errors', 'supervisors', 'workers'];
    try {
      const kvm = new Kvm(nc);
      // The heartbeat buckets expire their entries within seconds: those go in last.
      for (const b of buckets) await (await kvm.open(`${c.prefix}_${b}`)).put('junk', garbage);
      const listed = await c.run('list', '--json');
      expect(listed.stderr).toBe('');
      expect(listed.code).toBe(0);
      const listing = JSON.parse(listed.stdout) as ListingJson;
      expect(listing.topologies.map((t) => t.name)).toEqual(['good']);
      expect(listing.supervisors.map((s) => s.id)).toEqual(['s1']);
      expect(listing.skipped.map((r) => r.bucket).sort()).toEqual(buckets.map((b) => `${c.prefix}_${b}`).sort());
      for (const r of listing.skipped) expect(r.key).toBe('junk');

      const text = await c.run('list');
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^good\s+ACTIVE/m);
      expect(text.stdout).toContain(`Skipped the malformed record 'junk' (revision `);
      expect(text.stdout).toContain(`in bucket ${c.prefix}_topologies: `);
    } finally {
      await nc.close();
    }

    // The coordinator goes on reconciling and says so once per bad record, not every second.
    await sleep(4000);
    const bad = new RegExp(`coordinator c1: skipping the malformed record 'junk' \\(revision \\d+\\) in bucket ${c.prefix}_topologies`);
    expect(occurrences(c.logs(), bad)).toBe(1);
    expect(c.logs()).not.toMatch(/coordinator c1: .*(failed|did not finish)/);
    // Its work is untouched: the worker runs on and a command is served.
    expect((await c.run('deactivate', 'good')).code).toBe(0);
    expect(topologyOf(await c.listJson(), 'good')?.status).toBe('INACTIVE');
  }, 180_000);

  it('restarts a healthy worker killed with kill -9 at once, and backs off only for one that keeps dying as it starts', async () => {
    const crashFile = path.join(tmpdir(), `squall-crash-${process.pid}-${Date.now()}`);
    const c = newCluster({ SQUALL_TEST_TOTAL: '1000000', SQUALL_TEST_RATE: '200', SQUALL_TEST_CRASH_FILE: crashFile });
    c.startCoordinator('c1');
    const [port] = await c.startSupervisor('s1', 1);
    await waitForSupervisors(c, 1);
    expect((await c.run('submit', fixture, '--name', 'wc')).code).toBe(0);
    const pidOf = (): number | undefined => [...c.workerPids().keys()][0];
    await eventuallyAsync(async () => topologyOf(await c.listJson(), 'wc')?.workers.every((w) => w.alive) === true, 'the worker', 60_000);
    // Healthy: it has beaten for longer than HEALTHY_AFTER_MS.
    await sleep(HEALTHY_AFTER_MS + 2000);
    const healthy = pidOf();
    expect(healthy).toBeDefined();
    process.kill(healthy as number, 'SIGKILL');
    await eventuallyAsync(() => pidOf() !== undefined && pidOf() !== healthy, 'the worker started again', 30_000);
    // The supervisor's log may still be in the pipe when ps already shows the new worker.
    const restart = new RegExp(`\\(pid ${String(healthy)}\\) was killed by SIGKILL; restarting in (\\d+) ms`);
    await eventuallyAsync(() => restart.test(c.logs()), 'the supervisor to log the restart', 10_000);
    expect(restart.exec(c.logs())?.[1]).toBe('0');
    await eventuallyAsync(async () => topologyOf(await c.listJson(), 'wc')?.workers.every((w) => w.alive) === true, 'the restarted worker', 60_000);

    // Now every new worker dies as it starts: the supervisor waits longer after each death.
    writeFileSync(crashFile, '');
    try {
      process.kill(pidOf() as number, 'SIGKILL');
      const restartDelays = (): number[] =>
        [...c.logs().matchAll(new RegExp(`worker of 'wc' on port ${String(port)} \\(pid \\d+\\) (?:was killed by SIGKILL|exited with code \\d+); restarting in (\\d+) ms`, 'g'))].map((m) =>
          Number(m[1]),
        );
      await eventuallyAsync(() => restartDelays().includes(4000), 'a restart delayed by 4 s', 120_000);
      // The healthy death, then the crash loop from its first death: at once, 1 s, 2 s, 4 s.
      expect(restartDelays().slice(0, 5)).toEqual([0, 0, 1000, 2000, 4000]);
      expect(c.logs()).toContain('injected crash at start');
    } finally {
      rmSync(crashFile, { force: true });
    }
    // Once the cause is gone, the worker comes back.
    await eventuallyAsync(async () => topologyOf(await c.listJson(), 'wc')?.workers.every((w) => w.alive) === true, 'the worker after the crash loop', 90_000);
  }, 300_000);

  it('spreads a topology again when a supervisor comes back after its work moved away', async () => {
    const c = newCluster({ SQUALL_TEST_TOTAL: '1000000', SQUALL_TEST_RATE: '500' });
    c.startCoordinator('c1');
    await c.startSupervisor('s1');
    await c.startSupervisor('s2');
    await waitForSupervisors(c, 2);
    expect((await c.run('submit', fixture, '--name', 'wc', '--workers', '2')).code).toBe(0);
    const supervisorsOf = async (): Promise<string[]> =>
      (topologyOf(await c.listJson(), 'wc')?.workers.filter((w) => w.alive).map((w) => w.supervisor) ?? []).sort();
    await eventuallyAsync(async () => (await supervisorsOf()).join() === 's1,s2', 'a worker on each supervisor', 60_000);

    await c.kill('s1');
    await eventuallyAsync(async () => (await supervisorsOf()).join() === 's2,s2', 'both workers on s2', 60_000);
    // s1 comes back, idle: the coordinator moves one worker to it, and says which and why.
    await c.startSupervisor('s1');
    await eventuallyAsync(async () => (await supervisorsOf()).join() === 's1,s2', 'a worker on each supervisor again', 90_000);
    expect(c.logs()).toMatch(/topology 'wc' is unbalanced \(s1: 0 workers, s2: 2 workers\): moved its worker on s2:\d+ to the free slot s1:\d+/);
    const acked = (): number => c.spoutSummaries().reduce((n, x) => Math.max(n, x.acked), 0);
    const before = acked();
    await eventuallyAsync(() => acked() > before + 200, 'acks after the move', 60_000);
    expect(topologyOf(await c.listJson(), 'wc')?.hint).toBeUndefined();
  }, 300_000);

  it('says in squall list what to do about a topology on fewer workers than it asked for', async () => {
    const c = newCluster({ SQUALL_TEST_TOTAL: '1000000', SQUALL_TEST_RATE: '200' });
    c.startCoordinator('c1');
    await c.startSupervisor('s1', 1);
    await c.startSupervisor('s2', 1);
    await waitForSupervisors(c, 2);
    expect((await c.run('submit', fixture, '--name', 'wc', '--workers', '2')).code).toBe(0);
    await eventuallyAsync(async () => topologyOf(await c.listJson(), 'wc')?.workers.filter((w) => w.alive).length === 2, 'two workers', 60_000);
    // s1 dies; its work joins the only other slot, and no respread can make that two workers.
    await c.kill('s1');
    await eventuallyAsync(async () => topologyOf(await c.listJson(), 'wc')?.workers.length === 1, 'one worker left', 60_000);
    await c.startSupervisor('s1', 1);
    await waitForSupervisors(c, 2);
    const hint = 'runs on 1 of 2 requested workers (not enough slots were free): run `squall rebalance wc` once slots are free';
    expect(topologyOf(await c.listJson(), 'wc')?.hint).toBe(hint);
    expect((await c.run('list')).stdout).toContain(`wc ${hint}`);
    // Following the hint mends it.
    expect((await c.run('rebalance', 'wc', '--wait', '0')).code).toBe(0);
    await eventuallyAsync(async () => topologyOf(await c.listJson(), 'wc')?.workers.filter((w) => w.alive).length === 2, 'two workers again', 60_000);
    expect(topologyOf(await c.listJson(), 'wc')?.hint).toBeUndefined();
  }, 300_000);
  it('refuses an API request whose arguments are malformed, naming the argument, and keeps serving', async () => {
    const c = newCluster({});
    c.startCoordinator('c1');
    await eventuallyAsync(async () => (await c.listJson().catch(() => undefined)) !== undefined, 'the coordinator to answer', 30_000);
    const nc = await connect({ servers: nats.url });
    try {
      // Sent by hand, as any client allowed to publish on the subject could.
      const ask = async (op: string, args: unknown) =>
        decodeRecord('reply', (await nc.request(`${c.prefix}.api.${op}`, new TextEncoder().encode(JSON.stringify({ v: 1, op, args })), { timeout: 10_000 })).data);
      const badWait = await ask('kill', { name: 'wc', waitSecs: 'soon' });
      expect(badWait.ok).toBe(false);
      expect(badWait.error?.message).toMatch(/waitSecs/);
      const badExecutors = await ask('rebalance', { name: 'wc', executors: { split: -2 } });
      expect(badExecutors.ok).toBe(false);
      expect(badExecutors.error?.message).toMatch(/executors/);
      // Still serving: a well-formed request is answered.
      expect((await ask('list', {})).ok).toBe(true);
    } finally {
      await nc.close();
    }
  }, 120_000);
});
