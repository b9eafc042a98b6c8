export { validateConfig, defaultConfig, configKeys, ackerCount } from './topology-config.js';
export type { TopologyConfig, Config } from './topology-config.js';
