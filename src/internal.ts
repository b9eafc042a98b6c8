/** Internals for Squall's own tooling (CLI, daemons, multilang tests). Not a stable API. */
export * from './executor/index.js';
export * from './protocol/index.js';
export * from './grouping/index.js';
export { AckerBolt } from './acker/index.js';
export { TupleImpl } from './tuple/index.js';
export { IdTable, LatencyHistogram, drawId, drawn, idToBigInt, MemoryLogger, silentLogger } from './common/index.js';
