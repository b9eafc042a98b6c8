import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandModule } from 'yargs';
import { bundleTopology } from '../cluster/index.js';
import { describe } from '../common/index.js';
import { exitCodeOf } from './exit-codes.js';

interface TestArgs {
  files: string[] | undefined;
}

const TEST_FILE = /\.test\.[cm]?[jt]s$/;
const SKIPPED = new Set(['node_modules', '.git', 'dist', 'bin']);

/**
 * `squall test [files..]`: runs a topology project's tests with Node's test runner, each file
 * bundled as `squall local` loads a topology, so `squall` and `squall/testing` are this squall
 * and TypeScript needs no loader or install.
 */
export const testCommand: CommandModule<object, TestArgs> = {
  command: 'test [files..]',
  describe: "Run a topology project's tests (node:test), TypeScript included, 'squall' being this squall",
  builder: (y) =>
    y.positional('files', { type: 'string', array: true, describe: 'Test files (default: every *.test.ts/.mts/.js/.mjs under this folder)' }) as never,
  handler: async (args) => {
    process.exitCode = await runTests(args.files ?? []);
  },
};

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name) || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(full));
    else if (TEST_FILE.test(entry.name)) out.push(full);
  }
  return out.sort();
}

async function runTests(given: readonly string[]): Promise<number> {
  const cwd = process.cwd();
  const files = given.length > 0 ? given.map((f) => path.resolve(f)) : findTests(cwd);
  if (files.length === 0) {
    process.stderr.write(`squall test: no test files (*.test.ts, .mts, .js, .mjs) under ${cwd}\n`);
    return 1;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'squall-test-'));
  try {
    const bundles: string[] = [];
    for (const file of files) {
      const rel = path.relative(cwd, file);
      const out = path.join(dir, (rel.startsWith('..') ? path.basename(file) : rel).replace(/\.[cm]?[jt]s$/, '.mjs'));
      mkdirSync(path.dirname(out), { recursive: true });
      try {
        writeFileSync(out, await bundleTopology(file, { outfile: out, squall: 'this', moduleUrl: pathToFileURL(file).href }));
      } catch (err) {
        process.stderr.write(`squall test: ${describe(err).replace('Cannot load topology from', 'Cannot load test file')}\n`);
        return exitCodeOf(err);
      }
      bundles.push(out);
    }
    const child = spawn(process.execPath, ['--enable-source-maps', '--test', ...bundles], { cwd, stdio: 'inherit' });
    return await new Promise<number>((resolve) => {
      child.once('error', (err) => {
        process.stderr.write(`squall test: cannot start node: ${err.message}\n`);
        resolve(1);
      });
      child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
