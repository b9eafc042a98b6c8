/**
 * What `npm pack` ships, from a copy of this tree with no fresh build in it: a stale dist/ (a file
 * of an old build) must not ship, the built CLI and entry points must, and so must the LICENSE.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TOP = new Set(['node_modules', 'dist', '.git', 'coverage', 'scratch']);

describe('npm pack', () => {
  it('ships a fresh build of dist with the CLI, the entry points and the LICENSE, invoked from another folder', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'squall-pack-'));
    onTestFinished(() => rmSync(parent, { recursive: true, force: true }));
    const copy = path.join(parent, 'squall');
    cpSync(root, copy, { recursive: true, filter: (src) => !TOP.has(path.relative(root, src).split(path.sep)[0] ?? '') });
    symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    mkdirSync(path.join(copy, 'dist'));
    writeFileSync(path.join(copy, 'dist/left-from-an-old-build.js'), 'export {};\n');
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'squall-pack-cwd-'));
    onTestFinished(() => rmSync(elsewhere, { recursive: true, force: true }));
    const out = await new Promise<string>((resolve, reject) => {
      execFile('npm', ['pack', copy, '--dry-run', '--json'], { cwd: elsewhere, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`npm pack failed: ${stderr}`));
        else resolve(stdout);
      });
    });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/testing.js', 'dist/cli/main.js', 'dist/worker/main.js']));
    expect(files).not.toContain('dist/left-from-an-old-build.js');
    expect(files.filter((f) => !f.startsWith('dist/') && !['LICENSE', 'README.md', 'package.json'].includes(f))).toEqual(
      files.filter((f) => f.startsWith('multilang/')),
    );
  }, 300_000);
});
