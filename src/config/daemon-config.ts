import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import * as v from 'valibot';
import { ConfigError, describe } from '../common/index.js';
import { DEFAULT_NATS_URL, ENV, parseServers } from './environment.js';
import { closestOf, shownDefault } from './topology-config.js';

/** One daemon key: its schema (which converts strings from the environment and flags), variable, default and meaning. */
interface DaemonKey<S extends v.GenericSchema> {
  readonly schema: S;
  readonly env?: string;
  readonly default?: v.InferOutput<S>;
  /** The default as shown to people, when there is none or the value alone does not say enough. */
  readonly shown?: string;
  readonly meaning: string;
}

function key<S extends v.GenericSchema, M extends Omit<DaemonKey<S>, 'schema' | 'meaning'> = Record<never, never>>(
  schema: S,
  meaning: string,
  more?: M,
): DaemonKey<S> & M {
  return { schema, meaning, ...(more ?? ({} as M)) };
}

const text = v.pipe(
  v.union([v.string(), v.pipe(v.number(), v.transform(String))], 'must be a non-empty string'),
  v.minLength(1, 'must be a non-empty string'),
);
const servers = v.pipe(
  v.union([v.string(), v.array(v.unknown())], 'must be a list of URLs (or one comma-separated string)'),
  v.check((x) => typeof x === 'string' || x.every((s) => typeof s === 'string'), 'must hold strings only'),
  v.transform((x) => parseServers(x as string | string[])),
  v.minLength(1, 'must name at least one server'),
);
const nodeArgs = v.pipe(
  v.union([v.string(), v.array(v.unknown())], 'must be a list of options (or one space-separated string)'),
  v.check((x) => typeof x === 'string' || x.every((s) => typeof s === 'string'), 'must hold strings only'),
  v.transform((x) => (typeof x === 'string' ? x.split(/\s+/) : (x as string[])).filter((a) => a.length > 0)),
);
const ports = v.pipe(
  v.union([v.string(), v.number(), v.array(v.unknown())], 'must be a list of ports'),
  v.transform((x) => (typeof x === 'string' ? x.split(',') : Array.isArray(x) ? x : [x]).map((p) => Number(typeof p === 'string' ? p.trim() : p))),
  v.check((l) => l.length > 0 && l.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535), 'must be ports from 1 to 65535'),
  v.check((l) => new Set(l).size === l.length, 'lists a port twice'),
);
const seconds = v.pipe(
  v.union([v.number(), v.pipe(v.string(), v.transform(Number))], 'must be a positive number of seconds'),
  v.check((n) => Number.isFinite(n) && n > 0, 'must be a positive number of seconds'),
);

const curveSwitch = v.pipe(
  v.union([v.boolean(), v.picklist(['auto', 'on', 'off'])], 'must be auto, on or off'),
  v.transform((x): 'auto' | 'on' | 'off' => (typeof x === 'boolean' ? (x ? 'on' : 'off') : x)),
);

/**
 * Configuration of the daemons (coordinator, supervisor) and of the cluster commands: where NATS
 * is and how to authenticate, the supervisor's host and slots, directories and timeouts. Read from
 * a YAML or JSON file, then the environment, then command-line flags (each overriding the one
 * before), and validated with the key named in every error. This declaration gives the
 * `DaemonConfig` type, the validation, the README's table and `squall config`.
 */
const KEYS = {
  'nats.servers': key(servers, 'NATS URLs', { env: ENV.nats, default: [DEFAULT_NATS_URL], shown: `\`${DEFAULT_NATS_URL}\`` }),
  'nats.user': key(text, 'NATS user name', { env: 'SQUALL_NATS_USER' }),
  'nats.pass': key(text, 'NATS password', { env: 'SQUALL_NATS_PASS' }),
  'nats.token': key(text, 'NATS token', { env: 'SQUALL_NATS_TOKEN' }),
  'nats.creds': key(text, 'NATS credentials file (a JWT and nkey seed)', { env: 'SQUALL_NATS_CREDS' }),
  'nats.tls.ca': key(text, 'TLS: CA certificate file', { env: 'SQUALL_NATS_TLS_CA' }),
  'nats.tls.cert': key(text, 'TLS: client certificate file', { env: 'SQUALL_NATS_TLS_CERT' }),
  'nats.tls.key': key(text, 'TLS: client key file', { env: 'SQUALL_NATS_TLS_KEY' }),
  'cluster.prefix': key(text, "prefix of the cluster's buckets and subjects: several clusters can share one NATS", { env: 'SQUALL_PREFIX', default: 'squall' }),
  'cluster.heartbeat.ttl.secs': key(seconds, 'supervisor and worker heartbeats expire after this (fixed when the buckets are created)', { default: 10 }),
  // Short, so that a standby takes over within a few seconds of a leader's crash.
  'cluster.lease.ttl.secs': key(seconds, 'a leader that stops renewing loses the lease after this, and a standby takes over (fixed when the bucket is created)', {
    default: 4,
  }),
  'coordinator.id': key(text, 'coordinator id', { env: 'SQUALL_COORDINATOR_ID', shown: 'host name + random suffix' }),
  'coordinator.supervisor.timeout.secs': key(seconds, 'a supervisor silent this long is dead and its work moves', { default: 10 }),
  'supervisor.id': key(text, 'supervisor id', { env: 'SQUALL_SUPERVISOR_ID', shown: 'host name + first slot' }),
  'supervisor.host': key(text, "host name or address other machines reach this supervisor's workers at", { env: 'SQUALL_HOST', shown: 'host name' }),
  'supervisor.slots': key(ports, 'worker ports', { env: 'SQUALL_SLOTS', default: [6700, 6701, 6702, 6703], shown: '6700–6703' }),
  'supervisor.dir': key(text, 'unpacked topology packages', { env: 'SQUALL_DIR', shown: 'a temporary directory' }),
  'supervisor.worker.timeout.secs': key(seconds, 'a worker not beating this long is killed and restarted', { default: 10 }),
  'supervisor.worker.start.timeout.secs': key(seconds, 'a worker not beating this long after its start is killed and restarted', { default: 60 }),
  // A young generation sized for streams of short-lived tuples, as a JVM worker gets a tuned heap.
  'supervisor.worker.node.args': key(nodeArgs, "Node options for workers (Storm's worker.childopts), e.g. heap sizes or `--cpu-prof`", {
    env: 'SQUALL_WORKER_NODE_ARGS',
    default: ['--max-semi-space-size=32'],
    shown: '`--max-semi-space-size=32`',
  }),
  'transport.curve': key(curveSwitch, 'ZeroMQ CURVE between workers: `on`, `off`, or `auto` (on when NATS logs in); the same on every supervisor', {
    env: 'SQUALL_CURVE',
    default: 'auto',
    shown: '`auto`',
  }),
} as const;

type Keys = typeof KEYS;
type WithDefault = { [K in keyof Keys]: Keys[K] extends { default: unknown } ? K : never }[keyof Keys];

/** The daemon configuration: keys with a default are always there, the others when set. */
export type DaemonConfig = { [K in WithDefault]: v.InferOutput<Keys[K]['schema']> } & {
  [K in Exclude<keyof Keys, WithDefault>]?: v.InferOutput<Keys[K]['schema']>;
};

const DECLARED: Readonly<Record<string, DaemonKey<v.GenericSchema>>> = KEYS;

export const DAEMON_CONFIG_KEYS = Object.keys(KEYS) as (keyof DaemonConfig)[];

/** One documented daemon key, for the README and `squall config`. */
export interface DaemonKeyInfo {
  readonly key: string;
  readonly env: string | undefined;
  readonly default: unknown;
  readonly shown: string;
  readonly meaning: string;
}

export function daemonConfigKeys(): DaemonKeyInfo[] {
  return Object.entries(DECLARED).map(([k, d]) => ({
    key: k,
    env: d.env,
    default: d.default,
    shown: d.shown ?? (d.default === undefined ? '–' : shownDefault(d.default)),
    meaning: d.meaning,
  }));
}

function convert(key: string, d: DaemonKey<v.GenericSchema>, value: unknown, where: string): unknown {
  const r = v.safeParse(d.schema, value);
  if (!r.success) throw new ConfigError(key, `${r.issues[0]?.message ?? 'invalid'} (from ${where}, got ${JSON.stringify(value)})`);
  return r.output;
}

/** Flattens `{nats: {servers: [...]}}` into `{'nats.servers': [...]}`, as Storm's YAML keys read. */
function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, val] of Object.entries(value)) {
      const key = prefix === '' ? k : `${prefix}.${k}`;
      if (key in DECLARED) out[key] = val;
      else flatten(val, key, out);
    }
  } else if (prefix !== '') out[prefix] = value;
  return out;
}

function apply(target: Record<string, unknown>, entries: Record<string, unknown>, where: string): void {
  for (const [key, value] of Object.entries(entries)) {
    if (value === undefined) continue;
    const spec = DECLARED[key];
    if (spec === undefined) {
      const hint = closestOf(key, DAEMON_CONFIG_KEYS);
      throw new ConfigError(key, `unknown key in ${where}${hint === undefined ? '' : ` (did you mean '${hint}'?)`}`);
    }
    target[key] = convert(key, spec, value, where);
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
  for (const [key, spec] of Object.entries(DECLARED)) if (spec.default !== undefined) config[key] = spec.default;
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
  for (const [key, spec] of Object.entries(DECLARED)) {
    const value = spec.env === undefined ? undefined : env[spec.env];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  for (const [key, value] of Object.entries(fromEnv)) {
    const spec = DECLARED[key];
    if (spec !== undefined) config[key] = convert(key, spec, value, `environment variable ${spec.env ?? ''}`);
  }
  apply(config, sources.flags ?? {}, 'the command line');
  return config as unknown as DaemonConfig;
}
