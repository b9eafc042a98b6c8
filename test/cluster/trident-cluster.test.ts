/**
 * Trident in a cluster: words from a NATS JetStream stream counted into opaque Redis state by a
 * topology spread over two worker processes; workers are killed with kill -9 while batches run,
 * and the counts in Redis must still come out exactly right.
 */
import * as path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, root, stopAfterEach, type ListingJson } from '../helpers/cluster.js';
import { startNats, startRedis, type RunningServer } from '../helpers/servers.js';
import { eventuallyAsync, sleep } from '../helpers/wait.js';
import { redisCounts } from '../helpers/trident.js';

const fixture = path.join(root, 'test/fixtures/cluster-trident/topology.ts');
const WORDS = ['red', 'green', 'blue', 'cyan', 'magenta', 'yellow', 'black'];
const STREAM = 'words';

let nats: RunningServer;
let redis: RunningServer;
let nc: NatsConnection;
let cluster: TestCluster | undefined;

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  nc = await connect({ servers: nats.url });
  await (await jetstreamManager(nc)).streams.add({ name: STREAM, subjects: [`${STREAM}.*`] });
});
afterAll(async () => {
  await nc?.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
});
stopAfterEach(() => {
  const taken = { cluster };
  cluster = undefined;
  return taken;
});

async function publish(n: number, seed: number, into: Record<string, number>, conn: NatsConnection = nc): Promise<void> {
  const js = jetstream(conn);
  for (let i = 0; i < n; i++) {
    const word = WORDS[(i * 3 + seed) % WORDS.length] as string;
    // Retried while NATS is restarting; the message id makes a retry of a stored message a no-op.
    for (let tries = 0; ; tries++) {
      try {
        await js.publish(`${STREAM}.${(i + seed) % 3}`, new TextEncoder().encode(word), { msgID: `${seed}-${i}`, timeout: 2000 });
        break;
      } catch (err) {
        if (tries >= 30) throw err;
        await sleep(500);
      }
    }
    into[word] = (into[word] ?? 0) + 1;
  }
}

const total = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

describe('Trident in a cluster', () => {
  it('counts exactly once in Redis while workers are killed with kill -9', async () => {
    const c = (cluster = new TestCluster(nats.url, 'trident', { SQUALL_TEST_NATS: nats.url, SQUALL_TEST_REDIS: redis.url, SQUALL_TEST_STREAM: STREAM }));
    c.startCoordinator('c1');
    await c.startSupervisor('s1');
    await c.startSupervisor('s2');
    await eventuallyAsync(async () => (await c.listJson().catch(() => undefined))?.supervisors.length === 2, 'two supervisors', 30_000);
    const expected: Record<string, number> = {};
    await publish(3000, 1, expected);
    const submitted = await c.run('submit', fixture, '--name', 'tc', '--workers', '2');
    expect(submitted.stderr).toBe('');
    expect(submitted.code).toBe(0);
    await eventuallyAsync(async () => total(await redisCounts(redis.url, 'tc')) > 0, 'the first commits', 60_000);

    // Kill each worker once while batches are in flight, publishing more in between.
    const listing = (await c.listJson()) as ListingJson;
    const ports = listing.topologies.find((t) => t.name === 'tc')?.workers.map((w) => w.port) ?? [];
    expect(ports).toHaveLength(2);
    for (const [i, port] of ports.entries()) {
      const pid = [...c.workerPids()].find(([, args]) => args.includes(`--port ${port} `))?.[0];
      expect(pid, `worker on ${port}`).toBeDefined();
      process.kill(pid as number, 'SIGKILL');
      await publish(1500, i + 2, expected);
      await eventuallyAsync(() => [...c.workerPids().values()].some((args) => args.includes(`--port ${port} `)), `a worker on ${port} again`, 30_000);
      const before = total(await redisCounts(redis.url, 'tc'));
      await eventuallyAsync(async () => total(await redisCounts(redis.url, 'tc')) > before, 'commits after the restart', 60_000);
    }
    await publish(500, 9, expected);

    let last: Record<string, number> = {};
    await eventuallyAsync(async () => total((last = await redisCounts(redis.url, 'tc'))) >= total(expected), 'every word counted', 120_000).catch((err: unknown) => {
      expect(last).toEqual(expected);
      throw err;
    });
    expect(await redisCounts(redis.url, 'tc')).toEqual(expected);
  }, 300_000);

  it('commits again after nats-server restarts mid-run, metadata in NATS KV, counts exact', async () => {
    // A nats-server of its own: stopping it must not disturb the other test's server.
    let own = await startNats();
    const conn = await connect({ servers: own.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    try {
      await (await jetstreamManager(conn)).streams.add({ name: STREAM, subjects: [`${STREAM}.*`] });
      const env = { SQUALL_TEST_NATS: own.url, SQUALL_TEST_REDIS: redis.url, SQUALL_TEST_STREAM: STREAM };
      const c = (cluster = new TestCluster(own.url, 'tridentnats', env));
      c.startCoordinator('c1');
      await c.startSupervisor('s1');
      await eventuallyAsync(async () => (await c.listJson().catch(() => undefined))?.supervisors.length === 1, 'the supervisor', 30_000);
      const expected: Record<string, number> = {};
      await publish(2000, 1, expected, conn);
      expect((await c.run('submit', fixture, '--name', 'tn', '--workers', '1')).code).toBe(0);
      await eventuallyAsync(async () => total(await redisCounts(redis.url, 'tn')) > 0, 'the first commits', 60_000);
      const pids = [...c.workerPids().keys()];

      // NATS goes away while batches run (the coordinator state, the batch metadata and the
      // spout's stream all live there), and comes back on its data a few seconds later.
      await own.stop({ keepDir: true });
      await sleep(3000);
      own = await startNats({ port: own.port, dir: own.dir });
      const before = total(await redisCounts(redis.url, 'tn'));
      await publish(1500, 2, expected, conn);
      await eventuallyAsync(async () => total(await redisCounts(redis.url, 'tn')) > before, 'commits after nats-server came back', 90_000);
      // The same worker carries on: nothing was killed by hand or by the supervisor.
      expect([...c.workerPids().keys()]).toEqual(pids);

      let last: Record<string, number> = {};
      await eventuallyAsync(async () => total((last = await redisCounts(redis.url, 'tn'))) >= total(expected), 'every word counted', 120_000).catch((err: unknown) => {
        expect(last).toEqual(expected);
        throw err;
      });
      expect(await redisCounts(redis.url, 'tn')).toEqual(expected);
    } finally {
      await conn.close();
      await own.stop();
    }
  }, 300_000);
});
