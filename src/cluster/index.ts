export { ClusterState, ClusterError, describeSkipped, DEFAULT_LEASE_TTL_MS } from './cluster-state.js';
export type { Bucket, ClusterConnectOptions, Leadership, SkippedRecord } from './cluster-state.js';
export { ClusterClient } from './cluster-client.js';
export { bundleTopology, packTopology, listPackageFiles, encodePackage, decodePackage, unpackTopology, squallRoot, PackageError, MAX_PACKAGE_BYTES } from './topology-package.js';
export type { TopologyPackage, BundleOptions, PackOptions } from './topology-package.js';
