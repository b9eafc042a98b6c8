export { WorkerRuntime } from './worker-runtime.js';
export type { WorkerRuntimeOptions, ReportedError, Executor } from './worker-runtime.js';
export { TopologyPlan } from './plan.js';
export type { ComponentSummary, LatencySummary } from './stats.js';
export type { Transfer } from './emitter.js';
