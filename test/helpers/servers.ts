import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** A free TCP port on 127.0.0.1 (asked of the OS, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly process: ChildProcess;
  /** Stops the server; its directory is removed unless `keepDir` (to restart it on the same data). */
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, name: string, output: () => string): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}: ${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${name} did not listen on ${port} within 10 s: ${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startServer(
  name: string,
  binary: string,
  args: (port: number, dir: string) => string[],
  scheme: string,
  reuse: { port?: number; dir?: string } = {},
): Promise<RunningServer> {
  const port = reuse.port ?? (await freePort());
  const dir = reuse.dir ?? mkdtempSync(path.join(tmpdir(), `squall-${name}-`));
  let log = '';
  const child = spawn(binary, args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`cannot start ${binary} (is it installed? npm run test:all installs it): ${err.message}`)));
  });
  await spawned;
  await waitForPort(port, child, name, () => log.slice(-2000));
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    dir,
    process: child,
    stop: async (options) => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (options?.keepDir !== true) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A real redis-server on a free port with its data in a temporary directory. With `appendOnly`
 * every write is fsynced to an append-only file, so the same server started again on its port and
 * directory (stopped with `keepDir`) has all of its data.
 */
export function startRedis(reuse: { port?: number; dir?: string; appendOnly?: boolean } = {}): Promise<RunningServer> {
  const aof = reuse.appendOnly === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  return startServer('redis', 'redis-server', (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...aof], 'redis', reuse);
}

/**
 * A real nats-server with JetStream on a free port with its store in a temporary directory; or,
 * given the port and directory of a stopped one, the same server started again on its data.
 */
export function startNats(reuse: { port?: number; dir?: string; listen?: string; args?: string[] } = {}): Promise<RunningServer> {
  return startServer('nats', 'nats-server', (port, dir) => ['-a', reuse.listen ?? '127.0.0.1', '-p', String(port), '-js', '-sd', dir, ...(reuse.args ?? [])], 'nats', reuse);
}
