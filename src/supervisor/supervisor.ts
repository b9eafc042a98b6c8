import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterState, describeSkipped, type ClusterConnectOptions } from '../cluster/index.js';
import { ConsoleLogger, PeriodicTask, SquallError, realClock, type Clock, type Logger } from '../common/index.js';
import { natsServers } from '../config/index.js';

export interface SupervisorOptions {
  /** Time for heartbeats, worker timeouts and restart backoff. @defaultValue the real clock */
  readonly clock?: Clock;
  /** Stable id; default `<host>-<first slot>`, the same across restarts on one machine. */
  readonly id?: string;
  /** Host name or address other workers reach this machine's workers at. @defaultValue os.hostname() */
  readonly host?: string;
  /** Worker slots: one port per worker process. @defaultValue [6700, 6701, 6702, 6703] */
  readonly slots?: readonly number[];
  /** Working directory: unpacked topology packages. @defaultValue <tmp>/squall-supervisor-<id> */
  readonly dir?: string;
  readonly cluster?: ClusterConnectOptions;
  /** The worker entry script. @defaultValue dist/worker/main.js of this installation */
  readonly workerMain?: string;
  /** Node.js options for worker processes (Storm's worker.childopts). */
  readonly workerNodeArgs?: readonly string[];
  /**
   * ZeroMQ CURVE between workers (each worker's port takes batches only from its topology's
   * workers). Every supervisor of a cluster must agree. @defaultValue false
   */
  readonly curve?: boolean;
  /** Heartbeat and reconcile period. @defaultValue 1000 */
  readonly tickMs?: number;
  /** A worker that has not beaten for this long is killed and restarted. @defaultValue 10000 */
  readonly workerTimeoutMs?: number;
  /** A new worker has this long to send its first beat. @defaultValue 60000 */
  readonly workerStartTimeoutMs?: number;
  readonly logger?: Logger;
}

interface RunningWorker {
  readonly port: number;
  readonly topology: string;
  /** Topology and tasks: a different key for the slot means a different worker. */
  readonly key: string;
  readonly child: ChildProcess;
  readonly startedAt: number;
  lastBeat: number;
  /** When it first beat (0: not yet): it has been healthy for as long as it beats since then. */
  firstBeat: number;
  stopping: boolean;
  stderrTail: string[];
}

const DEFAULT_SLOTS = [6700, 6701, 6702, 6703];

/** A worker that beat for this long was healthy: its death is not part of a crash loop. */
export const HEALTHY_AFTER_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

/** The crash-loop state of the assignment on one slot. */
export interface SlotBackoff {
  /** The assignment (topology and tasks) the deaths belong to. */
  readonly key: string;
  /** Deaths in a row before the worker became healthy. */
  readonly failures: number;
  /** Milliseconds to wait before the next start. */
  readonly delayMs: number;
}

/**
 * When to start a worker again after it died. A worker that was healthy restarts at once, and so
 * does one of another assignment than the slot's earlier deaths (a new topology does not inherit
 * a crash loop). Only deaths in a row of one assignment before becoming healthy back off: the
 * first restarts at once, then 1 s, 2 s, 4 s ... up to 30 s.
 */
export function nextBackoff(previous: SlotBackoff | undefined, key: string, healthy: boolean): SlotBackoff {
  if (healthy) return { key, failures: 0, delayMs: 0 };
  const failures = (previous?.key === key ? previous.failures : 0) + 1;
  return { key, failures, delayMs: failures === 1 ? 0 : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 2)) };
}
const TAIL_LINES = 20;

/**
 * The supervisor (Storm's): registers its slots, heartbeats, and keeps one worker process per slot
 * assigned to it, as the assignments in NATS say. A worker that exits or stops beating (over its
 * IPC channel) is restarted with backoff; a worker whose slot is no longer assigned to the same
 * work is stopped.
 */
export class Supervisor {
  readonly id: string;
  readonly host: string;
  readonly slots: readonly number[];
  private readonly dir: string;
  private readonly logger: Logger;
  private state: ClusterState | undefined;
  private readonly workers = new Map<number, RunningWorker>();
  /** Port -> the crash loop of its assignment, and when the next start may happen. */
  private readonly backoff = new Map<number, SlotBackoff & { notBefore: number }>();
  private readonly loop: PeriodicTask;
  private readonly clock: Clock;

  constructor(private readonly options: SupervisorOptions = {}) {
    this.host = options.host ?? os.hostname();
    this.slots = [...(options.slots ?? DEFAULT_SLOTS)];
    if (this.slots.length === 0) throw new SquallError('INVALID_CONFIG', 'A supervisor needs at least one slot (port)');
    this.id = options.id ?? `${this.host}-${this.slots[0] ?? 0}`;
    this.dir = options.dir ?? path.join(os.tmpdir(), `squall-supervisor-${this.id}`);
    this.logger = options.logger ?? new ConsoleLogger('info');
    this.clock = options.clock ?? realClock;
    this.loop = new PeriodicTask(() => this.reconcile(), options.tickMs ?? 1000, (m) => this.logger.log('warn', `supervisor ${this.id}: ${m}`), undefined, this.clock);
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    this.state = await ClusterState.connect({ ...this.options.cluster, name: `supervisor ${this.id}` });
    this.state.onSkippedRecord = (r) => this.logger.log('warn', `supervisor ${this.id}: skipping ${describeSkipped(r)}`);
    await this.loop.start();
    this.logger.log('info', `supervisor ${this.id} on ${this.host} with slots ${this.slots.join(', ')}${this.options.curve === true ? ', CURVE between workers' : ''}`);
  }

  /** Stops every worker (each drains first) and leaves the cluster at once. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all([...this.workers.values()].map((w) => this.stopWorker(w, 'the supervisor stops')));
    await this.state?.removeSupervisor(this.id).catch(() => undefined);
    await this.state?.close();
  }

  /** Pids of the running workers by port (for tests and the CLI). */
  workerPids(): Map<number, number> {
    const out = new Map<number, number>();
    for (const w of this.workers.values()) if (w.child.pid !== undefined) out.set(w.port, w.child.pid);
    return out;
  }

  private async reconcile(): Promise<void> {
    const state = this.state;
    if (state === undefined) return;
    this.checkLiveness();
    await state.heartbeatSupervisor({ v: 1, id: this.id, host: this.host, slots: this.slots, time: this.clock.now() });
    const wanted = new Map<number, { topology: string; key: string }>();
    for (const a of await state.listAssignments()) {
      for (const w of a.workers) {
        if (w.supervisor !== this.id || !this.slots.includes(w.port)) continue;
        wanted.set(w.port, { topology: a.topology, key: `${a.topology}:${[...w.tasks].sort((x, y) => x - y).join(',')}` });
      }
    }
    // Workers of a topology whose assignment record is malformed run on: the record says nothing.
    const unreadable = new Set(state.skippedRecords('assignments').map((r) => r.key));
    for (const w of this.workers.values()) {
      const want = wanted.get(w.port);
      if (want === undefined && unreadable.has(w.topology)) continue;
      if (!w.stopping && (want === undefined || want.key !== w.key)) {
        void this.stopWorker(w, want === undefined ? 'its slot is no longer assigned' : 'its assignment changed');
      }
    }
    const now = this.clock.now();
    for (const [port, want] of wanted) {
      if (this.workers.has(port) || this.loop.isStopped) continue;
      const b = this.backoff.get(port);
      if (b !== undefined && b.key === want.key && b.notBefore > now) continue;
      this.startWorker(port, want.topology, want.key);
    }
  }

  /** Kills workers that stopped beating (hung, or stuck starting); their exit restarts them. */
  private checkLiveness(): void {
    const now = this.clock.now();
    const timeout = this.options.workerTimeoutMs ?? 10_000;
    const startTimeout = this.options.workerStartTimeoutMs ?? 60_000;
    for (const w of this.workers.values()) {
      if (w.stopping) continue;
      const started = w.lastBeat > 0;
      if ((started && now - w.lastBeat > timeout) || (!started && now - w.startedAt > startTimeout)) {
        this.logger.log(
          'error',
          `worker of '${w.topology}' on port ${w.port} (pid ${w.child.pid ?? '?'}) ${started ? `has not beaten for ${Math.round((now - w.lastBeat) / 1000)} s` : 'did not start in time'}: killing it`,
        );
        w.child.kill('SIGKILL');
      }
    }
  }

  private workerMain(): string {
    return this.options.workerMain ?? fileURLToPath(new URL('../worker/main.js', import.meta.url));
  }

  private startWorker(port: number, topology: string, key: string): void {
    const codeDir = path.join(this.dir, 'workers', `${topology}-${port}`);
    rmSync(codeDir, { recursive: true, force: true });
    mkdirSync(codeDir, { recursive: true });
    const cluster = this.options.cluster ?? {};
    const child = spawn(
      process.execPath,
      [...(this.options.workerNodeArgs ?? []), this.workerMain(), '--topology', topology, '--supervisor', this.id, '--port', String(port), '--host', this.host, '--code-dir', codeDir, ...(this.options.curve === true ? ['--curve'] : [])],
      {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: { ...process.env, SQUALL_WORKER_CLUSTER: JSON.stringify({ ...cluster, servers: natsServers(cluster.servers) }) },
      },
    );
    const worker: RunningWorker = { port, topology, key, child, startedAt: this.clock.now(), lastBeat: 0, firstBeat: 0, stopping: false, stderrTail: [] };
    this.workers.set(port, worker);
    const prefix = `[worker ${topology}:${port} pid ${child.pid ?? '?'}]`;
    const forward = (stream: NodeJS.ReadableStream | null, keepTail: boolean): void => {
      let partial = '';
      stream?.on('data', (d: Buffer) => {
        const lines = (partial + d.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          process.stderr.write(`${prefix} ${line}\n`);
          if (keepTail) {
            worker.stderrTail.push(line);
            if (worker.stderrTail.length > TAIL_LINES) worker.stderrTail.shift();
          }
        }
      });
    };
    forward(child.stdout, false);
    forward(child.stderr, true);
    child.on('message', () => {
      worker.lastBeat = this.clock.now();
      if (worker.firstBeat === 0) worker.firstBeat = worker.lastBeat;
    });
    child.on('error', (err) => this.logger.log('error', `${prefix} cannot start: ${err.message}`));
    child.on('exit', (code, signal) => this.onExit(worker, code, signal));
    this.logger.log('info', `started worker of '${topology}' on port ${port} (pid ${child.pid ?? '?'})`);
  }

  private onExit(worker: RunningWorker, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.workers.get(worker.port) === worker) this.workers.delete(worker.port);
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code ?? '?'}`;
    let wait = 0;
    if (worker.stopping || (code === 0 && signal === null)) {
      this.logger.log('info', `worker of '${worker.topology}' on port ${worker.port} stopped`);
      this.backoff.delete(worker.port);
    } else {
      const now = this.clock.now();
      const healthy = worker.firstBeat > 0 && worker.lastBeat - worker.firstBeat >= HEALTHY_AFTER_MS;
      const next = nextBackoff(this.backoff.get(worker.port), worker.key, healthy);
      this.backoff.set(worker.port, { ...next, notBefore: now + next.delayMs });
      wait = next.delayMs;
      const tail = worker.stderrTail.length > 0 ? `; last output:\n  ${worker.stderrTail.slice(-5).join('\n  ')}` : '';
      this.logger.log('error', `worker of '${worker.topology}' on port ${worker.port} (pid ${worker.child.pid ?? '?'}) ${how}; restarting in ${wait} ms${tail}`);
    }
    if (!this.loop.isStopped) {
      // Restart (or settle the slot) without waiting for the next tick.
      this.clock.setTimeout(() => void this.loop.runNow(), wait);
    }
  }

  private stopWorker(w: RunningWorker, reason: string): Promise<void> {
    w.stopping = true;
    this.logger.log('info', `stopping worker of '${w.topology}' on port ${w.port}: ${reason}`);
    return new Promise<void>((resolve) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
      const timer = this.clock.setTimeout(() => w.child.kill('SIGKILL'), 15_000);
      w.child.once('exit', () => {
        this.clock.clear(timer);
        resolve();
      });
      w.child.kill('SIGTERM');
    });
  }
}
