export * from './errors.js';
export { randomId64 } from './ids.js';
export { RotatingMap } from './rotating-map.js';
export { LatencyHistogram } from './histogram.js';
export { ConsoleLogger, MemoryLogger, silentLogger } from './logger.js';
export type { Logger, LogLevel } from './logger.js';
