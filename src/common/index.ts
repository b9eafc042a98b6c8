export * from './errors.js';
export { drawId, drawn, idToBigInt } from './ids.js';
export { IdTable } from './id-table.js';
export { LatencyHistogram } from './histogram.js';
export { ConsoleLogger, MemoryLogger, silentLogger } from './logger.js';
export type { Logger, LogLevel } from './logger.js';
export { PeriodicTask, withDeadline } from './periodic.js';
export { SimulatedClock, realClock } from './clock.js';
export type { Clock, ClockParticipant, Timer } from './clock.js';
