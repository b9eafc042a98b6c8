/**
 * Faults that used to stall or slow a cluster of real processes: malformed records in the
 * cluster's buckets, workers that die (once, or in a loop), and supervisors that come back after
 * their work moved away.
 */
import * as path from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, root, type ListingJson } from '../helpers/cluster.js';
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
afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail' && cluster !== undefined) process.stderr.write(`${cluster.logs()}\n`);
  cluster?.stop();
  cluster = undefined;
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
});
