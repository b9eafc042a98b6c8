import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/cluster/index.js';
import { natsServers } from '../../src/config/index.js';
import { decodeRecord, encodeRecord, type TopologyRecord } from '../../src/protocol/cluster-records.js';
import { startNats, type RunningServer } from '../helpers/servers.js';
import { sleep } from '../helpers/wait.js';

let nats: RunningServer;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats?.stop();
});

const record = (name: string): TopologyRecord => ({
  v: 1,
  name,
  status: 'ACTIVE',
  spec: { version: 1, components: {} },
  config: { 'topology.workers': 2 },
  packageId: `pkg-${name}`,
  submittedAt: Date.now(),
});

describe('cluster state in NATS JetStream', () => {
  it('stores, lists and deletes topologies; a name can be taken once', async () => {
    const state = await ClusterState.connect({ servers: nats.url });
    try {
      expect(await state.createTopology(record('wc'))).toBe(true);
      expect(await state.createTopology(record('wc'))).toBe(false);
      await state.putTopology(record('other'));
      expect((await state.listTopologies()).map((t) => t.name)).toEqual(['other', 'wc']);
      expect((await state.getTopology('wc'))?.packageId).toBe('pkg-wc');
      await state.putAssignment({ v: 1, topology: 'wc', version: 1, workers: [{ supervisor: 's1', host: '127.0.0.1', port: 6700, tasks: [1, 2] }] });
      expect((await state.getAssignment('wc'))?.workers[0]?.tasks).toEqual([1, 2]);
      await state.deleteTopology('wc');
      expect(await state.getTopology('wc')).toBeUndefined();
      expect(await state.getAssignment('wc')).toBeUndefined();
    } finally {
      await state.close();
    }
  });

  it('forgets a supervisor that stops heartbeating', async () => {
    const state = await ClusterState.connect({ servers: nats.url, heartbeatTtlMs: 1000, bucketPrefix: 'hb' });
    try {
      await state.heartbeatSupervisor({ v: 1, id: 'sup-a', host: 'a', slots: [6700, 6701], time: Date.now() });
      expect((await state.liveSupervisors()).map((s) => s.id)).toContain('sup-a');
      await sleep(2500);
      expect((await state.liveSupervisors()).map((s) => s.id)).not.toContain('sup-a');
    } finally {
      await state.close();
    }
  });

  it('gives the leader lease to one coordinator at a time, and to a standby when the leader stops', async () => {
    const a = await ClusterState.connect({ servers: nats.url, leaseTtlMs: 1000, name: 'a', bucketPrefix: 'lease' });
    const b = await ClusterState.connect({ servers: nats.url, leaseTtlMs: 1000, name: 'b', bucketPrefix: 'lease' });
    try {
      const leaderA = await a.tryAcquireLeadership('coord-a', 'host-a');
      expect(leaderA).toBeDefined();
      expect(await b.tryAcquireLeadership('coord-b', 'host-b')).toBeUndefined();
      expect(await leaderA!.renew()).toBe(true);
      expect((await b.currentLeader())?.id).toBe('coord-a');
      // A stops renewing (as if it died): after the TTL, B takes over, and A's renewal fails.
      let leaderB: Awaited<ReturnType<ClusterState['tryAcquireLeadership']>>;
      const deadline = Date.now() + 10_000;
      while ((leaderB = await b.tryAcquireLeadership('coord-b', 'host-b')) === undefined && Date.now() < deadline) await sleep(200);
      expect(leaderB?.lease.id).toBe('coord-b');
      expect(await leaderA!.renew()).toBe(false);
      await leaderB!.release();
      expect(await a.tryAcquireLeadership('coord-a', 'host-a')).toBeDefined();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a record of another version or shape with a clear error', () => {
    const bytes = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
    expect(() => decodeRecord('topology', bytes({ ...record('x'), v: 2 }))).toThrow(/version 2 is not supported/);
    expect(() => decodeRecord('assignment', bytes({ v: 1, topology: 't', version: 1, workers: [{ supervisor: 's', host: 'h', port: 'x', tasks: [] }] }))).toThrow(
      /assignment.workers\[0\].port must be a number/,
    );
    expect(() => decodeRecord('lease', new TextEncoder().encode('{'))).toThrow(/Invalid lease record: not JSON/);
  });

  it('names the NATS URL it could not reach', async () => {
    await expect(ClusterState.connect({ servers: 'nats://127.0.0.1:1' })).rejects.toThrow(/cannot reach NATS at nats:\/\/127.0.0.1:1/);
    expect(natsServers('nats://a:1, nats://b:2')).toEqual(['nats://a:1', 'nats://b:2']);
  });

  it("serves an API operation only on its own subject: a body naming another operation is refused", async () => {
    const state = await ClusterState.connect({ servers: nats.url, bucketPrefix: 'apisubj' });
    const handled: string[] = [];
    const sub = state.serveApi((request) => {
      handled.push(request.op);
      return Promise.resolve({ done: request.op });
    });
    try {
      expect(await state.request('list', {})).toMatchObject({ ok: true, result: { done: 'list' } });
      // Sent by hand, as anyone allowed to publish to squall.api.list could.
      const forged = await state.connection.request('apisubj.api.list', encodeRecord('request', { v: 1, op: 'deactivate', args: { name: 'wc' } }));
      const reply = decodeRecord('reply', forged.data);
      expect(reply.ok).toBe(false);
      expect(reply.error?.message).toMatch(/refused a request on apisubj\.api\.list whose body names the operation 'deactivate'/);
      expect(handled).toEqual(['list']);
    } finally {
      sub.unsubscribe();
      await state.close();
    }
  });
});
