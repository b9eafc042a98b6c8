import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDaemonConfig } from '../../src/config/index.js';

const file = (name: string, text: string): string => {
  const f = path.join(mkdtempSync(path.join(tmpdir(), 'squall-conf-')), name);
  writeFileSync(f, text);
  return f;
};

describe('daemon configuration', () => {
  it('has defaults a single machine can start with', () => {
    const c = loadDaemonConfig();
    expect(c['nats.servers']).toEqual(['nats://127.0.0.1:4222']);
    expect(c['supervisor.slots']).toEqual([6700, 6701, 6702, 6703]);
    expect(c['cluster.prefix']).toBe('squall');
  });

  it('reads a YAML file (nested or dotted keys), then the environment, then flags', () => {
    const f = file('squall.yaml', 'nats:\n  servers: [nats://a:4222, nats://b:4222]\n  user: alice\n  tls.ca: /etc/ca.pem\nsupervisor.slots: [7000, 7001]\ncluster:\n  prefix: one\n');
    expect(loadDaemonConfig({ file: f })).toMatchObject({
      'nats.servers': ['nats://a:4222', 'nats://b:4222'],
      'nats.user': 'alice',
      'nats.tls.ca': '/etc/ca.pem',
      'supervisor.slots': [7000, 7001],
      'cluster.prefix': 'one',
    });
    const c = loadDaemonConfig({ file: f, env: { SQUALL_NATS: 'nats://env:4222', SQUALL_SLOTS: '8000,8001' }, flags: { 'cluster.prefix': 'two', 'nats.servers': undefined } });
    expect(c['nats.servers']).toEqual(['nats://env:4222']);
    expect(c['supervisor.slots']).toEqual([8000, 8001]);
    expect(c['cluster.prefix']).toBe('two');
    expect(loadDaemonConfig({ file: file('c.json', '{"nats.token": "t0k"}') })['nats.token']).toBe('t0k');
  });

  it('names the key, the source and the problem', () => {
    expect(() => loadDaemonConfig({ file: file('bad.yaml', 'supervisor:\n  slot: [1]\n') })).toThrow(/'supervisor.slot': unknown key in .*bad.yaml \(did you mean 'supervisor.slots'\?\)/);
    expect(() => loadDaemonConfig({ env: { SQUALL_SLOTS: '6700,x' } })).toThrow(/'supervisor.slots': must be ports from 1 to 65535 \(from environment variable SQUALL_SLOTS/);
    expect(() => loadDaemonConfig({ flags: { 'supervisor.slots': '1,1' } })).toThrow(/lists a port twice/);
    expect(() => loadDaemonConfig({ file: '/nonexistent/squall.yaml' })).toThrow(/cannot read \/nonexistent\/squall.yaml/);
    expect(() => loadDaemonConfig({ file: file('x.yaml', 'a: [1') })).toThrow(/not valid YAML or JSON/);
  });
});
