import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState, decodePackage, encodePackage, packTopology, unpackTopology } from '../../src/cluster/index.js';
import { loadTopologyFile } from '../../src/worker/load-topology.js';
import { startNats, type RunningServer } from '../helpers/servers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let nats: RunningServer;
beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats?.stop();
});

describe('topology packages', () => {
  it('bundle a topology file with its folder, travel through the object store, and load on the other side', async () => {
    const pkg = await packTopology(path.join(root, 'topologies/python-word-count/topology.ts'));
    expect(Object.keys(pkg.files)).toEqual(expect.arrayContaining(['__topology.mjs', 'split_bolt.py', 'sentence_spout.py', 'README.md']));
    const state = await ClusterState.connect({ servers: nats.url, bucketPrefix: 'pkg' });
    try {
      await state.putPackage('python-word-count-1', encodePackage(pkg));
      const fetched = await state.getPackage('python-word-count-1');
      expect(fetched).toBeDefined();
      const dir = mkdtempSync(path.join(tmpdir(), 'squall-code-'));
      const entry = unpackTopology(decodePackage(fetched!), dir);
      const loaded = await loadTopologyFile(entry);
      expect(Object.keys(loaded.topology.spec.components).sort()).toEqual(['count', 'report', 'sentences', 'split']);
      expect(statSync(path.join(dir, 'split_bolt.py')).isFile()).toBe(true);
      expect(await state.getPackage('missing')).toBeUndefined();
    } finally {
      await state.close();
    }
  });

  it('keeps file modes (executables such as Go binaries stay executable)', async () => {
    const pkg = await packTopology(path.join(root, 'topologies/word-count/topology.ts'));
    const dir = mkdtempSync(path.join(tmpdir(), 'squall-code-'));
    const withExe = { ...pkg, files: { ...pkg.files, 'bin/tool': { data: new TextEncoder().encode('#!/bin/sh\n'), mode: 0o755 } } };
    unpackTopology(decodePackage(encodePackage(withExe)), dir);
    expect(statSync(path.join(dir, 'bin/tool')).mode & 0o777).toBe(0o755);
  });

  it('names the file that does not bundle', async () => {
    await expect(packTopology('/no/such/topology.ts')).rejects.toThrow(/no such file/);
  });
});
