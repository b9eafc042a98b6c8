export { Count, Duration } from './measures.js';
export type { WindowMeasure, PlainMeasure } from './measures.js';
export type { TupleWindow } from './tuple-window.js';
export { BaseWindowedBolt, isWindowedBolt, WINDOWED_BOLT } from './windowed-bolt.js';
export { BaseStatefulWindowedBolt } from './stateful-windowed-bolt.js';
export type { WindowedBolt, WindowedOutputCollector, WindowConfiguration, TimestampExtractor } from './windowed-bolt.js';
export { LATE_TUPLE_FIELD, lateTupleOf, toLateTupleValue } from './late-tuple.js';
export type { LateTuple } from './late-tuple.js';
export {
  probeWindowedBolt,
  checkWindowedBolt,
  windowComponentConfig,
  declareWindowStreams,
  isEventTime,
  windowSettingsProblems,
} from './validation.js';
