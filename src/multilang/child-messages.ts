/**
 * The child's messages, read once for bolts and spouts alike and handed on as typed commands
 * (a discriminated union on `command`). Two readers produce them: msgpack frames are read in
 * place from their bytes (no map per message, the hot path), json messages from the maps the
 * decoder built. Both unwrap `batch` messages and check the shape of every emit, so a malformed
 * message is a protocol fault in one place with one wording.
 */
import { DEFAULT_STREAM } from '../tuple/index.js';
import { WireError } from './errors.js';
import { MsgpackReader, StrTable } from './msgpack-fast.js';

/** A decoded message from the child: always a map (the decoders refuse anything else). */
export type ChildMessage = Record<string, unknown>;

/** `emit`: a tuple, anchored (bolts) or with a message id (spouts). */
export interface EmitCommand {
  readonly command: 'emit';
  /** Bolts: none (undefined or null), one tuple id, or a list of them, as the child sent them. */
  readonly anchors: unknown;
  /** Spouts: the message id as the child sent it; undefined or null for an unreliable tuple. */
  readonly id: unknown;
  readonly stream: string;
  /** 0 for a normal emit, else the task of a direct emit. */
  readonly task: number;
  readonly tuple: unknown[];
  /** Whether the child waits for the task ids; undefined: it did not say. */
  readonly needTaskIds: boolean | undefined;
}

/** `ack` / `fail` of an input (bolts): the tuple id as the child sent it. */
export interface SettleCommand {
  readonly command: 'ack' | 'fail';
  readonly id: unknown;
}

export interface LogCommand {
  readonly command: 'log';
  readonly msg: string;
  /** The protocol's level (0 trace .. 4 error), as sent. */
  readonly level: unknown;
}

export interface MetricsCommand {
  readonly command: 'metrics';
  readonly name: string;
  readonly params: unknown;
}

/** A command the host does not know, or a message without one (`name` undefined). */
export interface UnknownCommand {
  readonly command: 'unknown';
  readonly name: unknown;
}

export type ChildCommand =
  | EmitCommand
  | SettleCommand
  | { readonly command: 'sync' }
  | LogCommand
  | { readonly command: 'error'; readonly msg: string }
  | MetricsCommand
  | UnknownCommand;

/** Where the commands go, and how a broken message is reported. */
export interface CommandSink {
  /**
   * One command. The object is reused for the next message of its kind: keep its fields, not
   * the object.
   */
  onCommand(command: ChildCommand): void;
  /** A well-formed message that breaks the protocol: the child is faulty (no more commands follow). */
  fault(detail: string): void;
  /** Whether commands are still taken (false once the child was found faulty). */
  ready(): boolean;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

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
const BY_NAME: Readonly<Record<string, Cmd>> = { emit: Cmd.Emit, ack: Cmd.Ack, fail: Cmd.Fail, sync: Cmd.Sync, log: Cmd.Log, error: Cmd.Error, metrics: Cmd.Metrics, batch: Cmd.Batch };

/**
 * Reads the child's messages into {@link ChildCommand}s for a {@link CommandSink}. One per task;
 * it keeps where the message being handled is, for error texts ({@link current}).
 */
export class ChildReader {
  private readonly reader = new MsgpackReader();
  private readonly emit: Writable<EmitCommand> = { command: 'emit', anchors: undefined, id: undefined, stream: DEFAULT_STREAM, task: 0, tuple: [], needTaskIds: undefined };
  private readonly ack: Writable<SettleCommand> = { command: 'ack', id: undefined };
  private readonly fail: Writable<SettleCommand> = { command: 'fail', id: undefined };
  private readonly sync = { command: 'sync' } as const;
  private readonly log: Writable<LogCommand> = { command: 'log', msg: '', level: undefined };
  private readonly error: { command: 'error'; msg: string } = { command: 'error', msg: '' };
  private readonly metrics: Writable<MetricsCommand> = { command: 'metrics', name: '', params: undefined };
  private readonly unknown: Writable<UnknownCommand> = { command: 'unknown', name: undefined };
  /** The message being handled: decoded (json), or where its bytes are (msgpack). */
  private message: ChildMessage | undefined;
  private start = 0;
  private end = 0;

  /**
   * `exactIds`: an emit's `id` is kept as sent (spouts: a message id); otherwise ids are read as
   * the host's tuple ids (a str of digits as its number).
   */
  constructor(
    private readonly sink: CommandSink,
    private readonly exactIds: boolean,
    /** Decodes the bytes of a msgpack message, for error texts only. */
    private readonly decodeFrame: (frame: Uint8Array) => unknown,
  ) {}

  /** The message being handled, for error texts (decoded again only then). */
  current(): string {
    if (this.message !== undefined) return preview(this.message);
    try {
      return preview(this.decodeFrame(this.reader.buf.subarray(this.start, this.end)));
    } catch {
      return '<undecodable>';
    }
  }

  // -- json: maps the decoder built -----------------------------------------------------------

  /** One decoded message (a `batch`'s messages one by one). */
  readMap(m: ChildMessage, top = true): void {
    this.message = m;
    const c = m.command;
    const cmd = typeof c === 'string' ? (BY_NAME[c] ?? Cmd.Other) : c === undefined ? Cmd.None : Cmd.Other;
    if (cmd !== Cmd.Batch) {
      this.dispatch(cmd, m.anchors, m.id, m.stream, m.task, m.tuple, m.need_task_ids, m.msg, m.level, m.name, m.params, c);
      return;
    }
    if (!top) {
      this.sink.fault(`a batch may not hold a batch: ${preview(m)}`);
      return;
    }
    const messages = m.messages;
    if (!Array.isArray(messages)) {
      this.sink.fault(`a batch without a "messages" list: ${preview(m)}`);
      return;
    }
    for (let i = 0; i < messages.length && this.sink.ready(); i++) {
      const x: unknown = messages[i];
      if (typeof x !== 'object' || x === null || Array.isArray(x)) {
        this.sink.fault(`a batch may hold only messages (maps): ${preview(x)}`);
        return;
      }
      this.readMap(x as ChildMessage, false);
    }
  }

  // -- msgpack: read in place -----------------------------------------------------------------

  /** One msgpack message from its bytes. Throws {@link WireError} for bytes that are no message. */
  readFrame(frame: Buffer): void {
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
          id = this.exactIds ? r.value() : r.id();
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
              this.sink.fault('a batch without a "messages" list');
              return;
            }
            for (let j = 0; j < count && this.sink.ready(); j++) this.readMessage(r, false);
            if (!this.sink.ready()) return;
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
    this.message = undefined;
    this.start = start;
    this.end = end;
    if (cmd !== Cmd.Batch) {
      this.dispatch(cmd, anchors, id, stream, task, values, needTaskIds, msg, level, name, params, command);
      return;
    }
    if (messagesAt === -2) return;
    if (!top) {
      this.sink.fault(`a batch may not hold a batch: ${this.current()}`);
      return;
    }
    if (messagesAt < 0) {
      this.sink.fault(`a batch without a "messages" list: ${this.current()}`);
      return;
    }
    // The messages came before the command: go back for them.
    r.pos = messagesAt;
    const count = r.arrayHeader();
    if (count < 0) {
      this.sink.fault(`a batch without a "messages" list: ${this.current()}`);
      return;
    }
    for (let j = 0; j < count && this.sink.ready(); j++) this.readMessage(r, false);
    r.pos = end;
  }

  // -- both: the typed command ----------------------------------------------------------------

  private dispatch(
    cmd: Cmd,
    anchors: unknown,
    id: unknown,
    stream: unknown,
    task: unknown,
    tuple: unknown,
    needTaskIds: unknown,
    msg: unknown,
    level: unknown,
    name: unknown,
    params: unknown,
    command: unknown,
  ): void {
    const sink = this.sink;
    switch (cmd) {
      case Cmd.Emit: {
        const s = stream ?? DEFAULT_STREAM;
        const t = task ?? 0;
        if (!Array.isArray(tuple) || typeof s !== 'string' || typeof t !== 'number') {
          sink.fault(`a malformed emit (it needs a "tuple" list, a string "stream", an int "task"): ${this.current()}`);
          return;
        }
        const e = this.emit;
        e.anchors = anchors;
        e.id = id;
        e.stream = s;
        e.task = t;
        e.tuple = tuple;
        e.needTaskIds = typeof needTaskIds === 'boolean' ? needTaskIds : undefined;
        sink.onCommand(e);
        return;
      }
      case Cmd.Ack:
        this.ack.id = id;
        sink.onCommand(this.ack);
        return;
      case Cmd.Fail:
        this.fail.id = id;
        sink.onCommand(this.fail);
        return;
      case Cmd.Sync:
        sink.onCommand(this.sync);
        return;
      case Cmd.Log:
        this.log.msg = String(msg);
        this.log.level = level;
        sink.onCommand(this.log);
        return;
      case Cmd.Error:
        this.error.msg = String(msg);
        sink.onCommand(this.error);
        return;
      case Cmd.Metrics:
        this.metrics.name = String(name);
        this.metrics.params = params;
        sink.onCommand(this.metrics);
        return;
      default:
        this.unknown.name = command;
        sink.onCommand(this.unknown);
    }
  }
}

/** A short view of a message for error texts. */
export function preview(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? `<${x.length} bytes>` : x)) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}
