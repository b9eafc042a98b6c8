export { validateConfig, defaultConfig, configKeys, ackerCount } from './topology-config.js';
export type { TopologyConfig, Config, TridentMetadataConfig } from './topology-config.js';
export { loadDaemonConfig, DAEMON_CONFIG_KEYS } from './daemon-config.js';
export type { DaemonConfig, DaemonConfigSources } from './daemon-config.js';
export { natsAuthEnabled, natsAuthOptions } from './nats-auth.js';
export type { NatsAuth } from './nats-auth.js';
