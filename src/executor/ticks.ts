import { Fields, SYSTEM_COMPONENT, SYSTEM_TASK, TICK_STREAM, TupleImpl } from '../tuple/index.js';

const TICK_FIELDS = new Fields(['rate_secs']);

/** A tick tuple as Storm sends it: from `__system`, task -1, stream `__tick`, value the frequency. */
export function makeTickTuple(seconds: number): TupleImpl {
  return new TupleImpl([seconds], TICK_FIELDS, SYSTEM_COMPONENT, TICK_STREAM, SYSTEM_TASK);
}

/** Every how many tuples to measure latency for a sample rate in (0, 1]; 0 disables sampling. */
export function sampleInterval(rate: number): number {
  return rate <= 0 ? Number.MAX_SAFE_INTEGER : Math.max(1, Math.round(1 / rate));
}
