import type { Tuple } from '../tuple/index.js';
import { widenInts } from './codec.js';
import type { InFlight } from './in-flight.js';
import { MsgpackWriter, PreEncoded } from './msgpack-fast.js';
import type { ShellRunner } from './shell-process.js';

/** Longest a partial batch waits for more tuples while the subprocess is busy. */
const BATCH_LINGER_MS = 2;
/** The writer's buffer: room for the few batches one turn of the event loop encodes. */
const WRITER_BYTES = 256 * 1024;

/** The bytes of `{"command": "tuples", "tuples": ` with the array header to follow. */
const TUPLES_HEAD = Buffer.from([0x82, 0xa7, ...Buffer.from('command'), 0xa6, ...Buffer.from('tuples'), 0xa6, ...Buffer.from('tuples')]);

/**
 * The inputs on their way to a bolt's subprocess: each encoded as a tuple map (legacy mode) or
 * into the `tuples` batch being built (extension mode), in order with the host's other messages,
 * handed to the runner's write queue at each flush. An input whose values the serializer cannot
 * carry is refused (`refused`: reported and failed) and leaves nothing behind; an input sent is
 * recorded in `inFlight`.
 */
export class TupleOutbox {
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
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly lingerDone = (): void => {
    this.lingerTimer = undefined;
    this.beforeFlush(true);
    this.runner.flush();
  };
  /** msgpack only: the fast writer; the generic codec otherwise. */
  private readonly writer: MsgpackWriter | undefined;
  /** Encoded source component and stream names, reused across tuples. */
  private readonly nameBytes = new Map<string, Buffer>();

  constructor(
    private readonly runner: ShellRunner,
    private readonly batchSize: number,
    private readonly inFlight: InFlight<Tuple>,
    private readonly refused: (input: Tuple, err: unknown) => void,
  ) {
    this.writer = runner.codec.name === 'msgpack' ? new MsgpackWriter(WRITER_BYTES) : undefined;
  }

  /** Sends `input` as tuple `id` (written at the next flush), or refuses it. */
  send(id: number, input: Tuple): void {
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
      if (++this.batchCount >= this.batchSize) this.closeBatch();
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
  sendMessage(message: unknown): void {
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
      const batchSize = this.batchSize;
      if (!force && n < batchSize && this.inFlight.size - n >= batchSize) {
        this.lingerTimer ??= setTimeout(this.lingerDone, BATCH_LINGER_MS);
      } else {
        this.stopLinger();
        this.closeBatch();
      }
    }
    this.pushEncoded();
  }

  /** The subprocess is gone: bytes and batches for it never go to the next one. */
  discard(): void {
    this.batchInputs.length = 0;
    this.batchIds.length = 0;
    this.batchCount = 0;
    this.batchFirstInput = undefined;
    this.writer?.discard();
    this.stopLinger();
  }

  stopLinger(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }
}
