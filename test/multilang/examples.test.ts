/**
 * The multilang example topologies, run as a user runs them: `squall local <topology> --duration`.
 * The Go example builds its bolt with `go build` (into a fresh bin/ here).
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const cli = path.join(ROOT, 'dist/cli/main.js');

function squallLocal(topology: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'local', topology, '--duration', '3', '--json'], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

interface Summary {
  components: Record<string, { emitted: number; acked: number; failed: number; executed: number }>;
  errors: unknown[];
}

describe('multilang example topologies', () => {
  it('topologies/python-word-count runs with `squall local`', async () => {
    const r = await squallLocal('topologies/python-word-count/topology.ts');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Summary;
    expect(summary.errors).toEqual([]);
    const c = summary.components;
    expect(c.sentences?.acked).toBeGreaterThan(100);
    expect(c.sentences?.failed).toBe(0);
    // Drained on stop: every sentence emitted was acked, every word counted.
    expect(c.sentences?.acked).toBe(c.sentences?.emitted);
    expect(c.count?.executed).toBe(c.split?.emitted);
    expect(r.stderr).toContain('top words: the=');
  });

  it('topologies/go-word-count builds its Go bolt and runs with `squall local`', async () => {
    rmSync(path.join(ROOT, 'topologies/go-word-count/bin'), { recursive: true, force: true });
    const r = await squallLocal('topologies/go-word-count/topology.ts');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Summary;
    expect(summary.errors).toEqual([]);
    const c = summary.components;
    expect(c.sentences?.acked).toBeGreaterThan(100);
    expect(c.sentences?.acked).toBe(c.sentences?.emitted);
    expect(c.count?.executed).toBe(c.split?.emitted);
  });
});
