export { StreamTable, TupleBatch, decodeTupleBatch } from './tuple-batch.js';
export { loadTopologyFile } from './load-topology.js';
export type { LoadedTopology } from './load-topology.js';
