import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { freePort, type RunningServer } from './servers.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'dist/cli/main.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  log: string;
}

/**
 * A cluster of real processes for tests: coordinators and supervisors started with the `squall`
 * binary against one nats-server, short timeouts from a YAML config file (as an operator would
 * write one), and every worker's output kept for the failure message.
 */
export class TestCluster {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'squall-cluster-'));
  readonly out = path.join(this.dir, 'out');
  readonly configFile = path.join(this.dir, 'squall.yaml');
  private readonly daemons = new Map<string, Daemon>();

  constructor(
    readonly natsUrl: string,
    readonly prefix: string,
    /** Environment of every daemon (and so of the workers): the fixture's SQUALL_TEST_* knobs. */
    private readonly env: Record<string, string> = {},
  ) {
    mkdirSync(this.out, { recursive: true });
    writeFileSync(
      this.configFile,
      [
        'cluster:',
        '  heartbeat.ttl.secs: 4',
        '  lease.ttl.secs: 3',
        'coordinator:',
        '  supervisor.timeout.secs: 3',
        'supervisor:',
        '  worker.timeout.secs: 4',
        '',
      ].join('\n'),
    );
  }

  private common(natsUrl = this.natsUrl): string[] {
    return ['--nats', natsUrl, '--prefix', this.prefix, '--config', this.configFile];
  }

  private spawnDaemon(name: string, args: string[], env: Record<string, string> = {}, wrap: string[] = [], natsUrl?: string): Daemon {
    const command = wrap.length > 0 ? (wrap[0] as string) : process.execPath;
    const argv = [...wrap.slice(1), ...(wrap.length > 0 ? [process.execPath] : []), cli, ...args, ...this.common(natsUrl)];
    const child = spawn(command, argv, {
      env: { ...process.env, SQUALL_TEST_OUT: this.out, ...this.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const d: Daemon = { name, child, log: '' };
    const keep = (b: Buffer): void => {
      d.log = (d.log + b.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.daemons.set(name, d);
    return d;
  }

  startCoordinator(id: string, env: Record<string, string> = {}): void {
    this.spawnDaemon(id, ['coordinator', '--id', id], env);
  }

  /**
   * A supervisor with `slots` free ports, its workers under this cluster's directory. `wrap` runs
   * it inside e.g. `ip netns exec ns`, where NATS has another address (`natsUrl`).
   */
  async startSupervisor(id: string, slots = 2, options: { host?: string; env?: Record<string, string>; wrap?: string[]; natsUrl?: string } = {}): Promise<number[]> {
    const ports: number[] = [];
    for (let i = 0; i < slots; i++) ports.push(await freePort());
    this.spawnDaemon(
      id,
      ['supervisor', '--id', id, '--host', options.host ?? '127.0.0.1', '--slots', ports.join(','), '--dir', path.join(this.dir, id)],
      options.env ?? {},
      options.wrap ?? [],
      options.natsUrl,
    );
    return ports;
  }

  /** Kills a daemon (SIGKILL unless told otherwise) and waits for it to exit. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const d = this.daemons.get(name);
    if (d === undefined || d.child.exitCode !== null || d.child.signalCode !== null) return;
    const exited = new Promise((r) => d.child.once('exit', r));
    d.child.kill(signal);
    await exited;
  }

  /** Runs `squall <args>` against this cluster. */
  run(...args: string[]): Promise<CliResult> {
    return runCli([...args, ...this.common()], { SQUALL_TEST_OUT: this.out, ...this.env });
  }

  async listJson(): Promise<ListingJson> {
    const r = await this.run('list', '--json');
    if (r.code !== 0) throw new Error(`squall list failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as ListingJson;
  }

  /** Worker processes of this cluster now running: pid -> command line. */
  workerPids(): Map<number, string> {
    const out = new Map<number, string>();
    const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout;
    for (const line of ps.split('\n')) {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      if (m !== null && m[2]?.includes('worker/main.js') && m[2].includes(this.dir)) out.set(Number(m[1]), m[2]);
    }
    return out;
  }

  /** The spout summaries and merged counts the fixture topology writes. */
  spoutSummaries(): { emitted: number; acked: number; duplicates: number; failed: number; time: number }[] {
    return this.files('spout-').map((f) => JSON.parse(readFileSync(f, 'utf8')) as { emitted: number; acked: number; duplicates: number; failed: number; time: number });
  }

  files(prefix: string): string[] {
    if (!existsSync(this.out)) return [];
    return readdirSync(this.out)
      .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
      .map((f) => path.join(this.out, f));
  }

  logs(): string {
    return [...this.daemons.values()].map((d) => `--- ${d.name}\n${d.log}`).join('\n');
  }

  stop(): void {
    for (const d of this.daemons.values()) if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
    for (const pid of this.workerPids().keys()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs `squall <args>` as a user would, with `env` added to this process's environment. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ListingJson {
  leader: string;
  supervisors: { id: string; host: string; slots: number; used: number }[];
  topologies: {
    name: string;
    status: string;
    workersRequested: number;
    workers: { supervisor: string; host: string; port: number; tasks: number[]; alive: boolean }[];
    tasks: number;
    emitted: number;
    acked: number;
    failed: number;
    lastErrors: Record<string, string>;
    hint?: string;
  }[];
  skipped: { bucket: string; key: string; revision: number; problem: string }[];
}

/**
 * After each test, stops what it started: its cluster (printing the cluster's logs first when the
 * test failed) and, when the test started its own, its nats-server. `take` hands them over and
 * clears the test file's variables.
 */
export function stopAfterEach(take: () => { cluster?: TestCluster | undefined; nats?: RunningServer | undefined }): void {
  afterEach(async (ctx) => {
    const { cluster, nats } = take();
    if (ctx.task.result?.state === 'fail' && cluster !== undefined) process.stderr.write(`${cluster.logs()}\n`);
    cluster?.stop();
    await nats?.stop();
  });
}
