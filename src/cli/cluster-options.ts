import type { Argv } from 'yargs';
import type { ClusterConnectOptions } from '../cluster/index.js';
import { loadDaemonConfig, type DaemonConfig } from '../config/index.js';

/** Flags every cluster command and daemon shares: where NATS is and how to log in. */
export interface ClusterArgs {
  nats: string | undefined;
  config: string | undefined;
  prefix: string | undefined;
}

export function withClusterOptions<T>(y: Argv<T>): Argv<T & ClusterArgs> {
  return y
    .option('nats', {
      type: 'string',
      describe: 'NATS server URL(s), comma-separated (default: $SQUALL_NATS, else nats://127.0.0.1:4222)',
    })
    .option('config', { type: 'string', describe: 'Daemon configuration file (YAML or JSON): NATS credentials and TLS, host, slots, directories' })
    .option('prefix', { type: 'string', describe: "Prefix of the cluster's NATS buckets and subjects (default: squall)" }) as unknown as Argv<T & ClusterArgs>;
}

/** File, then environment, then these flags. */
export function daemonConfigOf(args: ClusterArgs, flags: Record<string, unknown> = {}): DaemonConfig {
  return loadDaemonConfig({
    ...(args.config === undefined ? {} : { file: args.config }),
    env: process.env,
    flags: { 'nats.servers': args.nats, 'cluster.prefix': args.prefix, ...flags },
  });
}

/** The NATS connection options the daemon configuration describes. */
export function connectOptionsOf(c: DaemonConfig): ClusterConnectOptions {
  const tls =
    c['nats.tls.ca'] === undefined && c['nats.tls.cert'] === undefined && c['nats.tls.key'] === undefined
      ? undefined
      : {
          ...(c['nats.tls.ca'] === undefined ? {} : { caFile: c['nats.tls.ca'] }),
          ...(c['nats.tls.cert'] === undefined ? {} : { certFile: c['nats.tls.cert'] }),
          ...(c['nats.tls.key'] === undefined ? {} : { keyFile: c['nats.tls.key'] }),
        };
  return {
    servers: c['nats.servers'],
    bucketPrefix: c['cluster.prefix'],
    heartbeatTtlMs: c['cluster.heartbeat.ttl.secs'] * 1000,
    leaseTtlMs: c['cluster.lease.ttl.secs'] * 1000,
    ...(c['nats.user'] === undefined ? {} : { user: c['nats.user'] }),
    ...(c['nats.pass'] === undefined ? {} : { pass: c['nats.pass'] }),
    ...(c['nats.token'] === undefined ? {} : { token: c['nats.token'] }),
    ...(c['nats.creds'] === undefined ? {} : { credsFile: c['nats.creds'] }),
    ...(tls === undefined ? {} : { tls }),
  };
}
