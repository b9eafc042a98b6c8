export { TopologyBuilder, Topology, BoltDeclarer, SpoutDeclarer, ComponentDeclarer } from './builder.js';
export {
  BaseRichSpout,
  BaseRichBolt,
  BaseBasicBolt,
  StreamDeclarations,
  isBasicBolt,
  BASIC_BOLT,
} from './components.js';
export type {
  Spout,
  Bolt,
  BasicBolt,
  OutputFieldsDeclarer,
  CustomStreamGrouping,
  StreamDeclaration,
} from './components.js';
export type { SpoutOutputCollector, OutputCollector, BasicOutputCollector, Anchors } from './collectors.js';
export { emitStream, emitAnchored, emitAnchors, emitValues } from './collectors.js';
export type { TopologyContext, TaskHook } from './context.js';
export { BaseStatefulBolt, isStatefulBolt, STATEFUL_BOLT, validateCheckpointing } from './stateful-bolt.js';
export type { StatefulBolt } from './stateful-bolt.js';
export { toFactory, copyComponent } from './component-factory.js';
export type { ComponentDefinition } from './component-factory.js';
export {
  BaseWindowedBolt,
  BaseStatefulWindowedBolt,
  isWindowedBolt,
  WINDOWED_BOLT,
  Count,
  Duration,
  LATE_TUPLE_FIELD,
  lateTupleOf,
  // For the runtime's windowed-bolt executor (src/windowing/), not for users.
  toLateTupleValue,
  declareWindowStreams,
  isEventTime,
  windowComponentConfig,
  windowSettingsProblems,
} from './windowing/index.js';
export type {
  WindowedBolt,
  WindowedOutputCollector,
  WindowConfiguration,
  TimestampExtractor,
  TupleWindow,
  WindowMeasure,
  LateTuple,
  PlainMeasure,
} from './windowing/index.js';
