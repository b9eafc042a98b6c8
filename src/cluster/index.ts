export { ClusterState, ClusterError, describeSkipped, natsServers, DEFAULT_NATS_URL } from './cluster-state.js';
export type { Bucket, ClusterConnectOptions, Leadership, SkippedRecord } from './cluster-state.js';
export { packTopology, encodePackage, decodePackage, unpackTopology, PackageError, MAX_PACKAGE_BYTES } from './topology-package.js';
export type { TopologyPackage } from './topology-package.js';
