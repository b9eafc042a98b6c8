import type { Bolt, OutputCollector } from '../api/index.js';
import { IdTable } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import {
  ACKER_ACK_STREAM,
  ACKER_FAIL_STREAM,
  ACKER_INIT_STREAM,
  ACKER_RESET_TIMEOUT_STREAM,
  type Tuple,
} from '../tuple/index.js';

/**
 * Where the acker reports a finished tree: returns true if it delivered the news itself (the spout
 * task runs in this worker); otherwise the acker emits it on its direct stream.
 */
export type CompletionSink = (spoutTask: number, stream: string, rootHi: number, rootLo: number) => boolean;

/**
 * The system acker (Storm's `Acker`): tracks one XOR value per tuple tree and tells the spout
 * task when it returns to zero (acked) or when any tuple of the tree failed. Messages arrive as
 * tuples from other workers, or as direct `apply` calls from tasks in the same worker (which
 * saves a queue hop and a tuple per message; the algorithm is the same). Ids are 64-bit, given as
 * int32 halves.
 */
export class AckerBolt implements Bolt {
  private collector!: OutputCollector;
  // Per tree: XOR value in valHi/valLo, spout task in num (-1 until the init), failed in flag.
  // Three buckets rotated once per message timeout: the spout (two buckets) gives up first, so
  // an entry here only expires after the spout has already failed the tree.
  private readonly pending = new IdTable(3);
  private sink: CompletionSink = () => false;

  prepare(_config: TopologyConfig, _context: unknown, collector: OutputCollector): void {
    this.collector = collector;
  }

  setCompletionSink(sink: CompletionSink): void {
    this.sink = sink;
  }

  execute(input: Tuple): void {
    if (input.isTick()) {
      this.pending.rotate(() => undefined);
      return;
    }
    const v = input.values;
    this.apply(
      input.sourceStreamId,
      v[0] as number,
      v[1] as number,
      (v[2] ?? 0) as number,
      (v[3] ?? 0) as number,
      (v[4] ?? -1) as number,
    );
  }

  /**
   * One acking message: `__ack_init` (value, spoutTask), `__ack_ack` (value), `__ack_fail` or
   * `__ack_reset_timeout`, about the tree with root id (rootHi, rootLo).
   */
  apply(stream: string, rootHi: number, rootLo: number, valHi: number, valLo: number, spoutTask: number): void {
    const p = this.pending;
    let e = p.find(rootHi, rootLo);
    if (stream === ACKER_RESET_TIMEOUT_STREAM) {
      if (e < 0) return;
      p.refresh(e);
      const task = p.num[e] as number;
      if (task >= 0) this.report(task, ACKER_RESET_TIMEOUT_STREAM, rootHi, rootLo);
      return;
    }
    if (e < 0) {
      // An ack or fail may overtake the init (they travel on different paths): start the entry
      // anyway; with the spout task still -1 an early zero cannot be mistaken for completion.
      e = p.insert(rootHi, rootLo);
      p.num[e] = -1;
    }
    if (stream === ACKER_ACK_STREAM) {
      p.valHi[e] = (p.valHi[e] as number) ^ valHi;
      p.valLo[e] = (p.valLo[e] as number) ^ valLo;
    } else if (stream === ACKER_INIT_STREAM) {
      p.valHi[e] = (p.valHi[e] as number) ^ valHi;
      p.valLo[e] = (p.valLo[e] as number) ^ valLo;
      p.num[e] = spoutTask;
    } else if (stream === ACKER_FAIL_STREAM) {
      p.flag[e] = 1;
    } else {
      return;
    }
    const task = p.num[e] as number;
    if (task < 0) return;
    if (p.flag[e] === 1) {
      p.remove(e);
      this.report(task, ACKER_FAIL_STREAM, rootHi, rootLo);
    } else if (p.valHi[e] === 0 && p.valLo[e] === 0) {
      p.remove(e);
      this.report(task, ACKER_ACK_STREAM, rootHi, rootLo);
    }
  }

  private report(spoutTask: number, stream: string, rootHi: number, rootLo: number): void {
    if (!this.sink(spoutTask, stream, rootHi, rootLo)) this.collector.emitDirect(spoutTask, stream, [rootHi, rootLo]);
  }

  /** Trees being tracked; for tests and metrics. */
  get pendingCount(): number {
    return this.pending.size;
  }
}
