import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * A port for a process that is told its port before it binds (supervisor slots, a worker's
 * ZeroMQ endpoint, a redis-server). Asking the OS for port 0 and releasing it races: the kernel
 * may hand that ephemeral port to any outgoing connection before the process binds it. So ports
 * come from below the kernel's ephemeral range, which it never hands out, from a block of its own
 * per vitest worker (parallel test files never pick the same port), each checked free by binding.
 * Where the process can bind port 0 itself and say which it got, prefer that (see startNats).
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < PORT_BLOCK; tries++) {
    const port = portBlock.start + (portBlock.next++ % PORT_BLOCK);
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port in ${portBlock.start}-${portBlock.start + PORT_BLOCK - 1}`);
}

const PORT_BLOCK = 250;
const PORTS_FROM = 10_000;

const portBlock = ((): { start: number; next: number } => {
  let ephemeralLow = 32_768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch {
    // Not Linux: keep the IANA default's lower bound, below which Linux and macOS stay too.
  }
  const blocks = Math.max(1, Math.floor((ephemeralLow - PORTS_FROM) / PORT_BLOCK));
  const worker = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? process.pid);
  // A random start inside the block keeps two runs at once (two checkouts) from walking in step.
  return { start: PORTS_FROM + (worker % blocks) * PORT_BLOCK, next: Math.floor(Math.random() * PORT_BLOCK) };
})();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    // All interfaces: a port held on any address is taken.
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
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

async function waitForPort(port: number, child: ChildProcess, name: string, output: () => string, ready?: RegExp): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}: ${output()}`);
    // Until the server says it is ready, whatever answers on the port may be someone else.
    const ok = ready !== undefined && !ready.test(output()) ? false : await new Promise<boolean>((resolve) => {
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

interface ServerKind {
  readonly name: string;
  readonly binary: string;
  readonly scheme: string;
  /** Command line for `port`; -1 asks a server that can choose its own port to do so. */
  args(port: number, dir: string): string[];
  /** What the server prints once it listens: until then a connection may reach another process. */
  readonly ready?: RegExp;
  /** Reads back the port a server told -1 listens on, once it says; absent: it cannot choose. */
  chosenPort?(dir: string, pid: number): number | undefined;
}

function launch(kind: ServerKind, port: number, dir: string): { child: ChildProcess; output: () => string; spawned: Promise<void> } {
  let log = '';
  const child = spawn(kind.binary, kind.args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`cannot start ${kind.binary} (is it installed? npm run test:all installs it): ${err.message}`)));
  });
  return { child, output: () => log.slice(-2000), spawned };
}

async function startServer(kind: ServerKind, reuse: { port?: number; dir?: string } = {}): Promise<RunningServer> {
  const dir = reuse.dir ?? mkdtempSync(path.join(tmpdir(), `squall-${kind.name}-`));
  let started: { child: ChildProcess; port: number } | undefined;
  if (reuse.port !== undefined || kind.chosenPort === undefined) {
    // Told its port: a port taken meanwhile by someone else shows as "address in use"; pick another.
    for (let attempt = 1; started === undefined; attempt++) {
      const port = reuse.port ?? (await freePort());
      const { child, output, spawned } = launch(kind, port, dir);
      await spawned;
      try {
        await waitForPort(port, child, kind.name, output, kind.ready);
        started = { child, port };
      } catch (err) {
        if (reuse.port !== undefined || attempt >= 5 || !/address already in use/i.test(output())) throw err;
      }
    }
  } else {
    // Binds a port of its choosing and writes it to a file: nothing to race for.
    const { child, output, spawned } = launch(kind, -1, dir);
    await spawned;
    const deadline = Date.now() + 10_000;
    let port: number | undefined;
    while ((port = kind.chosenPort(dir, child.pid ?? -1)) === undefined) {
      if (child.exitCode !== null) throw new Error(`${kind.name} exited with code ${child.exitCode}: ${output()}`);
      if (Date.now() > deadline) throw new Error(`${kind.name} did not say which port it listens on within 10 s: ${output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitForPort(port, child, kind.name, output);
    started = { child, port };
  }
  const { child, port } = started;
  return {
    url: `${kind.scheme}://127.0.0.1:${port}`,
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
  return startServer(
    { name: 'redis', binary: 'redis-server', scheme: 'redis', ready: /Ready to accept connections/, args: (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...aof] },
    reuse,
  );
}

/**
 * A real nats-server with JetStream on a free port with its store in a temporary directory; or,
 * given the port and directory of a stopped one, the same server started again on its data.
 */
export function startNats(reuse: { port?: number; dir?: string; listen?: string; args?: string[] } = {}): Promise<RunningServer> {
  return startServer(
    {
      name: 'nats',
      binary: 'nats-server',
      scheme: 'nats',
      // -p -1: a random port, written to <dir>/nats-server_<pid>.ports (as nats.js's test harness does).
      args: (port, dir) => ['-a', reuse.listen ?? '127.0.0.1', '-p', String(port), '--ports_file_dir', dir, '-js', '-sd', dir, ...(reuse.args ?? [])],
      chosenPort: (dir, pid) => {
        const file = readdirSync(dir).find((f) => f === `nats-server_${pid}.ports`);
        if (file === undefined) return undefined;
        try {
          const urls = (JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { nats?: string[] }).nats ?? [];
          const port = Number(new URL(urls[0] ?? '').port);
          return port > 0 ? port : undefined;
        } catch {
          return undefined; // written but not complete yet
        }
      },
    },
    reuse,
  );
}
