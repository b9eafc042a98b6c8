/**
 * Daemon behaviour beyond the happy path: a hung worker (stopped with SIGSTOP, so its process
 * lives but never beats) is killed and restarted by its supervisor; and a NATS server that
 * requires credentials is reached with them, by the CLI, the daemons and the workers alike.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { TestCluster, root, runCli, stopAfterEach } from '../helpers/cluster.js';
import { startNats, startRedis, type RunningServer } from '../helpers/servers.js';
import { redisCounts } from '../helpers/trident.js';
import { eventually, eventuallyAsync } from '../helpers/wait.js';

const fixture = path.join(root, 'test/fixtures/cluster-word-count/topology.ts');
let nats: RunningServer | undefined;
let cluster: TestCluster | undefined;

stopAfterEach(() => {
  const taken = { cluster, nats };
  cluster = nats = undefined;
  return taken;
});

describe('the daemons', () => {
  it('kill and restart a worker that hangs (alive but not beating)', async () => {
    nats = await startNats();
    const c = (cluster = new TestCluster(nats.url, 'hang', { SQUALL_TEST_TOTAL: '1000000', SQUALL_TEST_RATE: '200' }));
    c.startCoordinator('c1');
    await c.startSupervisor('s1', 1);
    await eventuallyAsync(async () => (await c.listJson().catch(() => undefined))?.supervisors.length === 1, 'the supervisor', 30_000);
    expect((await c.run('submit', fixture, '--name', 'wc')).code).toBe(0);
    await eventuallyAsync(async () => (await c.listJson()).topologies[0]?.workers.every((w) => w.alive) === true, 'the worker', 60_000);
    const [pid] = [...c.workerPids().keys()];
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGSTOP');
    // worker.timeout.secs is 4 in the test configuration.
    await eventuallyAsync(() => c.workerPids().size === 1 && !c.workerPids().has(pid as number), 'a new worker process', 30_000);
    // The new process can show in ps before the supervisor's log lines come through its pipe.
    const killed = new RegExp(`pid ${String(pid)}\\) has not beaten for \\d+ s: killing it`);
    await eventually(() => killed.test(c.logs()), `the supervisor's log of killing pid ${String(pid)}`);
    await eventuallyAsync(async () => (await c.listJson()).topologies[0]?.workers.every((w) => w.alive) === true, 'the new worker heartbeating', 60_000);
  }, 120_000);

  it('reach a NATS server that needs a user and password, given in a config file or the environment', async () => {
    nats = await startNats({ args: ['--user', 'squall', '--pass', 's3cret'] });
    const redis = await startRedis();
    onTestFinished(() => redis.stop());
    const c = (cluster = new TestCluster(nats.url, 'auth', {
      SQUALL_TEST_TOTAL: '2000',
      SQUALL_TEST_RATE: '1000',
      SQUALL_NATS_USER: 'squall',
      SQUALL_NATS_PASS: 's3cret',
      SQUALL_TEST_NATS: nats.url,
      SQUALL_TEST_NATS_USER: 'squall',
      SQUALL_TEST_NATS_PASS: 's3cret',
      SQUALL_TEST_REDIS: redis.url,
      SQUALL_TEST_STREAM: 'authwords',
    }));

    // Without credentials: refused, with the URL and the server's reason.
    const refused = await runCli(['list', '--nats', nats.url, '--prefix', 'auth']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain(`cannot reach NATS at ${nats.url}`);
    expect(refused.stderr).toMatch(/authorization/i);

    // From a config file: connected (no coordinator yet is the next thing it says).
    const conf = path.join(c.dir, 'auth.yaml');
    writeFileSync(conf, `nats:\n  servers: ${nats.url}\n  user: squall\n  pass: s3cret\ncluster.prefix: auth\n`);
    const viaFile = await runCli(['list', '--config', conf]);
    expect(viaFile.stderr).toMatch(/no coordinator answers/);

    // Daemons and workers from the environment (the cluster's env carries SQUALL_NATS_USER/PASS).
    c.startCoordinator('c1');
    await c.startSupervisor('s1', 1);
    await eventuallyAsync(async () => (await runCli(['list', '--json', '--config', conf])).stdout.includes('"s1"'), 'the supervisor', 30_000);
    expect((await runCli(['submit', fixture, '--name', 'wc', '--config', conf])).code).toBe(0);
    await eventuallyAsync(() => c.spoutSummaries().reduce((n, s) => n + s.acked, 0) === 2000, 'every sentence acked', 60_000);
    expect((await runCli(['kill', 'wc', '--wait', '0', '--config', conf])).code).toBe(0);

    // A Trident topology's batch metadata goes to the same NATS with the workers' credentials.
    const nc = await connect({ servers: nats.url, user: 'squall', pass: 's3cret' });
    const words: Record<string, number> = {};
    try {
      await (await jetstreamManager(nc)).streams.add({ name: 'authwords', subjects: ['authwords.*'] });
      const js = jetstream(nc);
      for (let i = 0; i < 300; i++) {
        const w = ['red', 'green', 'blue'][i % 3] as string;
        await js.publish(`authwords.${i % 3}`, new TextEncoder().encode(w));
        words[w] = (words[w] ?? 0) + 1;
      }
    } finally {
      await nc.close();
    }
    expect((await runCli(['submit', path.join(root, 'test/fixtures/cluster-trident/topology.ts'), '--name', 'tc', '--config', conf])).code).toBe(0);
    await eventuallyAsync(async () => JSON.stringify(await redisCounts(redis.url, 'tc')) === JSON.stringify({ ...(await redisCounts(redis.url, 'tc')), ...words }), 'exact counts', 60_000);
    expect(await redisCounts(redis.url, 'tc')).toEqual(words);
  }, 180_000);
});
