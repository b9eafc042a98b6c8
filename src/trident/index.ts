export { TridentTopology, Stream, GroupedStream, TridentState, MapCombinerAggStateUpdater, MapReducerAggStateUpdater } from './topology.js';
export { Count, Sum, MapGet, FilterNull, Debug } from './operations.js';
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
} from './operations.js';
export type { TridentTuple } from './tuple.js';
export { FixedBatchSpout, FeederBatchSpout, PartitionedTridentSpout } from './spout.js';
export type { SpoutType, TridentSpout, TridentSpoutContext, BatchCoordinator, Emitter, PartitionedSource, FeederBatchSpoutOptions } from './spout.js';
export { TransactionalMap, OpaqueMap, NonTransactionalMap, opaqueUpdate } from './state.js';
export type { State, StateType, StateContext, StateFactory, MapState, ReadOnlyMapState, ValueUpdater, BackingMap, OpaqueStored } from './state.js';
export { MemoryMapState, RedisMapState, CachedMap, MemoryBackingMap, RedisBackingMap, redisKeySuffix, decodeRedisValue } from './map-states.js';
export type { MapStateOptions, RedisMapStateOptions } from './map-states.js';
export { MemoryMetadataStore, NatsMetadataStore, openMetadataStore } from './metadata.js';
export type { MetadataStore } from './metadata.js';
export { tridentStats } from './coordinator.js';
export type { TridentStats } from './coordinator.js';
export { TridentError, IncompatibleStateError } from './errors.js';
export { JetStreamTridentSpout } from './jetstream-spout.js';
export type { JetStreamSpoutOptions } from './jetstream-spout.js';
