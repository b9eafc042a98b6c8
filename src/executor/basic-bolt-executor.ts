import { isSquallError } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import type { Tuple, Values } from '../tuple/index.js';
import { emitStream, emitValues, type BasicOutputCollector, type OutputCollector } from '../api/index.js';
import type { BasicBolt, Bolt, OutputFieldsDeclarer } from '../api/index.js';
import type { TopologyContext } from '../api/index.js';

/** Anchors every emit to the input being executed. */
class BasicCollector implements BasicOutputCollector {
  constructor(
    private readonly out: OutputCollector,
    private readonly input: Tuple,
  ) {}

  emit(a: string | Values, b?: Values): number[] {
    const n = arguments.length;
    return this.out.emit(emitStream(n, a), this.input, emitValues(n, a, b, undefined));
  }

  emitDirect(taskId: number, a: string | Values, b?: Values): void {
    const n = arguments.length - 1;
    this.out.emitDirect(taskId, emitStream(n, a), this.input, emitValues(n, a, b, undefined));
  }

  resetTimeout(): void {
    this.out.resetTimeout(this.input);
  }

  reportError(error: unknown): void {
    this.out.reportError(error);
  }
}

/**
 * Runs a {@link BasicBolt} as a {@link Bolt} (Storm's `BasicBoltExecutor`): ack when execute
 * returns, fail on {@link FailedError}, fail and report on {@link ReportedFailedError}; any other
 * error propagates to the executor, which reports it and fails the input.
 */
export class BasicBoltExecutor implements Bolt {
  private collector!: OutputCollector;

  constructor(readonly bolt: BasicBolt) {}

  prepare(config: TopologyConfig, context: TopologyContext, collector: OutputCollector): void | Promise<void> {
    this.collector = collector;
    return this.bolt.prepare?.(config, context);
  }

  execute(input: Tuple): void | Promise<void> {
    // One collector per input: an async execute may still emit after the next input has started.
    const basic = new BasicCollector(this.collector, input);
    let result: void | Promise<void>;
    try {
      result = this.bolt.execute(input, basic);
    } catch (err) {
      this.settle(input, err);
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      return (result as Promise<void>).then(
        () => this.collector.ack(input),
        (err: unknown) => this.settle(input, err),
      );
    }
    this.collector.ack(input);
    return undefined;
  }

  private settle(input: Tuple, err: unknown): void {
    if (isSquallError(err, 'REPORTED_FAILED')) {
      this.collector.reportError(err);
      this.collector.fail(input);
      return;
    }
    if (isSquallError(err, 'FAILED')) {
      this.collector.fail(input);
      return;
    }
    throw err;
  }

  cleanup(): void | Promise<void> {
    return this.bolt.cleanup?.();
  }

  declareOutputFields(declarer: OutputFieldsDeclarer): void {
    this.bolt.declareOutputFields?.(declarer);
  }
}
