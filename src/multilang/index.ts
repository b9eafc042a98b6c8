export { ShellBolt } from './shell-bolt.js';
export { ShellSpout, ShellMessageId } from './shell-spout.js';
export { MultilangError } from './errors.js';
export type { MultilangFaultKind } from './errors.js';
export { ShellComponentStats } from './stats.js';
export type { ShellMetric, ShellProcessRecord, ShellFaultRecord } from './stats.js';
export type { ShellComponentOptions, ShellBoltOptions, ShellSpoutOptions, ShellStreamDeclaration } from './options.js';
export type { SerializerName } from './codec.js';
