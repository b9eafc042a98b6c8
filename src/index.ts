/**
 * Squall's public API: what topologies import from `squall`.
 * Internals for tooling live in `squall/internal`; test helpers in `squall/testing`.
 */
export {
  TopologyBuilder,
  Topology,
  BoltDeclarer,
  SpoutDeclarer,
  BaseRichSpout,
  BaseRichBolt,
  BaseBasicBolt,
  BaseWindowedBolt,
  BaseStatefulWindowedBolt,
  Count,
  Duration,
  LATE_TUPLE_FIELD,
  lateTupleOf,
} from './api/index.js';
export type {
  Spout,
  Bolt,
  BasicBolt,
  OutputFieldsDeclarer,
  CustomStreamGrouping,
  SpoutOutputCollector,
  OutputCollector,
  BasicOutputCollector,
  Anchors,
  TopologyContext,
  TaskHook,
  ComponentDefinition,
  WindowedBolt,
  WindowedOutputCollector,
  WindowConfiguration,
  TimestampExtractor,
  TupleWindow,
  WindowMeasure,
  LateTuple,
} from './api/index.js';
export { BaseStatefulBolt } from './api/index.js';
export type { StatefulBolt } from './api/index.js';
export { StateError } from './state/index.js';
export type { KeyValueState, StateKey } from './state/index.js';
export { Fields, DEFAULT_STREAM, TICK_STREAM, SYSTEM_COMPONENT } from './tuple/index.js';
export type { Tuple, Value, Values } from './tuple/index.js';
export { validateConfig, defaultConfig, configKeys } from './config/index.js';
export type { Config, TopologyConfig } from './config/index.js';
export {
  SquallError,
  InvalidTopologyError,
  ConfigError,
  InvalidTupleError,
  TopologyLoadError,
  NotAliveError,
  AlreadyAliveError,
  FailedError,
  ReportedFailedError,
  ComponentError,
  isSquallError,
} from './common/index.js';
export type { ErrorCode, TopologyProblem, Logger, LogLevel, Clock, Timer } from './common/index.js';
export { errorCodes } from './common/index.js';
export { MultilangError } from './multilang/index.js';
export type { MultilangFaultKind } from './multilang/index.js';
export { ClusterError, PackageError } from './cluster/index.js';
export { RecordError } from './protocol/cluster-records.js';
export { TransportError } from './transport/index.js';
export { NoFreeSlotsError } from './coordinator/index.js';
export { ConsoleLogger } from './common/index.js';
export { LocalCluster } from './local/index.js';
export type { SubmitOptions, KillOptions, TopologySummary, LocalClusterOptions } from './local/index.js';
export type { ComponentSummary, LatencySummary } from './executor/index.js';
export { ShellBolt, ShellSpout } from './multilang/index.js';
export type { ShellComponentOptions, ShellBoltOptions, ShellSpoutOptions, ShellStreamDeclaration } from './multilang/index.js';

// Trident: micro-batches with exactly-once state (Storm's Trident). `Count` is the windowing
// measure above; Trident's count aggregator is exported as `TridentCount`.
export {
  TridentTopology,
  Stream,
  GroupedStream,
  TridentState,
  Count as TridentCount,
  Sum,
  MapGet,
  FilterNull,
  Debug,
  FixedBatchSpout,
  FeederBatchSpout,
  PartitionedTridentSpout,
  JetStreamTridentSpout,
  TransactionalMap,
  OpaqueMap,
  NonTransactionalMap,
  MemoryMapState,
  RedisMapState,
  CachedMap,
  MemoryMetadataStore,
  NatsMetadataStore,
  TridentError,
  IncompatibleStateError,
} from './trident/index.js';
export type {
  TransactionAttempt,
  TridentCollector,
  TridentOperationContext,
  Operation,
  TridentFunction,
  Filter,
  MapFunction,
  FlatMapFunction,
  Consumer,
  Aggregator,
  CombinerAggregator,
  ReducerAggregator,
  QueryFunction,
  StateUpdater,
  TridentTuple,
  SpoutType,
  TridentSpout,
  TridentSpoutContext,
  BatchCoordinator,
  Emitter,
  PartitionedSource,
  FeederBatchSpoutOptions,
  JetStreamSpoutOptions,
  State,
  StateType,
  StateContext,
  StateFactory,
  MapState,
  ReadOnlyMapState,
  ValueUpdater,
  BackingMap,
  MapStateOptions,
  RedisMapStateOptions,
  MetadataStore,
} from './trident/index.js';

import { errors as commonErrors } from './common/index.js';
import { MultilangError } from './multilang/index.js';
import { ClusterError, PackageError } from './cluster/index.js';
import { RecordError } from './protocol/cluster-records.js';
import { TransportError } from './transport/index.js';
import { NoFreeSlotsError } from './coordinator/index.js';
import { StateError } from './state/index.js';
import { TridentError, IncompatibleStateError } from './trident/index.js';

/** Every error class Squall throws, for `instanceof` checks; each carries a `code` (`errorCodes`). */
export const errors = {
  ...commonErrors,
  MultilangError,
  StateError,
  TridentError,
  IncompatibleStateError,
  ClusterError,
  PackageError,
  RecordError,
  TransportError,
  NoFreeSlotsError,
} as const;
