import type { Bolt, OutputCollector, TopologyContext } from '../api/index.js';
import { SquallError, describe } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import { DEFAULT_STREAM, type Tuple, type Values } from '../tuple/index.js';
import { widenInts } from './codec.js';
import { MultilangError, WireError } from './errors.js';
import { InFlight } from './in-flight.js';
import { MsgpackReader, MsgpackWriter, PreEncoded, StrTable } from './msgpack-fast.js';
import { ShellComponent, type ShellSettings, type ShellBoltOptions } from './options.js';
import { ShellRunner, forEachMessage, logLevel, preview, type ChildMessage, type RunnerHooks } from './shell-process.js';

/**
 * Tuples in flight in extension mode at least (see {@link ShellBoltOptions.maxPending}): 16
 * batches, so that a subprocess scheduled late on a busy machine still finds work queued and the
 * host does not sit idle waiting for its answers.
 */
const EXTENSION_MIN_PENDING = 4000;
/** Longest a partial batch waits for more tuples while the subprocess is busy. */
const BATCH_LINGER_MS = 2;
/** Most held inputs sharing one `execute` promise (see {@link HeldGroup}). */
const HELD_GROUP = 32;
/** The writer's buffer: room for the few batches one turn of the event loop encodes. */
const WRITER_BYTES = 256 * 1024;

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
 * Inputs held while the subprocess is full share one `execute` promise per group, settled once
 * every input of the group went to the subprocess: no promise, closure and record per held input.
 * A group takes new inputs until its first one is released, and at most {@link HELD_GROUP}: the
 * executor counts each held input until its group settles, so big groups would starve it.
 */
interface HeldGroup {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  /** Inputs of the group still held. */
  left: number;
}

function heldGroup(): HeldGroup {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve, left: 0 };
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

/** Keys of the child's messages, as codes for {@link MsgpackReader.matchStr}. */
const enum Key {
  Command,
  Anchors,
  Tuple,
  Id,
  Stream,
  Task,
  NeedTaskIds,
  Msg,
  Level,
  Name,
  Params,
  Messages,
}
const KEYS = new StrTable(['command', 'anchors', 'tuple', 'id', 'stream', 'task', 'need_task_ids', 'msg', 'level', 'name', 'params', 'messages']);
/** Commands, in the order of {@link Cmd} from Emit on. */
const COMMANDS = new StrTable(['emit', 'ack', 'fail', 'sync', 'log', 'error', 'metrics', 'batch']);

/** The bytes of `{"command": "tuples", "tuples": ` with the array header to follow. */
const TUPLES_HEAD = Buffer.from([0x82, 0xa7, ...Buffer.from('command'), 0xa6, ...Buffer.from('tuples'), 0xa6, ...Buffer.from('tuples')]);

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
  private heldInputs: Tuple[] = [];
  private heldGroups: HeldGroup[] = [];
  private heldHead = 0;
  private openGroup: HeldGroup | undefined;
  /**
   * Extension mode, the `tuples` message being built. msgpack: its tuples are encoded into the
   * writer as they come (while each tuple is still in the CPU's cache), from `batchStart` (an
   * offset in the writer's untaken bytes) on, with the count patched in when it closes; the
   * first tuple is kept to send a batch of one as a plain tuple map. json: the tuples and ids.
   */
  private batchCount = 0;
  private batchStart = 0;
  private batchFirstId = 0;
  private batchFirstInput: Tuple | undefined;
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
    this.inFlight = new InFlight(this.maxPending * 4);
    this.writer = this.runner.codec.name === 'msgpack' ? new MsgpackWriter(WRITER_BYTES) : undefined;
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
    if (this.runner.ready && this.heldHead === this.heldInputs.length && this.inFlight.size < this.maxPending) {
      this.send(input);
      return;
    }
    // Full, or the subprocess is restarting: hold the input. The executor bounds the promises it
    // waits on (topology.bolt.max.async.pending), so what is held stays bounded.
    let group = this.openGroup;
    if (group === undefined || group.left >= HELD_GROUP) group = this.openGroup = heldGroup();
    group.left++;
    this.heldInputs.push(input);
    this.heldGroups.push(group);
    return group.promise;
  }

  private send(input: Tuple): void {
    const id = ++this.seq;
    if (this.runner.extension) {
      const w = this.writer;
      if (w === undefined) {
        this.batchInputs.push(input);
        this.batchIds.push(id);
      } else if (!this.appendToBatch(w, id, input)) {
        return;
      }
      this.inFlight.set(id, input);
      // A full batch closes now and is written with whatever else this turn of the event loop
      // produces: one write (one system call, one wake-up of the subprocess) per turn.
      if (++this.batchCount >= this.settings.batchSize) this.closeBatch();
      this.runner.scheduleFlush();
      return;
    }
    try {
      this.appendTupleMap(id, input);
    } catch (err) {
      this.refused(input, err);
      return;
    }
    this.inFlight.set(id, input);
    this.runner.scheduleFlush();
  }

  /** Values this serializer cannot carry (bytes over json, bigints past 64 bits): the input fails. */
  private refused(input: Tuple, err: unknown): void {
    this.collector.reportError(err);
    this.collector.fail(input);
  }

  /**
   * Appends one tuple map to what goes out at the next flush (msgpack: into the writer, taken
   * by {@link pushEncoded}; json: queued on the runner). Throws, appending nothing, for values
   * the serializer cannot carry.
   */
  private appendTupleMap(id: number, input: Tuple): void {
    const w = this.writer;
    if (w === undefined) {
      this.runner.sendEncoded(
        this.runner.codec.encode({
          id: String(id),
          comp: input.sourceComponent,
          stream: input.sourceStreamId,
          task: input.sourceTask,
          tuple: widenInts(input.values),
        }),
      );
      return;
    }
    const mark = w.length;
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
      w.truncate(mark);
      throw err;
    }
  }

  private name(w: MsgpackWriter, s: string): void {
    let bytes = this.nameBytes.get(s);
    if (bytes === undefined) {
      const scratch = new MsgpackWriter(64);
      scratch.str(s);
      bytes = Buffer.from(scratch.take());
      if (this.nameBytes.size < 1000) this.nameBytes.set(s, bytes);
    }
    w.raw(bytes);
  }

  /** The encoded `comp, stream, task` of the last tuple batched, reused while they repeat. */
  private sourceComp = '';
  private sourceStream = '';
  private sourceTask = NaN;
  private sourceBytes = new PreEncoded(new Uint8Array(0));

  /**
   * Appends a tuple to the open `tuples` message (opening it first): `[id, comp, stream, task,
   * values]`. A tuple whose values cannot be encoded is refused (reported and failed) and leaves
   * nothing behind; returns whether it was added.
   */
  private appendToBatch(w: MsgpackWriter, id: number, input: Tuple): boolean {
    const first = this.batchCount === 0;
    if (first) {
      this.batchStart = w.length;
      w.raw(TUPLES_HEAD);
      // An array32 header whatever the count (any header size is valid msgpack): the count is
      // patched in when the batch closes.
      w.ensure(5);
      w.byte(0xdd);
      w.pos += 4;
    }
    const mark = w.length;
    try {
      w.ensure(1);
      w.byte(0x95);
      w.decimalStr(id);
      const comp = input.sourceComponent;
      const stream = input.sourceStreamId;
      const task = input.sourceTask;
      if (comp !== this.sourceComp || stream !== this.sourceStream || task !== this.sourceTask) this.encodeSource(comp, stream, task);
      w.pre(this.sourceBytes);
      w.value(input.values);
    } catch (err) {
      w.truncate(first ? this.batchStart : mark);
      this.refused(input, err);
      return false;
    }
    if (first) {
      this.batchFirstId = id;
      this.batchFirstInput = input;
    }
    return true;
  }

  private encodeSource(comp: string, stream: string, task: number): void {
    const scratch = new MsgpackWriter(64);
    scratch.str(comp);
    scratch.str(stream);
    scratch.int(task);
    this.sourceBytes = new PreEncoded(scratch.take());
    this.sourceComp = comp;
    this.sourceStream = stream;
    this.sourceTask = task;
  }

  /** Ends the open `tuples` message: one tuple goes as a plain tuple map, more as the batch. */
  private closeBatch(): void {
    const n = this.batchCount;
    if (n === 0) return;
    this.batchCount = 0;
    const w = this.writer;
    if (w !== undefined) {
      const firstInput = this.batchFirstInput as Tuple;
      this.batchFirstInput = undefined;
      if (n > 1) {
        w.patchUint32(this.batchStart + TUPLES_HEAD.length + 1, n);
      } else {
        w.truncate(this.batchStart);
        try {
          this.appendTupleMap(this.batchFirstId, firstInput);
        } catch (err) {
          // It encoded a moment ago; only values changed since (a mutated array) get here.
          this.inFlight.take(this.batchFirstId);
          this.refused(firstInput, err);
        }
      }
      return;
    }
    const inputs = this.batchInputs;
    const ids = this.batchIds;
    try {
      if (n === 1) this.appendTupleMap(ids[0] as number, inputs[0] as Tuple);
      else {
        const tuples = inputs.map((t, i) => [String(ids[i]), t.sourceComponent, t.sourceStreamId, t.sourceTask, widenInts(t.values)]);
        this.runner.sendEncoded(this.runner.codec.encode({ command: 'tuples', tuples }));
      }
    } catch {
      // A value in the batch cannot be encoded: send the others singly and fail the culprits.
      for (let i = 0; i < n; i++) {
        const id = ids[i] as number;
        const input = inputs[i] as Tuple;
        try {
          this.appendTupleMap(id, input);
        } catch (err) {
          this.inFlight.take(id);
          this.refused(input, err);
        }
      }
    }
    // The arrays are reused: no garbage per batch.
    inputs.length = 0;
    ids.length = 0;
  }

  /** Moves what the writer holds (but an open batch) to the runner's queue, in order with other messages. */
  private pushEncoded(): void {
    const w = this.writer;
    if (w === undefined) return;
    if (this.batchCount === 0) {
      if (w.length > 0) this.runner.sendEncoded(w.take());
    } else if (this.batchStart > 0) {
      this.runner.sendEncoded(w.takePrefix(this.batchStart));
      this.batchStart = 0;
    }
  }

  /** Queues a message of another kind (task ids, a heartbeat) after the tuples before it. */
  private sendMessage(message: unknown): void {
    this.pushEncoded();
    this.runner.send(message);
  }

  /**
   * Right before a write: closes the batch being built and hands every encoded byte to the
   * runner. While the subprocess still has a full batch to work on, a partial batch waits to
   * grow (until the subprocess answers, the batch fills, or {@link BATCH_LINGER_MS}): otherwise a
   * busy pipeline settles into tiny batches, one per event-loop turn, and per-message costs
   * dominate.
   */
  beforeFlush(force = false): void {
    const n = this.batchCount;
    if (n > 0) {
      const batchSize = this.settings.batchSize;
      if (!force && n < batchSize && this.inFlight.size - n >= batchSize) {
        this.lingerTimer ??= setTimeout(this.lingerDone, BATCH_LINGER_MS);
      } else {
        if (this.lingerTimer !== undefined) {
          clearTimeout(this.lingerTimer);
          this.lingerTimer = undefined;
        }
        this.closeBatch();
      }
    }
    this.pushEncoded();
  }

  /** Moves held inputs to the subprocess while there is room. */
  private release(): void {
    const inputs = this.heldInputs;
    const groups = this.heldGroups;
    if (this.heldHead === inputs.length) return;
    while (this.heldHead < inputs.length && this.runner.ready && this.inFlight.size < this.maxPending) {
      const input = inputs[this.heldHead] as Tuple;
      const group = groups[this.heldHead] as HeldGroup;
      this.heldHead++;
      // A group being released takes no new inputs: later ones wait in a group of their own.
      if (group === this.openGroup) this.openGroup = undefined;
      this.send(input);
      if (--group.left === 0) group.resolve();
    }
    if (this.heldHead === inputs.length) {
      inputs.length = 0;
      groups.length = 0;
      this.heldHead = 0;
    } else if (this.heldHead > 1024) {
      this.heldInputs = inputs.slice(this.heldHead);
      this.heldGroups = groups.slice(this.heldHead);
      this.heldHead = 0;
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
      switch (r.matchStr(KEYS) as Key) {
        case Key.Command: {
          const at = r.pos;
          const c = r.matchStr(COMMANDS);
          if (c >= 0) cmd = Cmd.Emit + c;
          else {
            cmd = Cmd.Other;
            r.pos = at;
            command = r.value();
          }
          break;
        }
        case Key.Anchors: {
          const count = r.arrayHeader();
          // Storm accepts a single id as well as a list.
          if (count < 0 || count === 1) anchors = r.id();
          else {
            const list = new Array<unknown>(count);
            for (let j = 0; j < count; j++) list[j] = r.id();
            anchors = list;
          }
          break;
        }
        case Key.Tuple:
          values = r.value();
          break;
        case Key.Id:
          id = r.id();
          break;
        case Key.Stream:
          stream = r.value();
          break;
        case Key.Task:
          task = r.value();
          break;
        case Key.NeedTaskIds:
          needTaskIds = r.value();
          break;
        case Key.Msg:
          msg = r.value();
          break;
        case Key.Level:
          level = r.value();
          break;
        case Key.Name:
          name = r.value();
          break;
        case Key.Params:
          params = r.value();
          break;
        case Key.Messages:
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
          break;
        default:
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
    this.inFlight.reserve(this.maxPending * 4);
    this.heartbeatSentAt = undefined;
    this.lastHeartbeatAt = performance.now();
    this.release();
    this.runner.flush();
  }

  onDown(): string {
    const failed = this.inFlight.size;
    this.batchInputs.length = 0;
    this.batchIds.length = 0;
    this.batchCount = 0;
    this.batchFirstInput = undefined;
    // Bytes for this subprocess never go to the next one.
    this.writer?.discard();
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.heartbeatSentAt = undefined;
    this.inFlight.drain(this.failInput);
    this.failOnAck.clear();
    const held = this.heldInputs.length - this.heldHead;
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
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    await this.runner.close();
    // Held inputs are let go; their trees time out and replay, as for anything in flight at shutdown.
    for (let i = this.heldHead; i < this.heldGroups.length; i++) (this.heldGroups[i] as HeldGroup).resolve();
    this.heldInputs = [];
    this.heldGroups = [];
    this.heldHead = 0;
    this.openGroup = undefined;
  }
}
