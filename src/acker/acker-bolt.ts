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
  startMs: number;
  failed: boolean;
}

/**
 * The system acker (Storm's `Acker`): tracks one XOR value per tuple tree and tells the spout
 * task when it returns to zero (acked) or when any tuple of the tree failed.
 */
export class AckerBolt implements Bolt {
  private collector!: OutputCollector;
  // Three buckets rotated once per message timeout: the spout (two buckets) gives up first, so
  // an entry here only expires after the spout has already failed the tree.
  private readonly pending = new RotatingMap<bigint, TreeState>(3);

  prepare(_config: TopologyConfig, _context: unknown, collector: OutputCollector): void {
    this.collector = collector;
  }

  execute(input: Tuple): void {
    if (input.isTick()) {
      this.pending.rotate();
      return;
    }
    const root = input.values[0] as bigint;
    let state = this.pending.get(root);
    let reset = false;
    switch (input.sourceStreamId) {
      case ACKER_INIT_STREAM:
        if (state === undefined) {
          state = { value: 0n, spoutTask: -1, startMs: performance.now(), failed: false };
          this.pending.put(root, state);
        }
        state.value ^= input.values[1] as bigint;
        state.spoutTask = input.values[2] as number;
        break;
      case ACKER_ACK_STREAM:
        // An ack may overtake the init (they travel on different paths): start the entry anyway;
        // with spoutTask still -1 an early zero cannot be mistaken for completion.
        if (state === undefined) {
          state = { value: 0n, spoutTask: -1, startMs: performance.now(), failed: false };
          this.pending.put(root, state);
        }
        state.value ^= input.values[1] as bigint;
        break;
      case ACKER_FAIL_STREAM:
        if (state === undefined) {
          state = { value: 0n, spoutTask: -1, startMs: performance.now(), failed: true };
          this.pending.put(root, state);
        }
        state.failed = true;
        break;
      case ACKER_RESET_TIMEOUT_STREAM:
        if (state === undefined) return;
        this.pending.put(root, state);
        reset = true;
        break;
      default:
        return;
    }
    if (state.spoutTask < 0) return;
    const elapsed = performance.now() - state.startMs;
    if (state.failed) {
      this.pending.remove(root);
      this.collector.emitDirect(state.spoutTask, ACKER_FAIL_STREAM, [root, elapsed]);
    } else if (state.value === 0n) {
      this.pending.remove(root);
      this.collector.emitDirect(state.spoutTask, ACKER_ACK_STREAM, [root, elapsed]);
    } else if (reset) {
      this.collector.emitDirect(state.spoutTask, ACKER_RESET_TIMEOUT_STREAM, [root, elapsed]);
    }
  }

  /** Trees being tracked; for tests and metrics. */
  get pendingCount(): number {
    return this.pending.size;
  }
}
