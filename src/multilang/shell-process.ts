import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TopologyContext } from '../api/index.js';
import { describe, type Logger, type LogLevel } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import { codecFor, handshakeHint, widenInts, type MessageDecoder, type WireCodec } from './codec.js';
import { handshakeConf, stormContext } from './context.js';
import { ChildReader, preview, type ChildCommand, type ChildMessage, type LogCommand, type MetricsCommand } from './child-messages.js';
import { MultilangError, WireError, type MultilangFaultKind } from './errors.js';
import type { ShellSettings } from './options.js';

/** The commands a bolt or spout acts on; the runner handles `log`, `error` and `metrics` itself. */
export type TaskCommand = Exclude<ChildCommand, LogCommand | MetricsCommand | { readonly command: 'error' }>;

/** What the bolt or spout on top of a {@link ShellRunner} does at each step of the child's life. */
export interface RunnerHooks {
  /** The handshake completed: the child takes messages. */
  onReady(): void;
  /**
   * One command after the handshake (the object is reused: keep its fields, not it). May call
   * {@link ShellRunner.fault}.
   */
  onCommand(command: TaskCommand): void;
  /** All messages of one stdout chunk were handled (write replies). */
  onChunkDone(): void;
  /** The child is gone: fail what it held. Returns what was done, for the error message. */
  onDown(): string;
  /** Called on every timer tick while the child is ready (bolts send heartbeats from here). */
  onTick(now: number): void;
  /** Since when the host has been waiting for an answer from the child, if it is. */
  waitingSince(): number | undefined;
  /** Right before queued messages are written: add what was being batched. */
  beforeFlush(): void;
}

const STDERR_LINES = 20;
const STDERR_LINE_CHARS = 2000;
/** A child that ran this long without a fault counts as healthy: the restart delay starts over. */
const HEALTHY_MS = 30_000;
/** How long shutdown waits after closing stdin, and again after SIGTERM. */
const GRACE_MS = 1000;
/** How long fault reporting waits for the dead child's last stderr lines. */
const STDERR_WAIT_MS = 500;

/** The component's own logger option, else the topology's logger. */
function loggerFor(settings: ShellSettings, context: TopologyContext): Logger {
  return settings.logger ?? context.logger;
}

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

/** Protocol log level (0 trace .. 4 error, default 2) as a logger level. */
export function logLevel(level: unknown): LogLevel {
  return typeof level === 'number' ? (LEVELS[Math.min(4, Math.max(0, Math.trunc(level)))] ?? 'info') : 'info';
}

interface Running {
  readonly generation: number;
  readonly child: ChildProcessWithoutNullStreams;
  readonly decoder: MessageDecoder;
  readonly spawnedAt: number;
  /** Resolves when the child exited and its pipes closed. */
  readonly closed: Promise<void>;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  exited: boolean;
  handshaken: boolean;
  down: boolean;
  handshakeTimer: NodeJS.Timeout | undefined;
  /** Text of an `error` message the child sent, kept for the exit report. */
  lastReported: string | undefined;
  /** The start() caller waiting for the handshake. */
  settle: ((err?: MultilangError) => void) | undefined;
  /** The first start, from prepare/open: a command that cannot be spawned fails it. */
  readonly first: boolean;
  /** The last lines of its stderr, and the start of an unfinished line. */
  readonly stderrTail: string[];
  stderrPartial: string;
  /** The start of what it wrote on stdout before its handshake reply, for the hint of a failed handshake. */
  firstOutput: Buffer | undefined;
}

/**
 * One task's subprocess through its whole life: spawning it in the resources directory, the
 * handshake, reading and writing framed messages (host writes coalesced into one write per
 * flush), draining stderr, the liveness timer, faults (report, fail in-flight work through the
 * hooks, kill) and restarts with exponential backoff, and the clean shutdown.
 */
export class ShellRunner {
  readonly codec: WireCodec;
  readonly logger: Logger;
  readonly timeoutMs: number;
  /** The child's pid (from its handshake reply once it has answered). */
  pid: number | undefined;
  /** Whether the extension was negotiated with the current child. */
  extension = false;
  /** Whether the current child finished its handshake and is not down. */
  ready = false;
  /** performance.now() of the last message from the child. */
  lastHeard = 0;
  private running: Running | undefined;
  private generation = 0;
  private closing = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private consecutiveFaults = 0;
  private readonly pidDir: string;
  private readonly cwd: string;
  private out: Buffer[] = [];
  private flushScheduled = false;
  private readonly flushBound = (): void => this.flush();
  private readonly inbox: unknown[] = [];
  /** Reads the child's messages into commands: log, error and metrics here, the rest to the hooks. */
  private readonly reader: ChildReader;

  constructor(
    readonly kind: 'bolt' | 'spout',
    readonly settings: ShellSettings,
    private readonly config: TopologyConfig,
    readonly context: TopologyContext,
    private readonly reportError: (error: unknown) => void,
    private readonly hooks: RunnerHooks,
  ) {
    this.codec = codecFor(settings.serializer ?? config['topology.multilang.serializer']);
    this.logger = loggerFor(settings, context);
    this.timeoutMs = config['topology.subprocess.timeout.secs'] * 1000;
    const resources = context.resourcesDir ?? process.cwd();
    this.cwd = settings.cwd === undefined ? resources : path.resolve(resources, settings.cwd);
    const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 40);
    const sink = {
      onCommand: (c: ChildCommand): void => this.onCommand(c),
      fault: (detail: string): void => this.fault('protocol', detail),
      ready: (): boolean => this.ready,
    };
    // Spouts' emit ids are message ids, kept exactly as sent; bolts' are the host's tuple ids.
    this.reader = new ChildReader(sink, kind === 'spout', (frame) => this.codec.decodeFrame(frame));
    this.pidDir = mkdtempSync(path.join(tmpdir(), `squall-${safe(context.topologyName)}-${safe(context.thisComponentId)}-${context.thisTaskId}-`));
  }

  get component(): string {
    return this.context.thisComponentId;
  }

  get task(): number {
    return this.context.thisTaskId;
  }

  /** How messages name this subprocess. */
  describe(pid = this.pid): string {
    return `Multilang ${this.kind} '${this.component}' task ${this.task} (pid ${pid ?? 'none'}, \`${this.settings.commandLine}\`)`;
  }

  /**
   * Starts the subprocess and resolves once its handshake is done, or once the attempt failed
   * (the fault is reported and a restart scheduled). Rejects only when the command cannot be
   * started at all on the first attempt: that is a configuration error, not a fault.
   */
  start(first = false): Promise<void> {
    this.restartTimer = undefined;
    if (this.closing) return Promise.resolve();
    const generation = ++this.generation;
    const [file, ...args] = this.settings.command;
    const exe = file !== undefined && file.includes('/') && !path.isAbsolute(file) ? path.resolve(this.cwd, file) : (file as string);
    const env: Record<string, string | undefined> = { ...process.env };
    for (const [k, v] of Object.entries(this.settings.env)) {
      env[k] = k === 'PATH' && env.PATH !== undefined ? `${env.PATH}${path.delimiter}${v}` : v;
    }
    env.SQUALL_MULTILANG_SERIALIZER = this.codec.name;
    this.pid = undefined;
    this.extension = false;
    this.out = [];
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(exe, args, { cwd: this.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      return this.spawnFailed(first, err);
    }
    let markClosed!: () => void;
    const closed = new Promise<void>((r) => (markClosed = r));
    const run: Running = {
      generation,
      child,
      decoder: this.codec.createDecoder(this.settings.maxMessageBytes),
      spawnedAt: performance.now(),
      closed,
      exitCode: null,
      signal: null,
      exited: false,
      handshaken: false,
      down: false,
      handshakeTimer: undefined,
      lastReported: undefined,
      settle: undefined,
      first,
      stderrTail: [],
      stderrPartial: '',
      firstOutput: undefined,
    };
    this.running = run;
    this.pid = child.pid;
    const result = new Promise<void>((resolve, reject) => {
      run.settle = (err) => {
        run.settle = undefined;
        if (err !== undefined && first && err.kind === 'spawn') reject(err);
        else resolve();
      };
    });
    child.stdin.on('error', () => undefined); // EPIPE when the child dies: 'close' reports it
    child.stdout.on('data', (chunk: Buffer) => this.onStdout(run, chunk));
    child.stderr.on('data', (chunk: Buffer) => this.onStderr(run, chunk));
    child.on('error', (err) => {
      if (child.pid === undefined) this.down(run, 'spawn', `cannot start \`${this.settings.commandLine}\` in ${this.cwd}: ${describe(err)}`);
    });
    child.on('close', (code, signal) => {
      run.exited = true;
      run.exitCode = code;
      run.signal = signal;
      this.flushStderr(run);
      markClosed();
      if (run.down || this.closing) return;
      const how = signal !== null ? `was killed by ${signal}` : `exited with code ${String(code)}`;
      const after = run.lastReported === undefined ? '' : ` after reporting: ${firstLine(run.lastReported)}`;
      if (!run.handshaken) this.down(run, 'handshake', `the subprocess ${how} during the handshake${after}`);
      else this.down(run, 'exit', `the subprocess ${how}${after}`);
    });
    if (child.pid !== undefined) {
      const handshake: Record<string, unknown> = {
        pidDir: this.pidDir,
        conf: widenInts(handshakeConf(this.config, this.context)),
        context: stormContext(this.context),
      };
      if (this.settings.extension) handshake.squall = { version: 1 };
      child.stdin.write(this.codec.encode(handshake));
      run.handshakeTimer = setTimeout(
        () => this.down(run, 'timeout', `no handshake reply within ${this.timeoutMs / 1000} s (topology.subprocess.timeout.secs)`),
        this.timeoutMs,
      );
      run.handshakeTimer.unref();
    }
    return result;
  }

  private spawnFailed(first: boolean, err: unknown): Promise<void> {
    const error = new MultilangError(
      { kind: 'spawn', component: this.component, task: this.task, pid: undefined },
      `${this.describe()}: cannot start \`${this.settings.commandLine}\` in ${this.cwd}: ${describe(err)}`,
      { cause: err },
    );
    if (first) {
      rmSync(this.pidDir, { recursive: true, force: true });
      return Promise.reject(error);
    }
    this.reportError(error);
    this.scheduleRestart();
    return Promise.resolve();
  }

  private onStdout(run: Running, chunk: Buffer): void {
    if (run.down) return;
    this.lastHeard = performance.now();
    if (!run.handshaken && run.firstOutput === undefined) run.firstOutput = Buffer.from(chunk.subarray(0, 64));
    const inbox = this.inbox;
    let wireError: WireError | undefined;
    try {
      run.decoder.push(chunk, inbox);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      wireError = err;
    }
    // Messages before bad bytes are handled first: they may ack tuples that need not replay.
    const fast = this.codec.name === 'msgpack';
    const stats = this.settings.stats;
    try {
      for (let i = 0; i < inbox.length; i++) {
        if (run.down) break;
        const frame = inbox[i];
        if (!run.handshaken) {
          this.onHandshakeReply(run, this.codec.decodeFrame(frame));
          continue;
        }
        stats.messages++;
        if (fast) this.reader.readFrame(frame as Buffer);
        else this.reader.readMap(this.codec.decodeFrame(frame));
      }
    } catch (err) {
      // Anything else thrown while handling a message is a host-side failure: it must not take
      // the worker down, so it ends this subprocess like a protocol fault, reported.
      wireError ??= err instanceof WireError ? err : new WireError('protocol', `handling its message failed on the host: ${describe(err)}`);
    }
    inbox.length = 0;
    if (wireError !== undefined && !run.down) this.down(run, wireError.kind, wireError.message);
    if (!run.down && run.handshaken) this.hooks.onChunkDone();
  }

  private onHandshakeReply(run: Running, reply: ChildMessage): void {
    if (reply.command === 'error') {
      run.lastReported = String(reply.msg);
      this.down(run, 'handshake', `the subprocess failed before its handshake reply: ${String(reply.msg)}`);
      return;
    }
    const pid = reply.pid;
    if (typeof pid !== 'number' || !Number.isInteger(pid)) {
      this.down(run, 'handshake', `expected the handshake reply {"pid": <int>}, got ${preview(reply)}`);
      return;
    }
    clearTimeout(run.handshakeTimer);
    run.handshaken = true;
    this.pid = pid;
    const accepted = reply.squall as { version?: unknown } | undefined;
    this.extension = this.settings.extension && typeof accepted === 'object' && accepted !== null && accepted.version === 1;
    this.ready = true;
    this.settings.stats.recordStart(this.task, pid);
    this.logger.log('debug', `${this.describe()} started (${this.extension ? 'extension' : 'legacy'} mode, ${this.codec.name})`, {
      component: this.component,
      task: this.task,
      pid,
    });
    this.startTicks();
    this.hooks.onReady();
    run.settle?.();
  }

  private startTicks(): void {
    if (this.tickTimer !== undefined) return;
    // Often enough to notice a short timeout promptly; heartbeats keep their own interval.
    const period = Math.max(10, Math.min(this.settings.heartbeatIntervalMs, this.timeoutMs / 4));
    this.tickTimer = setInterval(() => this.tick(), period);
    this.tickTimer.unref();
  }

  private tick(): void {
    const run = this.running;
    if (run === undefined || run.down || !this.ready) return;
    const now = performance.now();
    const since = this.hooks.waitingSince();
    if (since !== undefined && now - Math.max(since, this.lastHeard) > this.timeoutMs) {
      const silent = ((now - Math.max(since, this.lastHeard)) / 1000).toFixed(1);
      this.down(run, 'timeout', `no answer for ${silent} s (timeout ${this.timeoutMs / 1000} s, topology.subprocess.timeout.secs)`);
      return;
    }
    this.hooks.onTick(now);
  }

  private onStderr(run: Running, chunk: Buffer): void {
    const text = run.stderrPartial + chunk.toString('utf8');
    const lines = text.split('\n');
    run.stderrPartial = (lines.pop() ?? '').slice(-STDERR_LINE_CHARS);
    for (const line of lines) this.stderrLine(line, run);
  }

  private flushStderr(run: Running): void {
    if (run.stderrPartial.length > 0) this.stderrLine(run.stderrPartial, run);
    run.stderrPartial = '';
  }

  private stderrLine(raw: string, run: Running): void {
    const line = raw.replace(/\r$/, '').slice(0, STDERR_LINE_CHARS);
    run.stderrTail.push(line);
    if (run.stderrTail.length > STDERR_LINES) run.stderrTail.shift();
    const pid = (this.running === run ? this.pid : undefined) ?? run.child.pid;
    this.logger.log('info', `${this.component}:${this.task} [pid ${pid ?? 'none'}] stderr: ${line}`, {
      component: this.component,
      task: this.task,
      pid,
    });
  }

  /** The commands bolts and spouts treat alike, handled here; the others go to the hooks. */
  private onCommand(c: ChildCommand): void {
    switch (c.command) {
      case 'log': {
        this.settings.stats.logs++;
        const pid = this.pid;
        this.logger.log(logLevel(c.level), `${this.component}:${this.task} [pid ${pid ?? 'none'}] ${c.msg}`, { component: this.component, task: this.task, pid });
        return;
      }
      case 'error':
        this.settings.stats.reportedErrors++;
        this.childReported(c.msg);
        return;
      case 'metrics':
        this.settings.stats.recordMetric(c.name, c.params);
        return;
      default:
        this.hooks.onCommand(c);
    }
  }

  /** The child's message being handled, for error texts. */
  currentMessage(): string {
    return this.reader.current();
  }

  /** Queues one message for the child; written at the next flush (this turn of the event loop). */
  send(message: unknown): void {
    if (!this.writable()) return;
    this.out.push(this.codec.encode(message));
    this.scheduleFlush();
  }

  /** Queues bytes already framed by {@link codec}. */
  sendEncoded(bytes: Buffer): void {
    if (!this.writable()) return;
    this.out.push(bytes);
    this.scheduleFlush();
  }

  private writable(): boolean {
    const run = this.running;
    return run !== undefined && !run.down && run.handshaken && !run.exited;
  }

  /** The current child's number: 1 for the first, +1 per restart. */
  get generationId(): number {
    return this.generation;
  }

  /** Asks for a flush at the end of this turn of the event loop. */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushBound);
  }

  /** Writes everything queued in one write. */
  flush(): void {
    this.hooks.beforeFlush();
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0) return;
    this.out = [];
    const run = this.running;
    if (run === undefined || run.down || run.exited) return;
    run.child.stdin.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
  }

  /** A protocol violation found by the bolt or spout: the child is faulty. */
  fault(kind: MultilangFaultKind, detail: string): void {
    const run = this.running;
    if (run !== undefined && !run.down) this.down(run, kind, detail);
  }

  /** The child sent an `error` message: reported, and remembered for an exit that may follow. */
  childReported(msg: string): void {
    const run = this.running;
    if (run !== undefined) run.lastReported = msg;
    this.reportError(
      new MultilangError(
        { kind: 'reported', component: this.component, task: this.task, pid: this.pid, stderrTail: [] },
        `${this.describe()} reported: ${msg}`,
      ),
    );
  }

  /**
   * The child is faulty or gone: fail its in-flight work, kill it, report the fault with its last
   * stderr lines once its pipes closed, and schedule a restart.
   */
  private down(run: Running, kind: MultilangFaultKind, detail: string): void {
    if (run.down) return;
    run.down = true;
    clearTimeout(run.handshakeTimer);
    // A handshake that never completes is most often a component of the other serializer.
    if (!run.handshaken && (kind === 'timeout' || kind === 'handshake')) detail += handshakeHint(this.codec.name, run.firstOutput);
    if (this.running === run) {
      this.ready = false;
    }
    const pid = this.pid ?? run.child.pid;
    const what = run.handshaken ? this.hooks.onDown() : '';
    if (!run.exited) run.child.kill('SIGKILL');
    // Its pid file goes with it: the supervisor kills what pidDir lists.
    if (pid !== undefined) rmSync(path.join(this.pidDir, String(pid)), { force: true });
    if (this.running === run && kind !== 'spawn' && performance.now() - run.spawnedAt >= HEALTHY_MS) this.consecutiveFaults = 0;
    const delay = Math.min(this.settings.restartDelayMs * 2 ** this.consecutiveFaults, this.settings.maxRestartDelayMs);
    this.consecutiveFaults++;
    if (run.first && kind === 'spawn') {
      // start() rejects with it: the command can never run, so there is nothing to restart (and
      // a runtime whose start failed may never call cleanup).
      rmSync(this.pidDir, { recursive: true, force: true });
      run.settle?.(
        new MultilangError({ kind, component: this.component, task: this.task, pid: undefined }, `${this.describe(pid)}: ${detail}`),
      );
      return;
    }
    const report = (): void => {
      const tail = [...run.stderrTail];
      const restart = this.closing ? 'not restarted: shutting down' : `restarting in ${delay} ms`;
      const consequences = [what, restart].filter((s) => s.length > 0).join('; ');
      const stderr = tail.length === 0 ? 'no stderr output' : `last stderr lines:\n${tail.map((l) => `  | ${l}`).join('\n')}`;
      const error = new MultilangError(
        { kind, component: this.component, task: this.task, pid, stderrTail: tail },
        `${this.describe(pid)}: ${detail}; ${consequences}. ${stderr}`,
      );
      this.settings.stats.recordFault(this.task, pid, kind, error.message);
      this.reportError(error);
      run.settle?.(error);
    };
    if (run.exited || kind === 'spawn') report();
    else {
      // Its last stderr lines arrive with the pipes' close.
      const timer = setTimeout(report, STDERR_WAIT_MS);
      void run.closed.then(() => {
        clearTimeout(timer);
        report();
      });
    }
    if (!this.closing && this.running === run) this.scheduleRestart(delay);
  }

  private scheduleRestart(delay = this.settings.restartDelayMs): void {
    if (this.closing || this.restartTimer !== undefined) return;
    this.restartTimer = setTimeout(() => {
      this.settings.stats.restarts++;
      void this.start();
    }, delay);
    this.restartTimer.unref();
  }

  /** Stops the child: closes its stdin, waits, then SIGTERM, then SIGKILL; removes the pid dir. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.flush();
    clearTimeout(this.restartTimer);
    clearInterval(this.tickTimer);
    const run = this.running;
    this.ready = false;
    if (run !== undefined) {
      clearTimeout(run.handshakeTimer);
      run.down = true;
      if (!run.exited) {
        run.child.stdin.end();
        if (!(await within(run.closed, GRACE_MS))) {
          run.child.kill('SIGTERM');
          if (!(await within(run.closed, GRACE_MS))) {
            run.child.kill('SIGKILL');
            await within(run.closed, GRACE_MS);
          }
        }
      }
      // A wrapper script may have started the real component under another pid.
      if (this.pid !== undefined && this.pid !== run.child.pid) {
        try {
          process.kill(this.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      run.settle?.();
    }
    rmSync(this.pidDir, { recursive: true, force: true });
  }
}

function within(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function firstLine(s: string): string {
  const lines = s.trim().split('\n');
  // A traceback's last line says what happened.
  const last = lines[lines.length - 1] ?? '';
  return lines.length > 1 ? `${last.trim()} (${lines.length} lines)` : last;
}

export { preview };
