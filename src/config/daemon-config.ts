import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, describe } from '../common/index.js';
import { closestOf } from './topology-config.js';

/**
 * Configuration of the daemons (coordinator, supervisor) and of the cluster commands: where NATS
 * is and how to authenticate, the supervisor's host and slots, directories and timeouts. Read from
 * a YAML or JSON file, then the environment, then command-line flags (each overriding the one
 * before), and validated with the key named in every error.
 */
export interface DaemonConfig {
  'nats.servers': string[];
  'nats.user'?: string;
  'nats.pass'?: string;
  'nats.token'?: string;
  /** A NATS credentials file (JWT and nkey seed). */
  'nats.creds'?: string;
  'nats.tls.ca'?: string;
  'nats.tls.cert'?: string;
  'nats.tls.key'?: string;
  /** Prefix of the cluster's buckets and subjects: several clusters can share one NATS. */
  'cluster.prefix': string;
  /** Supervisor and worker heartbeats expire after this (fixed when the buckets are created). */
  'cluster.heartbeat.ttl.secs': number;
  /** A leader that stops renewing loses the lease after this (fixed when the bucket is created). */
  'cluster.lease.ttl.secs': number;
  'coordinator.id'?: string;
  /** A supervisor silent this long is dead and its work moves. */
  'coordinator.supervisor.timeout.secs': number;
  'supervisor.id'?: string;
  /** Host name or address other machines reach this supervisor's workers at. */
  'supervisor.host'?: string;
  'supervisor.slots': number[];
  'supervisor.dir'?: string;
  /** A worker that has not beaten this long is killed and restarted. */
  'supervisor.worker.timeout.secs': number;
  'supervisor.worker.start.timeout.secs': number;
  /** Node.js options of worker processes (Storm's worker.childopts), e.g. heap sizes or `--cpu-prof`. */
  'supervisor.worker.node.args': string[];
  /** ZeroMQ CURVE between workers: `auto` turns it on when NATS logs in (user, token, creds or client certificate). */
  'transport.curve': 'auto' | 'on' | 'off';
}

type Kind = 'string' | 'strings' | 'args' | 'ports' | 'seconds' | 'switch';

const SCHEMA: Record<keyof DaemonConfig, { kind: Kind; env?: string; default?: unknown }> = {
  'nats.servers': { kind: 'strings', env: 'SQUALL_NATS', default: ['nats://127.0.0.1:4222'] },
  'nats.user': { kind: 'string', env: 'SQUALL_NATS_USER' },
  'nats.pass': { kind: 'string', env: 'SQUALL_NATS_PASS' },
  'nats.token': { kind: 'string', env: 'SQUALL_NATS_TOKEN' },
  'nats.creds': { kind: 'string', env: 'SQUALL_NATS_CREDS' },
  'nats.tls.ca': { kind: 'string', env: 'SQUALL_NATS_TLS_CA' },
  'nats.tls.cert': { kind: 'string', env: 'SQUALL_NATS_TLS_CERT' },
  'nats.tls.key': { kind: 'string', env: 'SQUALL_NATS_TLS_KEY' },
  'cluster.prefix': { kind: 'string', env: 'SQUALL_PREFIX', default: 'squall' },
  'cluster.heartbeat.ttl.secs': { kind: 'seconds', default: 10 },
  // Short, so that a standby takes over within a few seconds of a leader's crash.
  'cluster.lease.ttl.secs': { kind: 'seconds', default: 4 },
  'coordinator.id': { kind: 'string', env: 'SQUALL_COORDINATOR_ID' },
  'coordinator.supervisor.timeout.secs': { kind: 'seconds', default: 10 },
  'supervisor.id': { kind: 'string', env: 'SQUALL_SUPERVISOR_ID' },
  'supervisor.host': { kind: 'string', env: 'SQUALL_HOST' },
  'supervisor.slots': { kind: 'ports', env: 'SQUALL_SLOTS', default: [6700, 6701, 6702, 6703] },
  'supervisor.dir': { kind: 'string', env: 'SQUALL_DIR' },
  'supervisor.worker.timeout.secs': { kind: 'seconds', default: 10 },
  'supervisor.worker.start.timeout.secs': { kind: 'seconds', default: 60 },
  // A young generation sized for streams of short-lived tuples, as a JVM worker gets a tuned heap.
  'supervisor.worker.node.args': { kind: 'args', env: 'SQUALL_WORKER_NODE_ARGS', default: ['--max-semi-space-size=32'] },
  'transport.curve': { kind: 'switch', env: 'SQUALL_CURVE', default: 'auto' },
};

export const DAEMON_CONFIG_KEYS = Object.keys(SCHEMA) as (keyof DaemonConfig)[];

function convert(key: string, kind: Kind, value: unknown, where: string): unknown {
  const bad = (what: string): never => {
    throw new ConfigError(key, `${what} (from ${where}, got ${JSON.stringify(value)})`);
  };
  switch (kind) {
    case 'string':
      if (typeof value === 'number') return String(value);
      if (typeof value !== 'string' || value.length === 0) bad('must be a non-empty string');
      return value;
    case 'strings': {
      const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : bad('must be a list of URLs (or one comma-separated string)');
      const out = (list as unknown[]).map((v) => (typeof v === 'string' ? v.trim() : bad('must hold strings only'))).filter((v) => v.length > 0);
      if (out.length === 0) bad('must name at least one server');
      return out;
    }
    case 'args': {
      const list = typeof value === 'string' ? value.split(/\s+/) : Array.isArray(value) ? value : bad('must be a list of options (or one space-separated string)');
      return (list as unknown[]).map((v) => (typeof v === 'string' ? v : bad('must hold strings only'))).filter((v) => v.length > 0);
    }
    case 'ports': {
      const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : typeof value === 'number' ? [value] : bad('must be a list of ports');
      const out = (list as unknown[]).map((v) => Number(typeof v === 'string' ? v.trim() : v));
      if (out.length === 0 || out.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) bad('must be ports from 1 to 65535');
      if (new Set(out).size !== out.length) bad('lists a port twice');
      return out;
    }
    case 'switch': {
      const v = typeof value === 'boolean' ? (value ? 'on' : 'off') : value;
      if (v !== 'auto' && v !== 'on' && v !== 'off') bad('must be auto, on or off');
      return v;
    }
    case 'seconds': {
      const n = typeof value === 'string' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) bad('must be a positive number of seconds');
      return n;
    }
  }
}

/** Flattens `{nats: {servers: [...]}}` into `{'nats.servers': [...]}`, as Storm's YAML keys read. */
function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      const key = prefix === '' ? k : `${prefix}.${k}`;
      if (key in SCHEMA) out[key] = v;
      else flatten(v, key, out);
    }
  } else if (prefix !== '') out[prefix] = value;
  return out;
}

function apply(target: Record<string, unknown>, entries: Record<string, unknown>, where: string): void {
  for (const [key, value] of Object.entries(entries)) {
    if (value === undefined) continue;
    const spec = SCHEMA[key as keyof DaemonConfig];
    if (spec === undefined) {
      const hint = closestOf(key, DAEMON_CONFIG_KEYS);
      throw new ConfigError(key, `unknown key in ${where}${hint === undefined ? '' : ` (did you mean '${hint}'?)`}`);
    }
    target[key] = convert(key, spec.kind, value, where);
  }
}

export interface DaemonConfigSources {
  /** A YAML or JSON file. */
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, by key. */
  readonly flags?: Readonly<Record<string, unknown>>;
}

/** Reads and validates the daemon configuration: defaults < file < environment < flags. */
export function loadDaemonConfig(sources: DaemonConfigSources = {}): DaemonConfig {
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SCHEMA)) if (spec.default !== undefined) config[key] = spec.default;
  if (sources.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(sources.file, 'utf8');
    } catch (err) {
      throw new ConfigError('--config', `cannot read ${sources.file}: ${describe(err)}`, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text); // YAML is a superset of JSON: one parser reads both
    } catch (err) {
      throw new ConfigError('--config', `${sources.file} is not valid YAML or JSON: ${describe(err)}`, { cause: err });
    }
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new ConfigError('--config', `${sources.file} must hold a mapping of keys to values`);
    }
    apply(config, flatten(parsed ?? {}), sources.file);
  }
  const env = sources.env ?? {};
  const fromEnv: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SCHEMA)) {
    const v = spec.env === undefined ? undefined : env[spec.env];
    if (v !== undefined && v !== '') fromEnv[key] = v;
  }
  for (const [key, value] of Object.entries(fromEnv)) {
    const spec = SCHEMA[key as keyof DaemonConfig];
    config[key] = convert(key, spec.kind, value, `environment variable ${spec.env ?? ''}`);
  }
  apply(config, sources.flags ?? {}, 'the command line');
  return config as unknown as DaemonConfig;
}
