import type { Bolt, OutputCollector } from '../api/index.js';
import { RotatingMap } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import {
  ACKER_ACK_STREAM,
  ACKER_FAIL_STREAM,
  ACKER_INIT_STREAM,
  ACKER_RESET_TIMEOUT_STREAM,
  type Tuple,
} from '../tuple/index.js';

interface TreeState {
  /** XOR of the edges still outstanding; zero when the tree is complete. */
  value: bigint;
  /** The spout task to report to; -1 until the init message has arrived. */
  spoutTask: number;
  failed: boolean;
}

/**
 * Where the acker reports a finished tree: returns true if it delivered the news itself (the spout
 * task runs in this worker); otherwise the acker emits it on its direct stream.
 */
export type CompletionSink = (spoutTask: number, stream: string, root: bigint) => boolean;

/**
 * The system acker (Storm's `Acker`): tracks one XOR value per tuple tree and tells the spout
 * task when it returns to zero (acked) or when any tuple of the tree failed. Messages arrive as
 * tuples from other workers, or as direct `apply` calls from tasks in the same worker (which
 * saves a queue hop and a tuple per message; the algorithm is the same).
 */
export class AckerBolt implements Bolt {
  private collector!: OutputCollector;
  // Three buckets rotated once per message timeout: the spout (two buckets) gives up first, so
  // an entry here only expires after the spout has already failed the tree.
  private readonly pending = new RotatingMap<bigint, TreeState>(3);
  private sink: CompletionSink = () => false;

  prepare(_config: TopologyConfig, _context: unknown, collector: OutputCollector): void {
    this.collector = collector;
  }

  setCompletionSink(sink: CompletionSink): void {
    this.sink = sink;
  }

  execute(input: Tuple): void {
    if (input.isTick()) {
      this.pending.rotate();
      return;
    }
    const v = input.values;
    this.apply(input.sourceStreamId, v[0] as bigint, (v[1] ?? 0n) as bigint, (v[2] ?? -1) as number);
  }

  /**
   * One acking message: `__ack_init` (value, spoutTask), `__ack_ack` (value), `__ack_fail` or
   * `__ack_reset_timeout`.
   */
  apply(stream: string, root: bigint, value: bigint, spoutTask: number): void {
    if (stream === ACKER_RESET_TIMEOUT_STREAM) {
      this.resetTimeout(root);
      return;
    }
    let state = this.pending.get(root);
    if (state === undefined) {
      // An ack or fail may overtake the init (they travel on different paths): start the entry
      // anyway; with spoutTask still -1 an early zero cannot be mistaken for completion.
      state = { value: 0n, spoutTask: -1, failed: false };
      this.pending.putNew(root, state);
    }
    if (stream === ACKER_ACK_STREAM) {
      state.value ^= value;
    } else if (stream === ACKER_INIT_STREAM) {
      state.value ^= value;
      state.spoutTask = spoutTask;
    } else if (stream === ACKER_FAIL_STREAM) {
      state.failed = true;
    } else {
      return;
    }
    if (state.spoutTask < 0) return;
    if (state.failed) {
      this.pending.remove(root);
      this.report(state.spoutTask, ACKER_FAIL_STREAM, root);
    } else if (state.value === 0n) {
      this.pending.remove(root);
      this.report(state.spoutTask, ACKER_ACK_STREAM, root);
    }
  }

  private report(spoutTask: number, stream: string, root: bigint): void {
    if (!this.sink(spoutTask, stream, root)) this.collector.emitDirect(spoutTask, stream, [root]);
  }

  private resetTimeout(root: bigint): void {
    const state = this.pending.get(root);
    if (state === undefined) return;
    this.pending.put(root, state);
    if (state.spoutTask >= 0) this.report(state.spoutTask, ACKER_RESET_TIMEOUT_STREAM, root);
  }

  /** Trees being tracked; for tests and metrics. */
  get pendingCount(): number {
    return this.pending.size;
  }
}
