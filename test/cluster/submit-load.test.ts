/**
 * `squall submit` of topologies as users write them, to a cluster of real processes: one that
 * imports a CommonJS npm package (ioredis) runs on a worker; one that throws while it loads is
 * refused by submit with its error; one that loads at submit but not on the worker's machine has
 * its worker's failure shown by `squall list`.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, root, stopAfterEach, type ListingJson } from '../helpers/cluster.js';
import { startNats, startRedis, type RunningServer } from '../helpers/servers.js';
import { eventuallyAsync } from '../helpers/wait.js';

let nats: RunningServer;
let redis: RunningServer;
let cluster: TestCluster | undefined;
let clusters = 0;

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
});
afterAll(async () => {
  await Promise.all([nats?.stop(), redis?.stop()]);
});
stopAfterEach(() => {
  const taken = { cluster };
  cluster = undefined;
  return taken;
});

/** A coordinator and one supervisor whose workers see `workerEnv` (their machine's environment). */
async function startCluster(workerEnv: Record<string, string> = {}): Promise<TestCluster> {
  const c = (cluster = new TestCluster(nats.url, `load${++clusters}`));
  c.startCoordinator('c1');
  await c.startSupervisor('s1', 2, { env: workerEnv });
  await eventuallyAsync(
    async () => {
      const r = await c.run('list', '--json');
      return r.code === 0 && (JSON.parse(r.stdout) as ListingJson).supervisors.length === 1;
    },
    'a leader and the supervisor',
    30_000,
  );
  return c;
}

/** A user's project outside the repository: a CommonJS package.json, its own node_modules. */
function project(files: Record<string, string>, modules: string[] = []): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'squall-user-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'user-topology', version: '1.0.0' }));
  mkdirSync(path.join(dir, 'node_modules'));
  for (const m of modules) symlinkSync(path.join(root, 'node_modules', m), path.join(dir, 'node_modules', m), 'dir');
  for (const [rel, text] of Object.entries(files)) writeFileSync(path.join(dir, rel), text);
  return dir;
}

const WORDS = `
class Words extends BaseRichSpout {
  n = 0;
  nextTuple() { if (this.n < 20) this.collector.emit(['w' + (this.n % 4)], this.n++); }
  declareOutputFields(d) { d.declare(['word']); }
}`;

function topologyOf(listing: ListingJson, name: string): ListingJson['topologies'][number] | undefined {
  return listing.topologies.find((t) => t.name === name);
}

describe('submitting topologies as users write them', () => {
  it('runs a topology that imports ioredis (CommonJS) on a worker', async () => {
    const c = await startCluster();
    const keyPrefix = `submit-load-${Date.now()}:`;
    const dir = project(
      {
        'topology.ts': `import Redis from 'ioredis';
import { BaseRichBolt, BaseRichSpout, TopologyBuilder } from 'squall';
${WORDS}
class CountInRedis extends BaseRichBolt {
  override prepare(...args) {
    super.prepare(...args);
    this.redis = new Redis({ port: ${redis.port}, keyPrefix: '${keyPrefix}' });
  }
  async execute(t) {
    await this.redis.incr(t.getStringByField('word'));
    this.collector.ack(t);
  }
  override cleanup() { this.redis.disconnect(); }
}
const b = new TopologyBuilder();
b.setSpout('words', Words);
b.setBolt('count', CountInRedis).shuffleGrouping('words');
export default b.createTopology();
`,
      },
      ['ioredis'],
    );
    const submitted = await c.run('submit', path.join(dir, 'topology.ts'), '--name', 'redis-words');
    expect(submitted.stderr).toBe('');
    expect(submitted.code).toBe(0);
    const client = new Redis({ port: redis.port, keyPrefix });
    try {
      // Twenty words, five of each, counted by the worker through ioredis.
      await eventuallyAsync(async () => (await client.mget('w0', 'w1', 'w2', 'w3')).every((n) => n === '5'), 'the counts in Redis', 60_000);
    } finally {
      client.disconnect();
    }
    const listed = topologyOf(await c.listJson(), 'redis-words');
    expect(listed?.lastErrors).toEqual({});
    expect(listed?.workers.every((w) => w.alive)).toBe(true);
  }, 180_000);

  it('refuses a topology that throws while it loads, with its error and exit code 2, and submits nothing', async () => {
    const c = await startCluster();
    const dir = project({ 'topology.mjs': `throw new Error('the topology needs SOME_API_KEY');\nexport default null;\n` });
    const r = await c.run('submit', path.join(dir, 'topology.mjs'), '--name', 'throws');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the topology needs SOME_API_KEY');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    expect(topologyOf(await c.listJson(), 'throws')).toBeUndefined();
  }, 180_000);

  it('shows in squall list why a worker cannot load a topology that loaded at submit', async () => {
    // The workers' machine lacks what the submitting one had.
    const c = await startCluster({ SQUALL_TEST_WORKER_MACHINE: '1' });
    const dir = project({
      'topology.ts': `import { BaseRichSpout, TopologyBuilder } from 'squall';
${WORDS}
if (process.env.SQUALL_TEST_WORKER_MACHINE === '1') throw new Error('no GPU on this machine');
const b = new TopologyBuilder();
b.setSpout('words', Words);
export default b.createTopology();
`,
    });
    const r = await c.run('submit', path.join(dir, 'topology.ts'), '--name', 'machine');
    expect(r.code, r.stderr).toBe(0);
    let error = '';
    await eventuallyAsync(
      async () => {
        error = topologyOf(await c.listJson(), 'machine')?.lastErrors.__worker ?? '';
        return error !== '';
      },
      "the worker's error in squall list",
      60_000,
    );
    expect(error).toMatch(/^worker cannot start: Cannot load topology from .*: no GPU on this machine \(worker on 127\.0\.0\.1:\d+\)$/);
    const text = await c.run('list');
    expect(text.stdout).toContain('machine/__worker last error: worker cannot start:');
  }, 180_000);
});
