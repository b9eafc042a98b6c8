import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'dist/cli/main.js');

function squall(args: string[], cwd = root): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A topology file in a fresh project of its own that depends on squall, as a user's would. */
function tempTopology(source: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'squall-cli-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', dependencies: { squall: '*' } }));
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(root, path.join(dir, 'node_modules', 'squall'), 'dir');
  const file = path.join(dir, 'topology.ts');
  writeFileSync(file, source);
  return file;
}

describe('squall local', () => {
  it('runs word count and ends stdout with a JSON summary', async () => {
    const r = await squall(['local', 'topologies/word-count/topology.ts', '--duration', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const last = r.stdout.trim().split('\n').at(-1)!;
    const summary = JSON.parse(last) as { topology: string; components: Record<string, Record<string, number>> };
    expect(summary.topology).toBe('word-count');
    expect(Object.keys(summary.components).sort()).toEqual(['count', 'report', 'sentences', 'split']);
    const s = summary.components.sentences!;
    expect(s.acked).toBeGreaterThan(0);
    expect(s.failed).toBe(0);
    // Drained on stop: everything emitted was acked.
    expect(s.acked).toBe(s.emitted);
    expect(summary.components.count!.executed).toBe(summary.components.split!.emitted);
    expect(r.stdout).toContain('component');
    expect(r.stderr).toContain("Running 'word-count' in local mode");
  });

  it('refuses an invalid topology with the component named, and no stack trace', async () => {
    const file = tempTopology(`
      import { TopologyBuilder, BaseRichSpout, BaseBasicBolt } from 'squall';
      class S extends BaseRichSpout { nextTuple() {} declareOutputFields(d) { d.declare(['word']); } }
      class B extends BaseBasicBolt { execute() {} }
      const b = new TopologyBuilder();
      b.setSpout('words', S);
      b.setBolt('counter', B).fieldsGrouping('words', ['wrod']);
      export default b.createTopology();
    `);
    const r = await squall(['local', file, '--duration', '1']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("component 'counter', stream 'default', field 'wrod'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a ShellBolt with a bad option as an invalid topology, naming the component', async () => {
    const file = tempTopology(`
      import { TopologyBuilder, ShellBolt, ShellSpout } from 'squall';
      const b = new TopologyBuilder();
      b.setSpout('lines', new ShellSpout({ command: ['python3', 'spout.py'], outputFields: ['line'] }));
      b.setBolt('split', new ShellBolt({ command: ['python3', 'split.py'], outputFields: ['word'], maxPending: -1 })).shuffleGrouping('lines');
      export default b.createTopology();
    `);
    const r = await squall(['local', file, '--duration', '1']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain("component 'split': ShellBolt: 'maxPending' must be a positive number, got -1");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a file that does not compile or export a topology', async () => {
    const broken = tempTopology('export default = ;');
    const r1 = await squall(['local', broken, '--duration', '1']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('Cannot load topology from');
    expect(r1.stderr).not.toMatch(/\n\s+at /);

    const noExport = tempTopology('export const x = 1;');
    const r2 = await squall(['local', noExport, '--duration', '1']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('no default export');

    const r3 = await squall(['local', 'does/not/exist.ts']);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('no such file');
  });

  it('stops on Ctrl-C, drains in-flight tuples and prints the summary', async () => {
    const child = spawn(process.execPath, [cli, 'local', 'topologies/word-count/topology.ts', '--json'], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!stderr.includes('Running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toContain('draining in-flight tuples');
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { components: Record<string, Record<string, number>> };
    const spout = summary.components.sentences!;
    expect(spout.emitted).toBeGreaterThan(0);
    expect(spout.acked).toBe(spout.emitted);
    expect(spout.pending).toBe(0);
  });

  it('explains itself with --help', async () => {
    const r = await squall(['local', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--duration');
    expect(r.stdout).toContain('--json');
  });
});

/** A topology that emits five words and counts them: runs anywhere, in any of the four file kinds. */
const PORTABLE = `import { BaseBasicBolt, BaseRichSpout, TopologyBuilder } from 'squall';
class Words extends BaseRichSpout {
  n = 0;
  nextTuple() { if (this.n < 5) this.collector.emit(['w' + this.n], this.n++); }
  declareOutputFields(d) { d.declare(['word']); }
}
class Sink extends BaseBasicBolt { execute() {} }
const b = new TopologyBuilder();
b.setSpout('words', Words);
b.setBolt('sink', Sink).shuffleGrouping('words');
export default b.createTopology();
`;

describe('a topology file wherever a user puts it', () => {
  // Outside the repository: no node_modules holds squall, and no package.json says "module".
  const layouts: { name: string; packageJson?: object }[] = [{ name: 'no package.json' }, { name: 'a CommonJS package', packageJson: { name: 'mine', version: '1.0.0' } }];
  for (const layout of layouts) {
    for (const ext of ['ts', 'mts', 'js', 'mjs']) {
      it(`runs topology.${ext} in a folder with ${layout.name}, its 'squall' being the squall that runs it`, async () => {
        const dir = mkdtempSync(path.join(tmpdir(), 'squall-anywhere-'));
        if (layout.packageJson !== undefined) writeFileSync(path.join(dir, 'package.json'), JSON.stringify(layout.packageJson));
        writeFileSync(path.join(dir, `topology.${ext}`), PORTABLE);
        const r = await squall(['local', `topology.${ext}`, '--duration', '1', '--json', '--quiet'], dir);
        expect(r.code, r.stderr).toBe(0);
        const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { components: Record<string, { emitted: number; acked: number }> };
        expect(summary.components.words).toMatchObject({ emitted: 5, acked: 5 });
        expect(r.stderr).not.toMatch(/Warning|Reparsing/);
      });
    }
  }

  it('says what a default export that is not a topology is, and what to call', async () => {
    const builder = tempTopology(`import { TopologyBuilder } from 'squall';\nexport default new TopologyBuilder();\n`);
    const r1 = await squall(['local', builder, '--duration', '1']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('the default export is a TopologyBuilder, not the topology it builds: export default builder.createTopology()');

    const plain = tempTopology(`export default { spouts: [], bolts: [] };\n`);
    const r2 = await squall(['local', plain, '--duration', '1']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain("the default export is a plain object (keys 'spouts', 'bolts'), not a topology: export default builder.createTopology()");
    expect(r2.stderr).not.toContain('no default export');
  });
});

describe('squall init', () => {
  for (const kind of ['', '--python', '--go']) {
    it(`creates a project${kind === '' ? '' : ` with ${kind}`} whose test passes and whose topology runs at once`, async () => {
      const dir = path.join(mkdtempSync(path.join(tmpdir(), 'squall-init-')), 'my-topology');
      const created = await squall(['init', dir, ...(kind === '' ? [] : [kind])]);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toContain('squall local topology.ts');
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; type: string; dependencies: Record<string, string> };
      expect(manifest).toMatchObject({ name: 'my-topology', type: 'module', dependencies: { squall: '^0.1.0' } });
      if (kind === '--python') expect(existsSync(path.join(dir, 'split_bolt.py'))).toBe(true);
      if (kind === '--go') expect(existsSync(path.join(dir, 'split/main.go'))).toBe(true);

      // Nothing installed: the test and the topology find squall as loading does.
      const tested = await squall(['test'], dir);
      expect(tested.code, tested.stdout + tested.stderr).toBe(0);
      expect(tested.stdout).toMatch(/^# pass 1$/m);
      expect(tested.stdout).toMatch(/^# fail 0$/m);

      const ran = await squall(['local', 'topology.ts', '--duration', '2', '--json', '--quiet'], dir);
      expect(ran.code, ran.stderr).toBe(0);
      const summary = JSON.parse(ran.stdout.trim().split('\n').at(-1)!) as { components: Record<string, { emitted: number; acked: number; failed: number }> };
      expect(summary.components.sentences!.acked).toBeGreaterThan(0);
      expect(summary.components.sentences!.failed).toBe(0);
      expect(summary.components.count!.emitted).toBeGreaterThan(summary.components.sentences!.acked);

      // As npm install would leave it (squall and the types linked from here), the project typechecks.
      mkdirSync(path.join(dir, 'node_modules/@types'), { recursive: true });
      symlinkSync(root, path.join(dir, 'node_modules/squall'), 'dir');
      symlinkSync(path.join(root, 'node_modules/@types/node'), path.join(dir, 'node_modules/@types/node'), 'dir');
      const tsc = await new Promise<{ code: number; out: string }>((resolve) => {
        execFile(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { timeout: 60_000 }, (err, stdout, stderr) => {
          resolve({ code: err === null ? 0 : 1, out: stdout + stderr });
        });
      });
      expect(tsc.code, tsc.out).toBe(0);
    }, 120_000);
  }

  it('refuses a folder that is not empty', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'squall-init-'));
    writeFileSync(path.join(dir, 'mine.txt'), 'x');
    const r = await squall(['init', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not empty');
  });
});

describe('squall test', () => {
  it('fails when a test fails, naming the test and its file, and says when there is nothing to run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'squall-test-'));
    writeFileSync(path.join(dir, 'sum.test.ts'), `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\ntest('adds', () => { assert.equal(1 + 1, 3); });\n`);
    const failed = await squall(['test'], dir);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^# fail 1$/m);
    expect(failed.stdout).toContain('sum.test.ts');
    expect(failed.stdout).toContain('not ok 1 - adds');

    const empty = await squall(['test'], mkdtempSync(path.join(tmpdir(), 'squall-test-')));
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('no test files');
  });
});

describe('squall config', () => {
  it('lists every key with its default and meaning, as JSON too', async () => {
    const r = await squall(['config', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      topology: { key: string; default: unknown; meaning: string }[];
      daemon: { key: string; env: string | null; default: unknown; meaning: string }[];
    };
    expect(out.topology.find((k) => k.key === 'topology.message.timeout.secs')).toEqual({
      key: 'topology.message.timeout.secs',
      default: 30,
      meaning: 'seconds before an incomplete tree fails',
    });
    expect(out.topology.find((k) => k.key === 'topology.max.spout.pending')?.default).toBeNull();
    expect(out.daemon.find((k) => k.key === 'nats.servers')).toMatchObject({ env: 'SQUALL_NATS', default: ['nats://127.0.0.1:4222'] });
    for (const k of [...out.topology, ...out.daemon]) expect(k.meaning.length, k.key).toBeGreaterThan(0);

    const text = await squall(['config']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/topology\.workers\s+1\s+worker processes/);
    expect(text.stdout).toMatch(/supervisor\.slots\s+SQUALL_SLOTS/);
  });
});
