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
export { toFactory, copyComponent } from './component-factory.js';
export type { ComponentDefinition } from './component-factory.js';
