export { AckerBolt } from './acker-bolt.js';
export type { CompletionSink } from './acker-bolt.js';
