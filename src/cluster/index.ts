export { ClusterState, ClusterError, natsServers, DEFAULT_NATS_URL } from './cluster-state.js';
export type { ClusterConnectOptions, Leadership } from './cluster-state.js';
