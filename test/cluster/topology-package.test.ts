import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState, decodePackage, encodePackage, packTopology, unpackTopology } from '../../src/cluster/index.js';
import { isSquallError } from 'squall';
import { loadTopologyPackage } from '../../src/worker/load-topology.js';
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
      const loaded = await loadTopologyPackage(decodePackage(fetched!), dir);
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

  it('leaves out node_modules, .git and what .squallignore lists, and re-includes what it negates', async () => {
    const dir = projectWith({
      'topology.ts': TOPOLOGY,
      'bolt.py': 'print(1)\n',
      'data/keep.csv': 'a,b\n',
      'data/big.bin': 'x',
      'logs/today.log': 'x',
      'notes.log': 'x',
      'important.log': 'x',
      'node_modules/left/index.js': 'x',
      '.git/HEAD': 'x',
      '.squallignore': '# what the workers do not need\n*.log\n!important.log\ndata/*.bin\n/logs/\n',
    });
    const pkg = await packTopology(path.join(dir, 'topology.ts'));
    expect(Object.keys(pkg.files).sort()).toEqual(['__topology.mjs', 'bolt.py', 'data/keep.csv', 'important.log', 'topology.ts']);
  });

  it('refuses a folder over the size limit, saying what takes the room and how to leave it out', async () => {
    const dir = projectWith({ 'topology.ts': TOPOLOGY, 'videos/a.bin': 'x'.repeat(300_000), 'small.txt': 'x' });
    const err = await packTopology(path.join(dir, 'topology.ts'), { maxBytes: 200_000 }).catch((e: unknown) => e);
    expect(isSquallError(err, 'TOPOLOGY_LOAD')).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain('over the 0.2 MiB limit');
    expect(message).toContain('largest: videos/ 0.3 MiB');
    expect(message).toContain(path.join(dir, '.squallignore'));
    // Listed in .squallignore, the same folder packs.
    writeFileSync(path.join(dir, '.squallignore'), 'videos/\n');
    expect(Object.keys((await packTopology(path.join(dir, 'topology.ts'), { maxBytes: 200_000 })).files)).not.toContain('videos/a.bin');
  });

  it('bundles a CommonJS dependency (ioredis) so that it loads from the package on a worker', async () => {
    const dir = projectWith({
      'package.json': JSON.stringify({ name: 'uses-redis', type: 'commonjs' }),
      'topology.ts': `import Redis from 'ioredis';\n${TOPOLOGY.replace("export default b.createTopology();", "export default () => { new Redis({ lazyConnect: true }).disconnect(); return b.createTopology(); };")}`,
    });
    // The user's own node_modules, as npm install would leave it.
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(path.join(root, 'node_modules/ioredis'), path.join(dir, 'node_modules/ioredis'), 'dir');
    const pkg = decodePackage(encodePackage(await packTopology(path.join(dir, 'topology.ts'))));
    expect(Object.keys(pkg.files).some((f) => f.startsWith('node_modules/'))).toBe(false);
    // Loaded by plain Node in a process of its own, as a worker does (the test runner's module
    // loader would lend the bundle a require() that a worker does not have).
    const entry = unpackTopology(pkg, mkdtempSync(path.join(tmpdir(), 'squall-code-')));
    const script = `const { loadTopologyModule } = await import(${JSON.stringify(path.join(root, 'dist/worker/load-topology.js'))});
      const { topology } = await loadTopologyModule(${JSON.stringify(entry)});
      console.log(JSON.stringify(Object.keys(topology.spec.components)));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(['words']);
  });
});

const TOPOLOGY = `import { BaseRichSpout, TopologyBuilder } from 'squall';
class Words extends BaseRichSpout { nextTuple() {} declareOutputFields(d: { declare(f: string[]): void }) { d.declare(['word']); } }
const b = new TopologyBuilder();
b.setSpout('words', Words);
export default b.createTopology();
`;

/** A folder outside the repository holding `files` (path -> content). */
function projectWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'squall-pkg-'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}
