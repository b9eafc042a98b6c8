/**
 * Internals for Squall's own tooling (CLI, daemons, tests of the runtime). Not a stable API.
 * Every name is listed: what this entry exposes is a decision, not whatever a folder exports.
 */
export { WorkerRuntime, TopologyPlan } from './executor/index.js';
export type { WorkerRuntimeOptions, ReportedError, Executor, ComponentSummary, LatencySummary, Transfer } from './executor/index.js';
export {
  validateTopologySpec,
  systemTopology,
  computeTaskIds,
  splitIntoExecutors,
  CHECKPOINT_COMPONENT,
  CHECKPOINT_STREAM,
  CHECKPOINT_FIELDS,
  encodeValues,
  decodeValues,
} from './protocol/index.js';
export type { TopologySpec, ComponentSpec, StreamSpec, InputSpec, GroupingSpec, GroupingType } from './protocol/index.js';
export { createGrouper, hashFields, hashValue } from './grouping/index.js';
export type { Grouper, GrouperOptions } from './grouping/index.js';
export { AckerBolt } from './acker/index.js';
export { TupleImpl, ACKER_INIT_STREAM, ACKER_ACK_STREAM, ACKER_FAIL_STREAM, ACKER_RESET_TIMEOUT_STREAM } from './tuple/index.js';
export { IdTable, LatencyHistogram, drawId, drawn, idToBigInt, MemoryLogger, silentLogger } from './common/index.js';
export { StatefulBoltExecutor, CheckpointSpout, nextCheckpointAction, nextCheckpointState } from './stateful/index.js';
export type { CheckpointAction, CheckpointState } from './stateful/index.js';
export { WindowedBoltExecutor, WindowState, WindowView } from './windowing/index.js';
export type { WindowEngineOptions, WindowListener } from './windowing/index.js';
