export { LocalCluster } from './local-cluster.js';
export type { SubmitOptions, KillOptions, TopologySummary, LocalClusterOptions } from './local-cluster.js';
