import * as v from 'valibot';
import { ConfigError } from '../common/index.js';
import type { NatsAuth } from './nats-auth.js';
import { bool, int, num, oneOf, problemOf, show } from './schema.js';

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

interface KeyDeclaration<S extends v.GenericSchema> {
  readonly schema: S;
  readonly default: v.InferOutput<S>;
  /** The default as the README and `squall config` show it, when the value alone does not say enough. */
  readonly shown?: string;
  readonly meaning: string;
}

function key<S extends v.GenericSchema>(schema: S, dflt: v.InferOutput<S>, meaning: string, shown?: string): KeyDeclaration<S> {
  return { schema, default: dflt, meaning, ...(shown === undefined ? {} : { shown }) };
}

/** An object of settings (not an array): the entries declared are checked, others pass (NATS credentials). */
function settings<E extends v.ObjectEntries>(entries: E, message: (i: v.BaseIssue<unknown>) => string) {
  return v.pipe(
    v.custom<Record<string, unknown>>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), message),
    v.looseObject(entries, message),
  );
}

const stateProviderConfig = v.nullable(
  settings({
    url: v.optional(v.pipe(v.string(), v.regex(/^rediss?:\/\//, (i) => `must be a redis:// or rediss:// URL, got ${show(i.input)}`))),
    keyPrefix: v.optional(v.string((i) => `must be a string, got ${show(i.input)}`)),
  }, (i) => `expected an object or null, got ${show(i.input)}`),
) as v.GenericSchema<unknown, StateProviderConfig | null>;

const metadataProviderConfig = v.nullable(
  settings({
    servers: v.optional(v.union([v.string(), v.array(v.string())], (i) => `must be a URL string or a list of them, got ${show(i.input)}`)),
    bucket: v.optional(v.pipe(v.string(), v.regex(/^[-_a-zA-Z0-9]+$/, (i) => `must be a name of letters, digits, '-' and '_', got ${show(i.input)}`))),
  }, (i) => `expected an object or null, got ${show(i.input)}`),
) as v.GenericSchema<unknown, TridentMetadataConfig | null>;

/**
 * Topology configuration: Storm's dotted keys, typed, with Storm's defaults where Storm has one.
 * This one declaration gives the `TopologyConfig` type, the validation, the README's key table
 * (`npm run docs:config`) and `squall config`.
 */
const KEYS = {
  'topology.workers': key(int(1), 1, 'worker processes (cluster mode)'),
  'topology.acker.executors': key(v.nullable(int(0, true)), null, 'acker tasks; 0 turns acking off', 'null (one per worker)'),
  'topology.message.timeout.secs': key(num(0.001), 30, 'seconds before an incomplete tree fails'),
  'topology.enable.message.timeouts': key(bool(), true, 'whether trees time out'),
  'topology.max.spout.pending': key(v.nullable(int(1, true)), null, 'tracked tuples pending per spout task', 'null (no limit)'),
  'topology.debug': key(bool(), false, 'log every emit'),
  'topology.tick.tuple.freq.secs': key(v.nullable(num(0.001, undefined, true)), null, 'tick tuples to bolts every N seconds'),
  'topology.max.task.parallelism': key(v.nullable(int(1, true)), null, 'cap on executors and tasks per component'),
  'topology.executor.receive.buffer.size': key(int(1), 32768, 'receive queue capacity (backpressure threshold)'),
  'topology.executor.batch.size': key(int(1), 1024, 'tuples an executor handles per turn'),
  'topology.bolt.max.async.pending': key(int(1), 1000, 'unsettled `execute` promises per bolt executor'),
  'topology.sleep.spout.wait.strategy.time.ms': key(num(0), 1, 'wait after a `nextTuple` that emitted nothing'),
  'topology.stats.sample.rate': key(num(0, 1), 0.05, 'fraction of tuples whose latency is measured'),
  'topology.testing.always.try.serialize': key(bool(), false, 'serialize every tuple in local mode'),
  'topology.kill.wait.ms': key(v.nullable(num(0, undefined, true)), null, 'how long kill waits for in-flight tuples', 'null (the message timeout)'),
  'topology.shellbolt.max.pending': key(int(1), 100, 'tuples a multilang subprocess may hold'),
  'topology.multilang.serializer': key(oneOf(['msgpack', 'json']), 'msgpack', '`msgpack` or `json` on multilang pipes'),
  'topology.subprocess.timeout.secs': key(num(0.001), 30, 'silence before a multilang subprocess counts as hung'),
  'topology.state.provider': key(oneOf(['memory', 'redis']), 'memory', 'where stateful bolts keep state: `memory` or `redis`'),
  'topology.state.provider.config': key(
    stateProviderConfig,
    null,
    'provider settings, e.g. `{ "url": "redis://127.0.0.1:6379", "keyPrefix": "squall:" }`; the URL defaults to `SQUALL_REDIS`',
  ),
  'topology.state.checkpoint.interval.ms': key(num(1), 1000, 'checkpoint rounds; must be shorter than the message timeout'),
  'topology.trident.batch.emit.interval.millis': key(num(0), 50, 'least time between two new Trident batches'),
  'topology.trident.metadata.provider': key(oneOf(['memory', 'nats']), 'memory', 'where Trident keeps txids and batch metadata: `memory` or `nats`'),
  'topology.trident.metadata.provider.config': key(
    metadataProviderConfig,
    null,
    'e.g. `{ "servers": "nats://127.0.0.1:4222", "bucket": "squall_trident" }`; servers default to `SQUALL_NATS`',
  ),
  'topology.transfer.batch.size': key(int(1), 500, 'tuples per message between workers'),
  'topology.batch.flush.interval.millis': key(num(0), 1, 'wait before a partial batch is sent'),
} as const;

type Keys = typeof KEYS;

/**
 * A validated topology configuration: every Squall key typed from its declaration, plus the
 * user's own keys, which pass through untouched so a component can read its settings from the
 * same map, as in Storm.
 */
export type TopologyConfig = { -readonly [K in keyof Keys]: v.InferOutput<Keys[K]['schema']> } & { [key: string]: unknown };

/** What a user passes: any subset of the keys. */
export type Config = Partial<TopologyConfig> & Record<string, unknown>;

const DECLARED: Readonly<Record<string, KeyDeclaration<v.GenericSchema>>> = KEYS;

/** One documented key: what the README's table, `squall --help` and `squall config` list. */
export interface ConfigKeyInfo {
  readonly key: string;
  readonly default: unknown;
  /** The default as shown to people. */
  readonly shown: string;
  readonly meaning: string;
}

/** Every key Squall knows, with its default and meaning. */
export function configKeys(): ConfigKeyInfo[] {
  return Object.entries(DECLARED).map(([k, d]) => ({ key: k, default: d.default, shown: d.shown ?? shownDefault(d.default), meaning: d.meaning }));
}

/** A default as the README shows it: strings in backticks, the rest as JSON. */
export function shownDefault(value: unknown): string {
  return typeof value === 'string' ? `\`${value}\`` : show(value);
}

export function defaultConfig(): TopologyConfig {
  const out: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(DECLARED)) out[k] = d.default;
  return out as TopologyConfig;
}

/** The closest known key, for "did you mean" hints on typos. */
function closestKey(key: string): string | undefined {
  return closestOf(key, Object.keys(DECLARED));
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
  for (const [k, value] of Object.entries(config)) {
    const d = DECLARED[k];
    if (d === undefined) {
      if (k.startsWith('topology.')) {
        const hint = closestKey(k);
        throw new ConfigError(k, `unknown key${hint === undefined ? '' : ` (did you mean '${hint}'?)`}`);
      }
      continue;
    }
    if (value === undefined) continue;
    const r = v.safeParse(d.schema, value);
    if (!r.success) throw new ConfigError(k, problemOf(r.issues));
  }
  const merged: Record<string, unknown> = { ...defaultConfig() };
  for (const [k, value] of Object.entries(config)) if (value !== undefined) merged[k] = value;
  return merged as TopologyConfig;
}

/** Acker task count as Storm computes it: the configured value, or one per worker when null. */
export function ackerCount(config: TopologyConfig): number {
  return config['topology.acker.executors'] ?? config['topology.workers'];
}
