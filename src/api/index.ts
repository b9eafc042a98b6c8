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
export type { TopologyContext, TaskHook } from './context.js';
export { BasicBoltExecutor } from './basic-bolt-executor.js';
export { BaseStatefulBolt, isStatefulBolt, STATEFUL_BOLT } from './stateful-bolt.js';
export type { StatefulBolt } from './stateful-bolt.js';
export { StatefulBoltExecutor, CheckpointTupleForwarder, withCheckpointing } from './stateful-bolt-executor.js';
export {
  CheckpointSpout,
  CHECKPOINT_ACTIONS,
  nextCheckpointAction,
  nextCheckpointState,
  validateCheckpointing,
} from './checkpoint-spout.js';
export type { CheckpointAction, CheckpointState } from './checkpoint-spout.js';
export { toFactory, copyComponent } from './component-factory.js';
export type { ComponentDefinition } from './component-factory.js';
export {
  BaseWindowedBolt,
  BaseStatefulWindowedBolt,
  WindowedBoltExecutor,
  isWindowedBolt,
  WINDOWED_BOLT,
  Count,
  Duration,
  LATE_TUPLE_FIELD,
  lateTupleOf,
} from './windowing/index.js';
export type {
  WindowedBolt,
  WindowedOutputCollector,
  WindowConfiguration,
  TimestampExtractor,
  TupleWindow,
  WindowMeasure,
  LateTuple,
} from './windowing/index.js';
