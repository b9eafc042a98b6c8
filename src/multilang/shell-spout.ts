import type { Spout, SpoutOutputCollector, TopologyContext } from '../api/index.js';
import { describe } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import type { Values } from '../tuple/index.js';
import { widenInts } from './codec.js';
import { MultilangError } from './errors.js';
import { ShellComponent, type ShellSettings, type ShellSpoutOptions } from './options.js';
import type { EmitCommand } from './child-messages.js';
import { ShellRunner, preview, type RunnerHooks, type TaskCommand } from './shell-process.js';

/**
 * The message id of a tuple a spout subprocess emitted: the id exactly as the subprocess gave it
 * (string or number), and which subprocess gave it, so that acks and fails of tuples emitted by a
 * subprocess that has since been restarted are not sent to its successor, which never saw them.
 */
export class ShellMessageId {
  constructor(
    readonly id: string | number | bigint,
    readonly generation: number,
  ) {}

  toString(): string {
    return String(this.id);
  }

  toJSON(): unknown {
    return typeof this.id === 'bigint' ? this.id.toString() : this.id;
  }
}

/**
 * A spout implemented by a subprocess speaking Storm's multilang protocol (Storm's `ShellSpout`):
 *
 * ```ts
 * builder.setSpout('sentences', new ShellSpout({ command: ['python3', 'sentence_spout.py'], outputFields: ['sentence'] }));
 * ```
 *
 * `nextTuple` asks the subprocess for tuples (`next`) when no request is outstanding; its emits
 * reach the runtime as they arrive. In legacy mode every command waits for the previous one's
 * `sync`, as in Storm; with Squall's extension a `next` carries credits (up to the room left
 * under `topology.max.spout.pending`) and acks and fails travel in batches without waiting.
 * A subprocess that exits, hangs or breaks the protocol is reported and restarted; the tuples it
 * had emitted stay tracked and time out.
 */
export class ShellSpout extends ShellComponent implements Spout {
  private task: ShellSpoutTask | undefined;

  constructor(options: ShellSpoutOptions) {
    super('spout', options);
  }

  async open(config: TopologyConfig, context: TopologyContext, collector: SpoutOutputCollector): Promise<void> {
    this.task = new ShellSpoutTask(this.settings, config, context, collector);
    await this.task.runner.start(true);
  }

  nextTuple(): void {
    this.task?.next();
  }

  ack(messageId: unknown): void {
    this.task?.settle(messageId, 'ack');
  }

  fail(messageId: unknown): void {
    this.task?.settle(messageId, 'fail');
  }

  activate(): void {
    this.task?.setActive(true);
  }

  deactivate(): void {
    this.task?.setActive(false);
  }

  async close(): Promise<void> {
    await this.task?.runner.close();
  }
}

class ShellSpoutTask implements RunnerHooks {
  readonly runner: ShellRunner;
  private active = false;
  /** Legacy: commands waiting for the previous one's sync. */
  private queue: Record<string, unknown>[] = [];
  /** performance.now() when the command now awaiting its sync was sent (legacy: any; extension: next). */
  private awaitingSince: number | undefined;
  /** Extension: ids to ack and fail at the next flush. */
  private acks: unknown[] = [];
  private fails: unknown[] = [];
  private generation = 0;
  private readonly maxPending: number;

  constructor(
    private readonly settings: ShellSettings,
    config: TopologyConfig,
    private readonly context: TopologyContext,
    private readonly collector: SpoutOutputCollector,
  ) {
    this.runner = new ShellRunner('spout', settings, config, context, (e) => collector.reportError(e), this);
    this.maxPending = config['topology.max.spout.pending'] ?? Number.POSITIVE_INFINITY;
  }

  /** nextTuple: ask for tuples unless a request (or, in legacy mode, any command) is outstanding. */
  next(): void {
    if (!this.active || !this.runner.ready || this.awaitingSince !== undefined) return;
    if (!this.runner.extension) {
      if (this.queue.length === 0) this.command({ command: 'next', id: '' });
      return;
    }
    const room = this.maxPending - this.collector.getPendingCount();
    const credits = Math.min(this.settings.maxCredits, room);
    if (credits < 1) return;
    this.send({ command: 'next', id: '', credits });
    this.awaitingSince = performance.now();
  }

  settle(messageId: unknown, what: 'ack' | 'fail'): void {
    // Tuples of a subprocess that is gone: its successor never emitted them.
    if (!(messageId instanceof ShellMessageId) || messageId.generation !== this.generation || !this.runner.ready) return;
    const id = widenInts(messageId.id);
    if (this.runner.extension) {
      (what === 'ack' ? this.acks : this.fails).push(id);
      this.runner.scheduleFlush();
    } else {
      this.command({ command: what, id });
    }
  }

  setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    if (this.runner.ready) this.sendActivation();
  }

  private sendActivation(): void {
    const message = { command: this.active ? 'activate' : 'deactivate', id: '' };
    if (this.runner.extension) this.send(message);
    else this.command(message);
  }

  /** Extension mode: acks and fails collected so far go before the message, keeping call order. */
  private send(message: Record<string, unknown>): void {
    this.beforeFlush();
    this.runner.send(message);
  }

  /** Legacy lockstep: one command at a time, each answered by a sync. */
  private command(message: Record<string, unknown>): void {
    this.queue.push(message);
    this.pump();
  }

  private pump(): void {
    if (this.awaitingSince !== undefined || this.queue.length === 0 || !this.runner.ready) return;
    const message = this.queue.shift() as Record<string, unknown>;
    this.runner.send(message);
    this.awaitingSince = performance.now();
  }

  beforeFlush(): void {
    if (this.acks.length > 0) {
      const ids = this.acks;
      this.acks = [];
      this.runner.send(ids.length === 1 ? { command: 'ack', id: ids[0] } : { command: 'acks', ids });
    }
    if (this.fails.length > 0) {
      const ids = this.fails;
      this.fails = [];
      this.runner.send(ids.length === 1 ? { command: 'fail', id: ids[0] } : { command: 'fails', ids });
    }
  }

  // -- the subprocess's messages --------------------------------------------------------------

  onCommand(c: TaskCommand): void {
    switch (c.command) {
      case 'emit':
        this.emit(c);
        return;
      case 'sync':
        if (this.awaitingSince === undefined) {
          this.runner.fault('protocol', 'a sync that answers no command');
          return;
        }
        this.awaitingSince = undefined;
        if (!this.runner.extension) this.pump();
        return;
      default:
        // Storm's ShellSpout throws on anything else: a spout that acks or sends nonsense is broken.
        this.runner.fault('protocol', `a spout cannot send ${preview(c.command === 'unknown' ? c.name : c.command)}: ${this.runner.currentMessage()}`);
    }
  }

  private emit(m: EmitCommand): void {
    const rawId = m.id;
    const reliable = rawId !== undefined && rawId !== null;
    if (reliable && typeof rawId !== 'string' && typeof rawId !== 'number' && typeof rawId !== 'bigint') {
      this.runner.fault('protocol', `an emit whose id is neither a string nor a number: ${this.runner.currentMessage()}`);
      return;
    }
    const messageId = reliable ? new ShellMessageId(rawId, this.generation) : undefined;
    const { stream, task, tuple: values } = m;
    const direct = task !== 0;
    const needTaskIds = !direct && (m.needTaskIds ?? !this.runner.extension);
    try {
      if (direct) {
        this.collector.emitDirect(task, stream, values as Values, messageId);
      } else {
        const tasks = this.collector.emit(stream, values as Values, messageId);
        // Legacy: written right after the emit, before the subprocess's sync.
        if (needTaskIds) this.runner.send(tasks);
      }
    } catch (err) {
      this.collector.reportError(
        new MultilangError(
          { kind: 'emit', component: this.context.thisComponentId, task: this.context.thisTaskId, pid: this.runner.pid },
          `${this.runner.describe()}: emit refused (${describe(err)})${reliable ? `; tuple ${preview(rawId)} is failed back to the spout` : ''}`,
          { cause: err },
        ),
      );
      if (needTaskIds) this.runner.send([]);
      // The subprocess waits for an ack or fail of every reliable tuple: it gets the fail.
      if (messageId !== undefined) this.settle(messageId, 'fail');
    }
  }

  onChunkDone(): void {
    this.runner.flush();
  }

  // -- life and death -------------------------------------------------------------------------

  onReady(): void {
    this.generation = this.runner.generationId;
    this.queue = [];
    this.acks = [];
    this.fails = [];
    this.awaitingSince = undefined;
    if (this.active) this.sendActivation();
    this.runner.flush();
  }

  onDown(): string {
    this.queue = [];
    this.acks = [];
    this.fails = [];
    this.awaitingSince = undefined;
    const pending = this.collector.getPendingCount();
    return pending === 0
      ? 'no tuples of this spout were pending'
      : `${pending} pending tuple(s) of this spout time out and fail (topology.message.timeout.secs)`;
  }

  onTick(): void {}

  waitingSince(): number | undefined {
    return this.awaitingSince;
  }
}
