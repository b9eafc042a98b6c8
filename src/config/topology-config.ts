import { ConfigError } from '../common/index.js';
import type { NatsAuth } from './nats-auth.js';

/**
 * Topology configuration: Storm's dotted keys, typed, with Storm's defaults where Storm has one.
 * Keys outside the `topology.` namespace are the user's own and pass through untouched, so a
 * component can read its settings from the same map, as in Storm.
 */
export interface TopologyConfig {
  /** Worker processes the topology runs in (cluster mode). @defaultValue 1 */
  'topology.workers': number;
  /** Acker tasks; `null` means one per worker; 0 turns acking off. @defaultValue null */
  'topology.acker.executors': number | null;
  /** Seconds a spout tuple tree may take before it is failed and replayed. @defaultValue 30 */
  'topology.message.timeout.secs': number;
  /** Whether trees time out at all. @defaultValue true */
  'topology.enable.message.timeouts': boolean;
  /** Most tracked tuples a spout task may have pending; `null` means no limit. @defaultValue null */
  'topology.max.spout.pending': number | null;
  /** Log every emitted tuple. @defaultValue false */
  'topology.debug': boolean;
  /** Seconds between tick tuples to every bolt; `null` means none. @defaultValue null */
  'topology.tick.tuple.freq.secs': number | null;
  /** Cap on any component's parallelism (useful in local mode). @defaultValue null */
  'topology.max.task.parallelism': number | null;
  /** Capacity of an executor's receive queue; producers stop when it is full. @defaultValue 32768 */
  'topology.executor.receive.buffer.size': number;
  /** Most tuples an executor handles (or a spout emits) in one scheduling turn. @defaultValue 1024 */
  'topology.executor.batch.size': number;
  /** Most `execute` promises a bolt task may have unsettled before it stops taking input. @defaultValue 1000 */
  'topology.bolt.max.async.pending': number;
  /** Milliseconds a spout waits after a `nextTuple` that emitted nothing. @defaultValue 1 */
  'topology.sleep.spout.wait.strategy.time.ms': number;
  /** Fraction of tuples whose latencies are measured. @defaultValue 0.05 */
  'topology.stats.sample.rate': number;
  /** Serialize every tuple in local mode too, to catch values that would not cross processes. @defaultValue false */
  'topology.testing.always.try.serialize': boolean;
  /** Milliseconds `kill` waits for in-flight tuples to complete before stopping. @defaultValue null (the message timeout) */
  'topology.kill.wait.ms': number | null;
  /** Tuples a multilang bolt subprocess may hold unanswered. @defaultValue 100 */
  'topology.shellbolt.max.pending': number;
  /** Serializer on multilang pipes: `msgpack` or `json`. @defaultValue "msgpack" */
  'topology.multilang.serializer': 'msgpack' | 'json';
  /** Seconds without a message from a multilang subprocess before it is declared hung. @defaultValue 30 */
  'topology.subprocess.timeout.secs': number;
  /** Tuples per ZeroMQ message between workers. @defaultValue 500 */
  'topology.transfer.batch.size': number;
  /** Milliseconds a partly filled batch waits before it is flushed. @defaultValue 1 */
  'topology.batch.flush.interval.millis': number;
  /**
   * Where stateful bolts keep their checkpointed state: `memory` (a store shared by the whole
   * process, so a topology resubmitted in the same process recovers) or `redis`. @defaultValue "memory"
   */
  'topology.state.provider': 'memory' | 'redis';
  /**
   * Settings of the state provider: `url` (Redis, default `redis://127.0.0.1:6379`) and `keyPrefix`
   * (prepended to every namespace, default `squall:`). @defaultValue null
   */
  'topology.state.provider.config': StateProviderConfig | null;
  /**
   * Milliseconds between checkpoints of stateful bolts; must be shorter than the message timeout,
   * since acks are held back until the next commit. @defaultValue 1000
   */
  'topology.state.checkpoint.interval.ms': number;
  /**
   * Least milliseconds between two new Trident batches (Storm's throttle; Storm defaults to 500 on
   * clusters, we use 50 so local runs move). Batches in flight: `topology.max.spout.pending`
   * (null means 1, as in Storm). @defaultValue 50
   */
  'topology.trident.batch.emit.interval.millis': number;
  /**
   * Where Trident keeps its coordinator and spout metadata (current txid, attempts, each batch's
   * spout metadata): `memory` (kept for the life of the process) or `nats` (a JetStream key-value
   * bucket, surviving restarts of the process). @defaultValue "memory"
   */
  'topology.trident.metadata.provider': 'memory' | 'nats';
  /**
   * Settings of the metadata provider: `servers` (NATS URLs, default `SQUALL_NATS` or
   * nats://127.0.0.1:4222) and `bucket` (default `squall_trident`). @defaultValue null
   */
  'topology.trident.metadata.provider.config': TridentMetadataConfig | null;
  /** Anything else: the user's own keys. */
  [key: string]: unknown;
}

/** Settings of `topology.state.provider.config`. */
export interface StateProviderConfig {
  /** Redis URL, e.g. `redis://127.0.0.1:6379/0`. */
  readonly url?: string;
  /** Prepended to every state namespace (`<prefix><topology>:<component>:<task index>`). */
  readonly keyPrefix?: string;
}

/** Settings of `topology.trident.metadata.provider.config`. */
/** Credentials (NatsAuth) when the NATS server asks for them; a cluster's workers pass their own. */
export interface TridentMetadataConfig extends NatsAuth {
  /** NATS server URLs, comma-separated or a list. */
  readonly servers?: string | readonly string[];
  /** Key-value bucket holding the metadata. */
  readonly bucket?: string;
}

/** What a user passes: any subset of the keys. */
export type Config = Partial<TopologyConfig> & Record<string, unknown>;

type KeyKind =
  | { kind: 'int'; min: number; nullable?: boolean }
  | { kind: 'number'; min: number; max?: number; nullable?: boolean }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'object'; nullable?: boolean };

interface KeySpec {
  readonly type: KeyKind;
  readonly default: unknown;
}

const SCHEMA: Record<string, KeySpec> = {
  'topology.workers': { type: { kind: 'int', min: 1 }, default: 1 },
  'topology.acker.executors': { type: { kind: 'int', min: 0, nullable: true }, default: null },
  'topology.message.timeout.secs': { type: { kind: 'number', min: 0.001 }, default: 30 },
  'topology.enable.message.timeouts': { type: { kind: 'boolean' }, default: true },
  'topology.max.spout.pending': { type: { kind: 'int', min: 1, nullable: true }, default: null },
  'topology.debug': { type: { kind: 'boolean' }, default: false },
  'topology.tick.tuple.freq.secs': { type: { kind: 'number', min: 0.001, nullable: true }, default: null },
  'topology.max.task.parallelism': { type: { kind: 'int', min: 1, nullable: true }, default: null },
  'topology.executor.receive.buffer.size': { type: { kind: 'int', min: 1 }, default: 32768 },
  'topology.executor.batch.size': { type: { kind: 'int', min: 1 }, default: 1024 },
  'topology.bolt.max.async.pending': { type: { kind: 'int', min: 1 }, default: 1000 },
  'topology.sleep.spout.wait.strategy.time.ms': { type: { kind: 'number', min: 0 }, default: 1 },
  'topology.stats.sample.rate': { type: { kind: 'number', min: 0, max: 1 }, default: 0.05 },
  'topology.testing.always.try.serialize': { type: { kind: 'boolean' }, default: false },
  'topology.kill.wait.ms': { type: { kind: 'number', min: 0, nullable: true }, default: null },
  'topology.shellbolt.max.pending': { type: { kind: 'int', min: 1 }, default: 100 },
  'topology.multilang.serializer': { type: { kind: 'enum', values: ['msgpack', 'json'] }, default: 'msgpack' },
  'topology.subprocess.timeout.secs': { type: { kind: 'number', min: 0.001 }, default: 30 },
  'topology.transfer.batch.size': { type: { kind: 'int', min: 1 }, default: 500 },
  'topology.batch.flush.interval.millis': { type: { kind: 'number', min: 0 }, default: 1 },
  'topology.state.provider': { type: { kind: 'enum', values: ['memory', 'redis'] }, default: 'memory' },
  'topology.state.provider.config': { type: { kind: 'object', nullable: true }, default: null },
  'topology.state.checkpoint.interval.ms': { type: { kind: 'number', min: 1 }, default: 1000 },
  'topology.trident.batch.emit.interval.millis': { type: { kind: 'number', min: 0 }, default: 50 },
  'topology.trident.metadata.provider': { type: { kind: 'enum', values: ['memory', 'nats'] }, default: 'memory' },
  'topology.trident.metadata.provider.config': { type: { kind: 'object', nullable: true }, default: null },
};

/** Every key Squall knows, with its default: what `squall --help` and the README list. */
export function configKeys(): { key: string; default: unknown }[] {
  return Object.entries(SCHEMA).map(([key, spec]) => ({ key, default: spec.default }));
}

export function defaultConfig(): TopologyConfig {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SCHEMA)) out[key] = spec.default;
  return out as TopologyConfig;
}

function checkValue(key: string, spec: KeySpec, value: unknown): void {
  const t = spec.type;
  switch (t.kind) {
    case 'boolean':
      if (typeof value !== 'boolean') throw new ConfigError(key, `expected true or false, got ${show(value)}`);
      return;
    case 'enum':
      if (typeof value !== 'string' || !t.values.includes(value)) {
        throw new ConfigError(key, `expected one of ${t.values.map((v) => `"${v}"`).join(', ')}, got ${show(value)}`);
      }
      return;
    case 'object':
      if (value === null && t.nullable === true) return;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new ConfigError(key, `expected an object${t.nullable === true ? ' or null' : ''}, got ${show(value)}`);
      }
      return;
    case 'int':
    case 'number': {
      if (value === null && t.nullable === true) return;
      const isInt = t.kind === 'int';
      if (typeof value !== 'number' || !Number.isFinite(value) || (isInt && !Number.isInteger(value))) {
        throw new ConfigError(key, `expected ${isInt ? 'an integer' : 'a number'}${t.nullable === true ? ' or null' : ''}, got ${show(value)}`);
      }
      if (value < t.min) throw new ConfigError(key, `must be at least ${t.min}, got ${value}`);
      if (t.kind === 'number' && t.max !== undefined && value > t.max) {
        throw new ConfigError(key, `must be at most ${t.max}, got ${value}`);
      }
      return;
    }
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return `"${v}"`;
  if (typeof v === 'bigint') return `${v}n`;
  return JSON.stringify(v) ?? String(v);
}

/** The closest known key, for "did you mean" hints on typos. */
function closestKey(key: string): string | undefined {
  return closestOf(key, Object.keys(SCHEMA));
}

/** The candidate nearest to a misspelt `key`, when one is near enough to suggest. */
export function closestOf(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of candidates) {
    const d = editDistance(k, key);
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return bestDistance <= Math.max(3, Math.floor(key.length / 5)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * Checks every known key and fills in defaults. An unknown `topology.*` key is refused (it is
 * almost always a typo that would otherwise be silently ignored); other keys pass through.
 */
export function validateConfig(config: Config = {}): TopologyConfig {
  for (const [key, value] of Object.entries(config)) {
    const spec = SCHEMA[key];
    if (spec === undefined) {
      if (key.startsWith('topology.')) {
        const hint = closestKey(key);
        throw new ConfigError(key, `unknown key${hint === undefined ? '' : ` (did you mean '${hint}'?)`}`);
      }
      continue;
    }
    if (value === undefined) continue;
    checkValue(key, spec, value);
  }
  const merged: Record<string, unknown> = { ...defaultConfig() };
  for (const [key, value] of Object.entries(config)) if (value !== undefined) merged[key] = value;
  return merged as TopologyConfig;
}

/** Acker task count as Storm computes it: the configured value, or one per worker when null. */
export function ackerCount(config: TopologyConfig): number {
  return config['topology.acker.executors'] ?? config['topology.workers'];
}
