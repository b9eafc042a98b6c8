import type { Bolt, OutputCollector, TopologyContext } from '../api/index.js';
import { SquallError, describe } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import { DEFAULT_STREAM, type Tuple, type Values } from '../tuple/index.js';
import { widenInts } from './codec.js';
import { MultilangError, WireError } from './errors.js';
import { MsgpackReader, MsgpackWriter, key } from './msgpack-fast.js';
import { ShellComponent, type ShellSettings, type ShellBoltOptions } from './options.js';
import { ShellRunner, forEachMessage, logLevel, preview, type ChildMessage, type RunnerHooks } from './shell-process.js';

/** Tuples in flight in extension mode at least (see {@link ShellBoltOptions.maxPending}). */
const EXTENSION_MIN_PENDING = 2000;
/** Longest a partial batch waits for more tuples while the subprocess is busy. */
const BATCH_LINGER_MS = 2;

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

  async cleanup(): Promise<void> {
    await this.task?.close();
  }
}

interface Waiting {
  readonly input: Tuple;
  readonly resolve: () => void;
}

const enum Cmd {
  None,
  Emit,
  Ack,
  Fail,
  Sync,
  Log,
  Error,
  Metrics,
  Batch,
  Other,
}

const K = {
  command: key('command'),
  anchors: key('anchors'),
  tuple: key('tuple'),
  id: key('id'),
  stream: key('stream'),
  task: key('task'),
  needTaskIds: key('need_task_ids'),
  msg: key('msg'),
  level: key('level'),
  name: key('name'),
  params: key('params'),
  messages: key('messages'),
  emit: key('emit'),
  ack: key('ack'),
  fail: key('fail'),
  sync: key('sync'),
  log: key('log'),
  error: key('error'),
  metrics: key('metrics'),
  batch: key('batch'),
};

/** The bytes of `{"command": "tuples", "tuples": ` with the array header to follow. */
const TUPLES_HEAD = Buffer.from([0x82, 0xa7, ...key('command'), 0xa6, ...key('tuples'), 0xa6, ...key('tuples')]);

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
  private readonly inFlight = new Map<number, Tuple>();
  /** Inputs an emit anchored to them was refused for: failed when the subprocess acks them. */
  private readonly failOnAck = new Set<number>();
  /** Inputs held until there is room (or a subprocess): `execute` promises not yet resolved. */
  private waiting: Waiting[] = [];
  private waitingHead = 0;
  /** Extension mode: the tuples of the `tuples` message being built, and their ids. */
  private readonly batchInputs: Tuple[] = [];
  private readonly batchIds: number[] = [];
  private seq = 0;
  private maxPending: number;
  private heartbeatSentAt: number | undefined;
  private lastHeartbeatAt = 0;
  private readonly unknownCommands = new Set<string>();
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly lingerDone = (): void => {
    this.lingerTimer = undefined;
    this.beforeFlush(true);
    this.runner.flush();
  };
  /** msgpack only: the fast writer and reader; the generic codec otherwise. */
  private readonly writer: MsgpackWriter | undefined;
  private readonly reader = new MsgpackReader();
  /** Encoded source component and stream names, reused across tuples. */
  private readonly nameBytes = new Map<string, Buffer>();
  /** The message being handled: decoded (json), or where its bytes are (msgpack fast path). */
  private current: ChildMessage | undefined;
  private currentStart = 0;
  private currentEnd = 0;

  constructor(
    private readonly settings: ShellSettings,
    private readonly config: TopologyConfig,
    private readonly context: TopologyContext,
    private readonly collector: OutputCollector,
  ) {
    this.runner = new ShellRunner('bolt', settings, config, context, (e) => collector.reportError(e), this);
    this.maxPending = this.pendingLimit(false);
    this.writer = this.runner.codec.name === 'msgpack' ? new MsgpackWriter() : undefined;
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

  execute(input: Tuple): void | Promise<void> {
    if (this.runner.ready && this.waitingHead === this.waiting.length && this.inFlight.size < this.maxPending) {
      this.send(input);
      return;
    }
    // Full, or the subprocess is restarting: hold the input. The executor bounds the promises it
    // waits on (topology.bolt.max.async.pending), so what is held stays bounded.
    return new Promise<void>((resolve) => this.waiting.push({ input, resolve }));
  }

  private send(input: Tuple): void {
    const id = ++this.seq;
    if (this.runner.extension) {
      this.inFlight.set(id, input);
      this.batchIds.push(id);
      this.batchInputs.push(input);
      if (this.batchIds.length >= this.settings.batchSize) this.runner.flush();
      else this.runner.scheduleFlush();
      return;
    }
    let bytes: Buffer;
    try {
      bytes = this.encodeTupleMap(id, input);
    } catch (err) {
      // Values this serializer cannot carry (bytes over json, bigints past 64 bits).
      this.collector.reportError(err);
      this.collector.fail(input);
      return;
    }
    this.inFlight.set(id, input);
    this.runner.sendEncoded(bytes);
  }

  private encodeTupleMap(id: number, input: Tuple): Buffer {
    const w = this.writer;
    if (w === undefined) {
      return this.runner.codec.encode({
        id: String(id),
        comp: input.sourceComponent,
        stream: input.sourceStreamId,
        task: input.sourceTask,
        tuple: widenInts(input.values),
      });
    }
    try {
      w.mapHeader(5);
      w.str('id');
      w.decimalStr(id);
      w.str('comp');
      this.name(w, input.sourceComponent);
      w.str('stream');
      this.name(w, input.sourceStreamId);
      w.str('task');
      w.int(input.sourceTask);
      w.str('tuple');
      w.value(input.values);
    } catch (err) {
      w.discard();
      throw err;
    }
    return w.take();
  }

  private name(w: MsgpackWriter, s: string): void {
    let bytes = this.nameBytes.get(s);
    if (bytes === undefined) {
      const scratch = new MsgpackWriter();
      scratch.str(s);
      bytes = Buffer.from(scratch.take());
      if (this.nameBytes.size < 1000) this.nameBytes.set(s, bytes);
    }
    w.raw(bytes);
  }

  /**
   * Encodes the batch being built: one tuple as a plain tuple map, more as a `tuples` message.
   * While the subprocess still has a full batch to work on, a partial batch waits to grow (until
   * the subprocess answers, the batch fills, or {@link BATCH_LINGER_MS}): otherwise a busy
   * pipeline settles into tiny batches, one per event-loop turn, and per-message costs dominate.
   */
  beforeFlush(force = false): void {
    const ids = this.batchIds;
    const n = ids.length;
    if (n === 0) return;
    const batchSize = this.settings.batchSize;
    if (!force && n < batchSize && this.inFlight.size - n >= batchSize) {
      this.lingerTimer ??= setTimeout(this.lingerDone, BATCH_LINGER_MS);
      return;
    }
    if (this.lingerTimer !== undefined) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
    const inputs = this.batchInputs;
    let bytes: Buffer | undefined;
    try {
      bytes = n === 1 ? this.encodeTupleMap(ids[0] as number, inputs[0] as Tuple) : this.encodeTuples(ids, inputs);
    } catch {
      this.encodeOneByOne(ids, inputs);
    }
    // The arrays are reused: no garbage per batch.
    ids.length = 0;
    inputs.length = 0;
    if (bytes !== undefined) this.runner.sendEncoded(bytes);
  }

  private encodeTuples(ids: readonly number[], inputs: readonly Tuple[]): Buffer {
    const w = this.writer;
    if (w === undefined) {
      const tuples = inputs.map((t, i) => [String(ids[i]), t.sourceComponent, t.sourceStreamId, t.sourceTask, widenInts(t.values)]);
      return this.runner.codec.encode({ command: 'tuples', tuples });
    }
    try {
      w.raw(TUPLES_HEAD);
      w.arrayHeader(ids.length);
      for (let i = 0; i < ids.length; i++) {
        const t = inputs[i] as Tuple;
        w.arrayHeader(5);
        w.decimalStr(ids[i] as number);
        this.name(w, t.sourceComponent);
        this.name(w, t.sourceStreamId);
        w.int(t.sourceTask);
        w.value(t.values);
      }
    } catch (err) {
      w.discard();
      throw err;
    }
    return w.take();
  }

  /** A value in the batch cannot be encoded: send the others singly and fail the culprits. */
  private encodeOneByOne(ids: readonly number[], inputs: readonly Tuple[]): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      const input = inputs[i] as Tuple;
      try {
        this.runner.sendEncoded(this.encodeTupleMap(id, input));
      } catch (err) {
        this.inFlight.delete(id);
        this.collector.reportError(err);
        this.collector.fail(input);
      }
    }
  }

  /** Moves held inputs to the subprocess while there is room. */
  private release(): void {
    const w = this.waiting;
    if (this.waitingHead === w.length) return;
    while (this.waitingHead < w.length && this.runner.ready && this.inFlight.size < this.maxPending) {
      const next = w[this.waitingHead] as Waiting;
      this.waitingHead++;
      this.send(next.input);
      next.resolve();
    }
    if (this.waitingHead === w.length) {
      this.waiting = [];
      this.waitingHead = 0;
    } else if (this.waitingHead > 1024) {
      this.waiting = w.slice(this.waitingHead);
      this.waitingHead = 0;
    }
  }

  // -- the subprocess's messages: decoded maps (json) ------------------------------------------

  onMessage(message: ChildMessage): void {
    forEachMessage(this.runner, message, this.handleMessage);
  }

  private readonly handleMessage = (m: ChildMessage): void => this.handle(m);

  private handle(m: ChildMessage): void {
    this.current = m;
    switch (m.command) {
      case 'emit':
        this.onEmit(m.anchors, m.stream, m.task, m.tuple, m.need_task_ids);
        return;
      case 'ack':
        this.onSettle(m.id, true);
        return;
      case 'fail':
        this.onSettle(m.id, false);
        return;
      case 'sync':
        this.heartbeatSentAt = undefined;
        return;
      case 'log':
        this.onLog(m.msg, m.level);
        return;
      case 'error':
        this.onError(m.msg);
        return;
      case 'metrics':
        this.settings.stats.recordMetric(String(m.name), m.params);
        return;
      default:
        this.onUnknown(m.command);
    }
  }

  // -- the subprocess's messages: msgpack bytes, read without building maps --------------------

  onFrame(frame: Buffer): void {
    const r = this.reader;
    r.reset(frame);
    this.readMessage(r, true);
  }

  private readMessage(r: MsgpackReader, top: boolean): void {
    const start = r.pos;
    const n = r.mapHeader();
    if (n < 0) throw new WireError('decode', `expected a message (a map), got ${preview(r.value())}`);
    let cmd = Cmd.None;
    let command: unknown;
    // One anchor (the usual case) is kept as the id itself: no array per emit.
    let anchors: unknown;
    let id: unknown;
    let values: unknown;
    let stream: unknown;
    let task: unknown;
    let needTaskIds: unknown;
    let msg: unknown;
    let level: unknown;
    let name: unknown;
    let params: unknown;
    let messagesAt = -1;
    for (let i = 0; i < n; i++) {
      if (r.isStr(K.command)) {
        if (r.isStr(K.emit)) cmd = Cmd.Emit;
        else if (r.isStr(K.ack)) cmd = Cmd.Ack;
        else if (r.isStr(K.fail)) cmd = Cmd.Fail;
        else if (r.isStr(K.sync)) cmd = Cmd.Sync;
        else if (r.isStr(K.log)) cmd = Cmd.Log;
        else if (r.isStr(K.batch)) cmd = Cmd.Batch;
        else if (r.isStr(K.error)) cmd = Cmd.Error;
        else if (r.isStr(K.metrics)) cmd = Cmd.Metrics;
        else {
          cmd = Cmd.Other;
          command = r.value();
        }
      } else if (r.isStr(K.anchors)) {
        const count = r.arrayHeader();
        // Storm accepts a single id as well as a list.
        if (count < 0 || count === 1) anchors = r.id();
        else {
          const list = new Array<unknown>(count);
          for (let j = 0; j < count; j++) list[j] = r.id();
          anchors = list;
        }
      } else if (r.isStr(K.tuple)) values = r.value();
      else if (r.isStr(K.id)) id = r.id();
      else if (r.isStr(K.stream)) stream = r.value();
      else if (r.isStr(K.task)) task = r.value();
      else if (r.isStr(K.needTaskIds)) needTaskIds = r.value();
      else if (r.isStr(K.msg)) msg = r.value();
      else if (r.isStr(K.level)) level = r.value();
      else if (r.isStr(K.name)) name = r.value();
      else if (r.isStr(K.params)) params = r.value();
      else if (r.isStr(K.messages)) {
        if (cmd === Cmd.Batch && top) {
          // The usual order (command first): handle the messages where they are.
          const count = r.arrayHeader();
          if (count < 0) {
            this.runner.fault('protocol', 'a batch without a "messages" list');
            return;
          }
          for (let j = 0; j < count && this.runner.ready; j++) this.readMessage(r, false);
          if (!this.runner.ready) return;
          messagesAt = -2;
        } else {
          messagesAt = r.pos;
          r.skip();
        }
      } else {
        r.skip();
        r.skip();
      }
    }
    const end = r.pos;
    this.current = undefined;
    this.currentStart = start;
    this.currentEnd = end;
    switch (cmd) {
      case Cmd.Emit:
        this.onEmit(anchors, stream, task, values, needTaskIds);
        return;
      case Cmd.Ack:
        this.onSettle(id, true);
        return;
      case Cmd.Fail:
        this.onSettle(id, false);
        return;
      case Cmd.Sync:
        this.heartbeatSentAt = undefined;
        return;
      case Cmd.Log:
        this.onLog(msg, level);
        return;
      case Cmd.Error:
        this.onError(msg);
        return;
      case Cmd.Metrics:
        this.settings.stats.recordMetric(String(name), params);
        return;
      case Cmd.Batch: {
        if (messagesAt === -2) return;
        if (!top) {
          this.runner.fault('protocol', `a batch may not hold a batch: ${this.currentMessage()}`);
          return;
        }
        if (messagesAt < 0) {
          this.runner.fault('protocol', `a batch without a "messages" list: ${this.currentMessage()}`);
          return;
        }
        r.pos = messagesAt;
        const count = r.arrayHeader();
        if (count < 0) {
          this.runner.fault('protocol', `a batch without a "messages" list: ${this.currentMessage()}`);
          return;
        }
        for (let j = 0; j < count && this.runner.ready; j++) this.readMessage(r, false);
        r.pos = end;
        return;
      }
      case Cmd.Other:
        this.onUnknown(command);
        return;
      case Cmd.None:
        this.onUnknown(undefined);
    }
  }

  /** The message being handled, for error texts (decoded again only then). */
  private currentMessage(): string {
    if (this.current !== undefined) return preview(this.current);
    try {
      return preview(this.runner.codec.decodeFrame(this.reader.buf.subarray(this.currentStart, this.currentEnd)));
    } catch {
      return '<undecodable>';
    }
  }

  // -- what the messages do -------------------------------------------------------------------

  /** `rawAnchors`: none (undefined, null, []), one id, or a list of ids. */
  private onEmit(
    rawAnchors: unknown,
    rawStream: unknown,
    rawTask: unknown,
    values: unknown,
    rawNeedTaskIds: unknown,
  ): void {
    const stream = rawStream ?? DEFAULT_STREAM;
    const task = rawTask ?? 0;
    if (!Array.isArray(values) || typeof stream !== 'string' || typeof task !== 'number') {
      this.runner.fault('protocol', `a malformed emit (it needs a "tuple" list, a string "stream", an int "task"): ${this.currentMessage()}`);
      return;
    }
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
    const needTaskIds = !direct && (typeof rawNeedTaskIds === 'boolean' ? rawNeedTaskIds : !this.runner.extension);
    try {
      if (direct) {
        this.collector.emitDirect(task, stream, anchors, values as Values);
      } else {
        const tasks = this.collector.emit(stream, anchors, values as Values);
        if (needTaskIds) this.runner.send(tasks);
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
      if (needTaskIds) this.runner.send([]);
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
    const input = k === undefined ? undefined : this.inFlight.get(k);
    if (input === undefined || k === undefined) {
      this.runner.fault(
        'protocol',
        `${ok ? 'ack' : 'fail'} of tuple id ${preview(rawId)}, which is not pending (acked or failed twice, a heartbeat's id, or never sent)`,
      );
      return;
    }
    this.inFlight.delete(k);
    if (!ok || (this.failOnAck.size > 0 && this.failOnAck.delete(k))) this.collector.fail(input);
    else this.collector.ack(input);
  }

  private onLog(msg: unknown, level: unknown): void {
    this.settings.stats.logs++;
    const pid = this.runner.pid;
    this.runner.logger.log(logLevel(level), `${this.context.thisComponentId}:${this.context.thisTaskId} [pid ${pid ?? 'none'}] ${String(msg)}`, {
      component: this.context.thisComponentId,
      task: this.context.thisTaskId,
      pid,
    });
  }

  private onError(msg: unknown): void {
    this.settings.stats.reportedErrors++;
    this.runner.childReported(String(msg));
  }

  /** Storm's ShellBolt ignores unknown commands; reported once per command so a typo shows. */
  private onUnknown(command: unknown): void {
    const name = String(command);
    if (this.unknownCommands.has(name)) return;
    this.unknownCommands.add(name);
    this.collector.reportError(
      new MultilangError(
        { kind: 'unknown-command', component: this.context.thisComponentId, task: this.context.thisTaskId, pid: this.runner.pid },
        `${this.runner.describe()}: unknown command ${preview(command)} ignored, as Storm does (reported once): ${this.currentMessage()}`,
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
    this.heartbeatSentAt = undefined;
    this.lastHeartbeatAt = performance.now();
    this.release();
    this.runner.flush();
  }

  onDown(): string {
    const failed = this.inFlight.size;
    this.batchIds.length = 0;
    this.batchInputs.length = 0;
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.heartbeatSentAt = undefined;
    for (const input of this.inFlight.values()) this.collector.fail(input);
    this.inFlight.clear();
    this.failOnAck.clear();
    const held = this.waiting.length - this.waitingHead;
    const parts = [failed === 0 ? 'no tuples were in flight' : `${failed} in-flight tuple(s) failed (their spouts replay them)`];
    if (held > 0) parts.push(`${held} input(s) held for the new subprocess`);
    return parts.join(', ');
  }

  onTick(now: number): void {
    if (this.heartbeatSentAt === undefined && now - this.lastHeartbeatAt >= this.settings.heartbeatIntervalMs) this.heartbeat(now);
  }

  heartbeat(now: number): void {
    if (!this.runner.ready) return;
    // Tuples batched before the heartbeat go first.
    this.beforeFlush(true);
    this.runner.send({ id: String(++this.seq), comp: null, stream: '__heartbeat', task: -1, tuple: [] });
    this.heartbeatSentAt = now;
    this.lastHeartbeatAt = now;
  }

  waitingSince(): number | undefined {
    return this.heartbeatSentAt;
  }

  async close(): Promise<void> {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    await this.runner.close();
    // Held inputs are let go; their trees time out and replay, as for anything in flight at shutdown.
    for (let i = this.waitingHead; i < this.waiting.length; i++) (this.waiting[i] as Waiting).resolve();
    this.waiting = [];
    this.waitingHead = 0;
  }
}
