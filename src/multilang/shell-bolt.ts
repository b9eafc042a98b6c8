import type { Bolt, OutputCollector, TopologyContext } from '../api/index.js';
import { SquallError, describe } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import type { Tuple, Values } from '../tuple/index.js';
import type { EmitCommand } from './child-messages.js';
import { MultilangError } from './errors.js';
import { HeldInputs } from './held-inputs.js';
import { InFlight } from './in-flight.js';
import { ShellComponent, type ShellSettings, type ShellBoltOptions } from './options.js';
import { ShellRunner, preview, type RunnerHooks, type TaskCommand } from './shell-process.js';
import { TupleOutbox } from './tuple-outbox.js';

/**
 * Tuples in flight in extension mode at least (see {@link ShellBoltOptions.maxPending}): 16
 * batches, so that a subprocess scheduled late on a busy machine still finds work queued and the
 * host does not sit idle waiting for its answers.
 */
const EXTENSION_MIN_PENDING = 4000;

/**
 * A bolt implemented by a subprocess speaking Storm's multilang protocol (Storm's `ShellBolt`),
 * such as a Python or Go component:
 *
 * ```ts
 * builder.setBolt('split', new ShellBolt({ command: ['python3', 'split.py'], outputFields: ['word'] }), 2)
 *   .shuffleGrouping('sentences');
 * ```
 *
 * Each task runs its own subprocess, started in `prepare`. Inputs are forwarded with a generated
 * id; the subprocess anchors its emits to those ids and acks or fails each input once. Squall's
 * protocol extension (batches of tuples, one write per batch) is used when the subprocess accepts
 * it. A subprocess that exits, hangs or breaks the protocol is reported, its in-flight inputs
 * fail (so the spouts replay them), and it is restarted with exponential backoff while inputs
 * wait for it.
 */
export class ShellBolt extends ShellComponent implements Bolt {
  private task: ShellBoltTask | undefined;

  constructor(options: ShellBoltOptions) {
    super('bolt', options);
  }

  async prepare(config: TopologyConfig, context: TopologyContext, collector: OutputCollector): Promise<void> {
    this.task = new ShellBoltTask(this.settings, config, context, collector);
    await this.task.runner.start(true);
  }

  execute(input: Tuple): void | Promise<void> {
    const task = this.task;
    if (task === undefined) throw new SquallError('MULTILANG', `ShellBolt \`${this.settings.commandLine}\`: execute before prepare`);
    return task.execute(input);
  }

  /**
   * Sends a heartbeat now, on a prepared task (the runtime's per-task copy; a timer sends one every
   * `heartbeatIntervalMs`). For tests that drive a bolt by hand.
   */
  heartbeat(): void {
    this.task?.heartbeat(performance.now());
  }

  /**
   * Inputs the subprocess holds: sent to it and not yet acked or failed. The runtime's `drain`
   * (topology kill, shutdown) waits for them as for queued tuples; with acking off nothing else
   * would, and their emits would be lost.
   */
  heldTuples(): number {
    return this.task?.held ?? 0;
  }

  async cleanup(): Promise<void> {
    await this.task?.close();
  }
}

/**
 * The id the host gave an input, as the number it was made from: the subprocess echoes it as a
 * str of digits (or, leniently, an int). Anything else matches no input.
 */
function idKey(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && raw.length > 0 && raw.length < 16 && /^[0-9]+$/.test(raw)) return Number(raw);
  return undefined;
}

/** The state of one task: its subprocess and the tuples it holds. */
class ShellBoltTask implements RunnerHooks {
  readonly runner: ShellRunner;
  /** Inputs sent to the subprocess and not yet acked or failed, by the id it knows them by. */
  private readonly inFlight: InFlight<Tuple>;
  /** Inputs an emit anchored to them was refused for: failed when the subprocess acks them. */
  private readonly failOnAck = new Set<number>();
  /** Inputs held until there is room (or a subprocess): `execute` promises not yet resolved. */
  private readonly heldInputs = new HeldInputs();
  /** What goes to the subprocess: inputs (batched in extension mode) and the other messages. */
  private readonly outbox: TupleOutbox;
  private seq = 0;
  private maxPending: number;
  private heartbeatSentAt: number | undefined;
  private lastHeartbeatAt = 0;
  private readonly unknownCommands = new Set<string>();
  private readonly room = (): boolean => this.runner.ready && this.inFlight.size < this.maxPending;
  private readonly sendBound = (input: Tuple): void => this.send(input);

  constructor(
    private readonly settings: ShellSettings,
    private readonly config: TopologyConfig,
    private readonly context: TopologyContext,
    private readonly collector: OutputCollector,
  ) {
    this.runner = new ShellRunner('bolt', settings, config, context, (e) => collector.reportError(e), this);
    this.maxPending = this.pendingLimit(false);
    this.inFlight = new InFlight(this.maxPending * 4);
    // Values this serializer cannot carry (bytes over json, bigints past 64 bits): the input fails.
    this.outbox = new TupleOutbox(this.runner, settings.batchSize, this.inFlight, (input, err) => {
      collector.reportError(err);
      collector.fail(input);
    });
  }

  /**
   * Storm's limit (`topology.shellbolt.max.pending`, 100) suits one message per tuple. In extension
   * mode tuples travel in batches of a few hundred: the window must hold several batches so the
   * subprocess always has the next one while the host handles its answers to the last.
   */
  private pendingLimit(extension: boolean): number {
    const configured = this.settings.maxPending ?? this.config['topology.shellbolt.max.pending'];
    return extension && this.settings.maxPending === undefined ? Math.max(configured, EXTENSION_MIN_PENDING) : configured;
  }

  /** Inputs sent to the subprocess (or batched for it) and not yet acked or failed. */
  get held(): number {
    return this.inFlight.size;
  }

  execute(input: Tuple): void | Promise<void> {
    if (this.runner.ready && this.heldInputs.size === 0 && this.inFlight.size < this.maxPending) {
      this.send(input);
      return;
    }
    // Full, or the subprocess is restarting: hold the input.
    return this.heldInputs.hold(input);
  }

  private send(input: Tuple): void {
    this.outbox.send(++this.seq, input);
  }

  beforeFlush(force = false): void {
    this.outbox.beforeFlush(force);
  }

  /** Queues a message of another kind (task ids, a heartbeat) after the tuples before it. */
  private sendMessage(message: unknown): void {
    this.outbox.sendMessage(message);
  }

  /** Moves held inputs to the subprocess while there is room. */
  private release(): void {
    this.heldInputs.release(this.room, this.sendBound);
  }

  // -- the subprocess's commands --------------------------------------------------------------

  onCommand(c: TaskCommand): void {
    switch (c.command) {
      case 'emit':
        this.onEmit(c);
        return;
      case 'ack':
        this.onSettle(c.id, true);
        return;
      case 'fail':
        this.onSettle(c.id, false);
        return;
      case 'sync':
        this.heartbeatSentAt = undefined;
        return;
      case 'unknown':
        this.onUnknown(c.name);
    }
  }

  /** An emit: `anchors` none (undefined, null, []), one id, or a list of ids. */
  private onEmit(m: EmitCommand): void {
    const { anchors: rawAnchors, stream, task, tuple: values } = m;
    let anchors: Tuple | Tuple[] | null = null;
    if (Array.isArray(rawAnchors)) {
      if (rawAnchors.length === 1) {
        anchors = this.anchor(rawAnchors[0]) ?? null;
        if (anchors === null) return;
      } else if (rawAnchors.length > 1) {
        const list = new Array<Tuple>(rawAnchors.length);
        for (let i = 0; i < rawAnchors.length; i++) {
          const t = this.anchor(rawAnchors[i]);
          if (t === undefined) return;
          list[i] = t;
        }
        anchors = list;
      }
    } else if (rawAnchors !== undefined && rawAnchors !== null) {
      anchors = this.anchor(rawAnchors) ?? null;
      if (anchors === null) return;
    }
    const direct = task !== 0;
    // Direct emits never get task ids back; others do when asked, by default in legacy mode.
    const needTaskIds = !direct && (m.needTaskIds ?? !this.runner.extension);
    try {
      if (direct) {
        this.collector.emitDirect(task, stream, anchors, values as Values);
      } else {
        const tasks = this.collector.emit(stream, anchors, values as Values);
        if (needTaskIds) this.sendMessage(tasks);
      }
    } catch (err) {
      // The runtime refused the tuple (fields, stream, direct task): the inputs it derives from
      // fail instead of being acked, so nothing is lost silently.
      const keys = (Array.isArray(rawAnchors) ? rawAnchors : rawAnchors === undefined || rawAnchors === null ? [] : [rawAnchors])
        .map(idKey)
        .filter((k): k is number => k !== undefined);
      for (const k of keys) this.failOnAck.add(k);
      this.collector.reportError(
        new MultilangError(
          { kind: 'emit', component: this.context.thisComponentId, task: this.context.thisTaskId, pid: this.runner.pid },
          `${this.runner.describe()}: emit refused (${describe(err)}); ${keys.length > 0 ? 'its anchor tuple(s) will fail' : 'the tuple is dropped'}`,
          { cause: err },
        ),
      );
      if (needTaskIds) this.sendMessage([]);
    }
  }

  /** The pending input an anchor id names; a fault (and undefined) if there is none. */
  private anchor(raw: unknown): Tuple | undefined {
    const k = idKey(raw);
    const t = k === undefined ? undefined : this.inFlight.get(k);
    if (t === undefined) {
      this.runner.fault(
        'protocol',
        `an emit anchored onto tuple id ${preview(raw)}, which is not pending (already acked or failed, or never sent; Storm: "Anchored onto ${String(raw)} after ack/fail")`,
      );
    }
    return t;
  }

  private onSettle(rawId: unknown, ok: boolean): void {
    const k = idKey(rawId);
    const input = k === undefined ? undefined : this.inFlight.take(k);
    if (input === undefined || k === undefined) {
      this.runner.fault(
        'protocol',
        `${ok ? 'ack' : 'fail'} of tuple id ${preview(rawId)}, which is not pending (acked or failed twice, a heartbeat's id, or never sent)`,
      );
      return;
    }
    if (!ok || (this.failOnAck.size > 0 && this.failOnAck.delete(k))) this.collector.fail(input);
    else this.collector.ack(input);
  }

  /** Storm's ShellBolt ignores unknown commands; reported once per command so a typo shows. */
  private onUnknown(command: unknown): void {
    const name = String(command);
    if (this.unknownCommands.has(name)) return;
    this.unknownCommands.add(name);
    this.collector.reportError(
      new MultilangError(
        { kind: 'unknown-command', component: this.context.thisComponentId, task: this.context.thisTaskId, pid: this.runner.pid },
        `${this.runner.describe()}: unknown command ${preview(command)} ignored, as Storm does (reported once): ${this.runner.currentMessage()}`,
      ),
    );
  }

  onChunkDone(): void {
    this.release();
    // Task ids (legacy mode) are awaited by the subprocess: write them now, not later. Answers
    // also freed room, so a batch left to grow may go now (beforeFlush decides). The collector's
    // emits and acks have already woken the worker loop.
    this.runner.flush();
  }

  // -- life and death -------------------------------------------------------------------------

  onReady(): void {
    this.maxPending = this.pendingLimit(this.runner.extension);
    this.inFlight.reserve(this.maxPending * 4);
    this.heartbeatSentAt = undefined;
    this.lastHeartbeatAt = performance.now();
    this.release();
    this.runner.flush();
  }

  onDown(): string {
    const failed = this.inFlight.size;
    // Bytes for this subprocess never go to the next one.
    this.outbox.discard();
    this.heartbeatSentAt = undefined;
    this.inFlight.drain(this.failInput);
    this.failOnAck.clear();
    const held = this.heldInputs.size;
    const parts = [failed === 0 ? 'no tuples were in flight' : `${failed} in-flight tuple(s) failed (their spouts replay them)`];
    if (held > 0) parts.push(`${held} input(s) held for the new subprocess`);
    return parts.join(', ');
  }

  private readonly failInput = (input: Tuple): void => this.collector.fail(input);

  onTick(now: number): void {
    if (this.heartbeatSentAt === undefined && now - this.lastHeartbeatAt >= this.settings.heartbeatIntervalMs) this.heartbeat(now);
  }

  heartbeat(now: number): void {
    if (!this.runner.ready) return;
    // Tuples batched before the heartbeat go first.
    this.beforeFlush(true);
    this.sendMessage({ id: String(++this.seq), comp: null, stream: '__heartbeat', task: -1, tuple: [] });
    this.heartbeatSentAt = now;
    this.lastHeartbeatAt = now;
  }

  waitingSince(): number | undefined {
    return this.heartbeatSentAt;
  }

  async close(): Promise<void> {
    if (this.runner.ready) this.beforeFlush(true);
    this.outbox.stopLinger();
    await this.runner.close();
    // Held inputs are let go; their trees time out and replay, as for anything in flight at shutdown.
    this.heldInputs.releaseAll();
  }
}
