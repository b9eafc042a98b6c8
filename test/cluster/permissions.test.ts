/**
 * NATS subject permissions decide who may do what, as ARCHITECTURE.md ("NATS permissions")
 * documents them: a nats-server with an authorization config of four users (a read-only viewer,
 * an operator, the coordinators' user and the supervisors'/workers' user), each running what
 * its role runs, and refused what it may not do.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { TestCluster, root, runCli, stopAfterEach } from '../helpers/cluster.js';
import { startNats, type RunningServer } from '../helpers/servers.js';
import { eventuallyAsync } from '../helpers/wait.js';

const fixture = path.join(root, 'test/fixtures/cluster-word-count/topology.ts');
let nats: RunningServer | undefined;
let cluster: TestCluster | undefined;

stopAfterEach(() => {
  const taken = { cluster, nats };
  cluster = nats = undefined;
  return taken;
});

/** The permissions of ARCHITECTURE.md for the cluster prefix `p`, as a nats-server config. */
function authorization(p: string): string {
  const list = (xs: string[]): string => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  const user = (name: string, pub: string[], sub: string[], deny: string[] = []): string =>
    `    { user: ${name}, password: ${name}-pw, permissions: { publish: { allow: ${list(pub)}${deny.length > 0 ? `, deny: ${list(deny)}` : ''} }, subscribe: { allow: ${list(sub)} } } }`;
  const packages = `OBJ_${p}_packages`;
  return [
    'authorization: {',
    '  users: [',
    user('viewer', [`${p}.api.list`], ['_INBOX.>']),
    user(
      'operator',
      [`${p}.api.>`, '$JS.API.INFO', `$JS.API.STREAM.CREATE.${packages}`, `$JS.API.STREAM.INFO.${packages}`, `$JS.API.STREAM.PURGE.${packages}`, `$JS.API.STREAM.MSG.GET.${packages}`, `$JS.API.DIRECT.GET.${packages}.>`, `$O.${p}_packages.>`],
      ['_INBOX.>'],
    ),
    user('coordinator', ['>'], [`${p}.api.*`, '_INBOX.>']),
    user(
      'worker',
      ['$JS.API.>', '$JS.FC.>', '$JS.ACK.>', '$KV.*.>'],
      ['_INBOX.>'],
      [`${p}.api.>`, `$KV.${p}_topologies.>`, `$KV.${p}_assignments.>`, `$KV.${p}_leader.>`, '$JS.API.STREAM.DELETE.>', '$JS.API.STREAM.PURGE.>', '$JS.API.STREAM.UPDATE.>', '$JS.API.STREAM.MSG.DELETE.>'],
    ),
    '  ]',
    '}',
    '',
  ].join('\n');
}

describe('NATS permissions per role', () => {
  it('a viewer lists but cannot kill, a worker user runs workers but cannot kill, an operator submits and kills', async () => {
    const prefix = 'perm';
    const conf = path.join(mkdtempSync(path.join(tmpdir(), 'squall-perm-')), 'nats.conf');
    onTestFinished(() => rmSync(path.dirname(conf), { recursive: true, force: true }));
    writeFileSync(conf, authorization(prefix));
    nats = await startNats({ args: ['-c', conf] });
    const total = 2000;
    const c = (cluster = new TestCluster(nats.url, prefix, {
      SQUALL_TEST_TOTAL: String(total),
      SQUALL_TEST_RATE: '1000',
      SQUALL_NATS_USER: 'worker',
      SQUALL_NATS_PASS: 'worker-pw',
    }));
    const as = (name: string): string => {
      const file = path.join(c.dir, `${name}.yaml`);
      writeFileSync(file, `nats:\n  servers: ${nats?.url ?? ''}\n  user: ${name}\n  pass: ${name}-pw\ncluster.prefix: ${prefix}\n`);
      return file;
    };
    const run = (user: string, ...args: string[]) => runCli([...args, '--config', as(user)], { SQUALL_TEST_OUT: c.out });

    c.startCoordinator('c1', { SQUALL_NATS_USER: 'coordinator', SQUALL_NATS_PASS: 'coordinator-pw' });
    await c.startSupervisor('s1', 2);
    await eventuallyAsync(async () => (await run('viewer', 'list', '--json')).stdout.includes('"s1"'), 'the supervisor, listed by the viewer', 30_000);

    // The viewer may not put a package in the store, so it cannot submit.
    const viewerSubmit = await run('viewer', 'submit', fixture, '--name', 'wc');
    expect(viewerSubmit.code).not.toBe(0);
    expect(viewerSubmit.stderr).toMatch(/permission/i);

    const submitted = await run('operator', 'submit', fixture, '--name', 'wc', '--workers', '2');
    expect(submitted.stderr).toBe('');
    expect(submitted.code).toBe(0);
    // Supervisors and workers run as the worker user: every sentence acked across two workers.
    await eventuallyAsync(() => c.spoutSummaries().reduce((n, s) => n + s.acked, 0) === total, `${total} acks`, 90_000);

    const listed = await run('viewer', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/wc\s+ACTIVE\s+2\/2/);
    for (const user of ['viewer', 'worker']) {
      const refused = await run(user, 'kill', 'wc', '--wait', '0');
      expect(refused.code, `${user}: ${refused.stderr}`).toBe(4);
      expect(refused.stderr).toMatch(/NATS does not let this user kill \(no permission to publish to perm\.api\.kill/);
    }
    expect((await run('viewer', 'list')).stdout).toMatch(/wc\s+ACTIVE/);

    const killed = await run('operator', 'kill', 'wc', '--wait', '0');
    expect(killed.stderr).toBe('');
    expect(killed.code).toBe(0);
    await eventuallyAsync(async () => !(await run('viewer', 'list')).stdout.includes('wc'), 'the topology gone', 30_000);
    expect(c.logs()).not.toMatch(/Permissions Violation/i);
  }, 180_000);
});
