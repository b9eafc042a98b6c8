/**
 * TLS and NATS credentials files, end to end: a nats-server that requires client certificates
 * (from a CA made with openssl in the test), and one in operator mode that takes only a creds file
 * (JWT + nkey seed). The CLI, coordinator, supervisor, workers, the Trident metadata store and the
 * JetStream spout each connect with the settings they are given, or are refused without them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, credsAuthenticator, type NodeConnectionOptions } from '@nats-io/transport-node';
import { TestCluster, root, runCli, stopAfterEach } from '../helpers/cluster.js';
import { makeOperatorAuth, makePki } from '../helpers/nats-security.js';
import { startNats, startRedis, type RunningServer } from '../helpers/servers.js';
import { redisCounts } from '../helpers/trident.js';
import { eventuallyAsync } from '../helpers/wait.js';

const wordCount = path.join(root, 'test/fixtures/cluster-word-count/topology.ts');
const trident = path.join(root, 'test/fixtures/cluster-trident/topology.ts');
let nats: RunningServer | undefined;
let cluster: TestCluster | undefined;

stopAfterEach(() => {
  const taken = { cluster, nats };
  cluster = nats = undefined;
  return taken;
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'squall-natssec-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Everything that connects to NATS, given `env` (SQUALL_NATS_* for the daemons, CLI and workers;
 * SQUALL_TEST_NATS_* for the fixture's JetStream spout): word count acked, then Trident counts
 * exact with the metadata in the cluster's NATS.
 */
async function runEverything(server: RunningServer, prefix: string, env: Record<string, string>, login: Partial<NodeConnectionOptions>): Promise<void> {
  const redis = await startRedis();
  onTestFinished(() => redis.stop());
  // Without the settings: refused, with the URL named.
  const refused = await runCli(['list', '--nats', server.url, '--prefix', prefix]);
  expect(refused.code).toBe(4);
  expect(refused.stderr).toContain(`cannot reach NATS at ${server.url}`);

  const total = 1500;
  const c = (cluster = new TestCluster(server.url, prefix, {
    SQUALL_TEST_TOTAL: String(total),
    SQUALL_TEST_RATE: '1000',
    SQUALL_TEST_NATS: server.url,
    SQUALL_TEST_REDIS: redis.url,
    SQUALL_TEST_STREAM: `${prefix}words`,
    ...env,
  }));
  c.startCoordinator('c1');
  await c.startSupervisor('s1', 2);
  await eventuallyAsync(async () => (await c.listJson().catch(() => undefined))?.supervisors.length === 1, 'the supervisor', 30_000);
  const submitted = await c.run('submit', wordCount, '--name', 'wc', '--workers', '2');
  expect(submitted.stderr).toBe('');
  await eventuallyAsync(() => c.spoutSummaries().reduce((n, s) => n + s.acked, 0) === total, 'every sentence acked', 60_000);
  expect((await c.run('kill', 'wc', '--wait', '0')).code).toBe(0);
  await eventuallyAsync(async () => (await c.listJson()).topologies.length === 0, 'word count gone', 30_000);

  const nc = await connect({ servers: server.url, ...login });
  const words: Record<string, number> = {};
  try {
    await (await jetstreamManager(nc)).streams.add({ name: `${prefix}words`, subjects: [`${prefix}words.*`] });
    const js = jetstream(nc);
    for (let i = 0; i < 300; i++) {
      const w = ['red', 'green', 'blue'][i % 3] as string;
      await js.publish(`${prefix}words.${i % 3}`, new TextEncoder().encode(w));
      words[w] = (words[w] ?? 0) + 1;
    }
  } finally {
    await nc.close();
  }
  const tc = await c.run('submit', trident, '--name', 'tc', '--workers', '2');
  expect(tc.stderr).toBe('');
  const sorted = (r: Record<string, number>): string => JSON.stringify(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
  await eventuallyAsync(async () => sorted(await redisCounts(redis.url, 'tc')) === sorted(words), 'exact Trident counts', 90_000);
  expect(c.logs()).not.toMatch(/cannot reach NATS/);
}

describe('NATS over TLS and with a creds file', () => {
  it('reaches a nats-server that requires TLS client certificates, from every component', async () => {
    const pki = makePki(tempDir());
    nats = await startNats({ args: ['--tls', '--tlscert', pki.serverCert, '--tlskey', pki.serverKey, '--tlscacert', pki.ca, '--tlsverify'] });
    const tls = { SQUALL_NATS_TLS_CA: pki.ca, SQUALL_NATS_TLS_CERT: pki.clientCert, SQUALL_NATS_TLS_KEY: pki.clientKey };
    // A CA alone is not enough: the server wants a client certificate.
    const noCert = await runCli(['list', '--nats', nats.url, '--prefix', 'tls'], { SQUALL_NATS_TLS_CA: pki.ca });
    expect(noCert.code).toBe(4);
    await runEverything(
      nats,
      'tls',
      { ...tls, SQUALL_TEST_NATS_TLS_CA: pki.ca, SQUALL_TEST_NATS_TLS_CERT: pki.clientCert, SQUALL_TEST_NATS_TLS_KEY: pki.clientKey },
      { tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey } },
    );
    // A client certificate counts as a login: the workers ran CURVE.
    expect(cluster?.logs()).toMatch(/CURVE between workers/);
  }, 240_000);

  it('reaches a nats-server in operator mode with a creds file, from every component', async () => {
    const dir = tempDir();
    const auth = makeOperatorAuth(dir);
    const conf = path.join(dir, 'nats.conf');
    writeFileSync(conf, auth.config);
    nats = await startNats({ args: ['-c', conf] });
    await runEverything(nats, 'creds', { SQUALL_NATS_CREDS: auth.credsFile, SQUALL_TEST_NATS_CREDS: auth.credsFile }, { authenticator: credsAuthenticator(readFileSync(auth.credsFile)) });
  }, 240_000);
});
