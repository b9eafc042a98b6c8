import { describe } from '../common/index.js';
import { defaultRedisUrl } from '../config/index.js';
import { decodeValues, encodeValues } from '../protocol/index.js';
import { StateError, acquireRedis, releaseRedis, type RedisConnection } from '../state/index.js';
import type { Value } from '../tuple/index.js';
import {
  NonTransactionalMap,
  OpaqueMap,
  TransactionalMap,
  keyString,
  type BackingMap,
  type MapState,
  type StateContext,
  type StateFactory,
  type StateType,
} from './state.js';

/**
 * A read cache in front of a backing map (Storm's `CachedMap`), least recently used first out.
 * Safe because a key is written by one task only (the state's input is partitioned by key); a
 * failed write drops the keys it touched, since Redis may or may not have applied it.
 */
export class CachedMap implements BackingMap {
  private readonly cache = new Map<string, Value>();

  constructor(
    private readonly backing: BackingMap,
    private readonly size: number,
  ) {}

  private remember(k: string, v: Value): void {
    this.cache.delete(k);
    this.cache.set(k, v);
    if (this.cache.size > this.size) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
  }

  async multiGet(keys: readonly (readonly Value[])[]): Promise<(Value | undefined)[]> {
    const out = new Array<Value | undefined>(keys.length);
    const missKeys: (readonly Value[])[] = [];
    const missAt: number[] = [];
    const missNames: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as readonly Value[];
      const k = keyString(key);
      const v = this.cache.get(k);
      if (v === undefined) {
        missKeys.push(key);
        missAt.push(i);
        missNames.push(k);
      } else {
        this.remember(k, v);
        out[i] = v;
      }
    }
    if (missKeys.length > 0) {
      const got = await this.backing.multiGet(missKeys);
      for (let j = 0; j < missKeys.length; j++) {
        const v = got[j];
        out[missAt[j] as number] = v;
        if (v !== undefined) this.remember(missNames[j] as string, v);
      }
    }
    return out;
  }

  async multiPut(keys: readonly (readonly Value[])[], values: readonly Value[]): Promise<void> {
    const names = keys.map(keyString);
    try {
      await this.backing.multiPut(keys, values);
    } catch (err) {
      for (const k of names) this.cache.delete(k);
      throw err;
    }
    for (let i = 0; i < names.length; i++) this.remember(names[i] as string, values[i] as Value);
  }

  close(): void | Promise<void> {
    return this.backing.close?.();
  }
}

/** Every memory map of the process, by namespace: a topology resubmitted in the process finds its state. */
const memoryMaps = new Map<string, Map<string, Value>>();

/** Stored values in a process-wide map; `multiPut` is synchronous, so atomic. */
export class MemoryBackingMap implements BackingMap {
  private readonly map: Map<string, Value>;

  constructor(readonly namespace: string) {
    let m = memoryMaps.get(namespace);
    if (m === undefined) memoryMaps.set(namespace, (m = new Map<string, Value>()));
    this.map = m;
  }

  multiGet(keys: readonly (readonly Value[])[]): Promise<(Value | undefined)[]> {
    return Promise.resolve(keys.map((k) => this.map.get(keyString(k))));
  }

  multiPut(keys: readonly (readonly Value[])[], values: readonly Value[]): Promise<void> {
    for (let i = 0; i < keys.length; i++) this.map.set(keyString(keys[i] as readonly Value[]), values[i] as Value);
    return Promise.resolve();
  }

  /** Forgets a namespace (tests). */
  static clear(namespace?: string): void {
    if (namespace === undefined) memoryMaps.clear();
    else memoryMaps.delete(namespace);
  }
}


/** A key's suffix: JSON when readable (strings, numbers, booleans), else base64 of its msgpack. */
export function redisKeySuffix(key: readonly Value[]): string {
  const plain = key.every((v) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)));
  return plain ? JSON.stringify(key) : `b64:${Buffer.from(encodeValues(key as Value[])).toString('base64')}`;
}

/** Decodes a stored value read from Redis: `[txid, value]` (transactional), `[txid, curr, prev]` (opaque) or the value. */
export function decodeRedisValue(bytes: Uint8Array): Value {
  return decodeValues(bytes)[0] as Value;
}

/**
 * Stored values in Redis strings `<prefix><topology>:<state>:<key>`, values msgpack-encoded (the
 * tuple values codec). Reads are one MGET; a batch's writes one MSET, which Redis applies atomically.
 */
export class RedisBackingMap implements BackingMap {
  private readonly pooled: RedisConnection;
  private closed = false;

  constructor(
    private readonly url: string,
    readonly namespace: string,
  ) {
    this.pooled = acquireRedis(url);
  }

  private fail(what: string, err: unknown): never {
    const connection = this.pooled.lastError === undefined ? '' : ` (connection: ${this.pooled.lastError})`;
    throw new StateError(this.namespace, `${what} in Redis at ${this.url} failed: ${describe(err)}${connection}`, { cause: err });
  }

  async multiGet(keys: readonly (readonly Value[])[]): Promise<(Value | undefined)[]> {
    if (keys.length === 0) return [];
    let raw: (Buffer | null)[];
    try {
      raw = await this.pooled.client.mgetBuffer(keys.map((k) => this.namespace + redisKeySuffix(k)));
    } catch (err) {
      this.fail(`reading ${keys.length} keys`, err);
    }
    return raw.map((b) => (b === null ? undefined : decodeRedisValue(b)));
  }

  async multiPut(keys: readonly (readonly Value[])[], values: readonly Value[]): Promise<void> {
    if (keys.length === 0) return;
    const args: (string | Buffer)[] = [];
    for (let i = 0; i < keys.length; i++) {
      args.push(this.namespace + redisKeySuffix(keys[i] as readonly Value[]));
      const bytes = encodeValues([values[i] as Value]);
      args.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    try {
      await this.pooled.client.mset(...args);
    } catch (err) {
      this.fail(`writing ${keys.length} keys`, err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await releaseRedis(this.url);
  }
}

export interface MapStateOptions {
  /** The state's name (part of its keys); default `state-<n>` in order of declaration. */
  readonly name?: string;
  /** Keys kept in each task's read cache. @defaultValue 10000 */
  readonly cacheSize?: number;
}

export interface RedisMapStateOptions extends MapStateOptions {
  /** @defaultValue `SQUALL_REDIS`, else redis://127.0.0.1:6379 */
  readonly url?: string;
  /** Prepended to every key: `<keyPrefix><topology>:<state>:<key>`. @defaultValue "squall:" */
  readonly keyPrefix?: string;
}

function wrap(type: StateType, backing: BackingMap, options: MapStateOptions, context: StateContext): MapState<Value> {
  const size = context.forQuery ? 0 : (options.cacheSize ?? 10_000);
  const cached = size > 0 ? new CachedMap(backing, size) : backing;
  switch (type) {
    case 'transactional':
      return new TransactionalMap(cached);
    case 'opaque':
      return new OpaqueMap(cached);
    case 'non-transactional':
      return new NonTransactionalMap(cached);
  }
}

function factory(type: StateType, options: MapStateOptions, open: (context: StateContext) => BackingMap): StateFactory<MapState<Value>> {
  return {
    stateType: type,
    ...(options.name === undefined ? {} : { name: options.name }),
    makeState: (context) => wrap(type, open(context), options, context),
  };
}

/** Map states kept in process memory (local mode, tests): `MemoryMapState.opaque()` and friends. */
export const MemoryMapState = {
  transactional: (options: MapStateOptions = {}) => factory('transactional', options, (c) => new MemoryBackingMap(`${c.topologyName}:${c.stateName}`)),
  opaque: (options: MapStateOptions = {}) => factory('opaque', options, (c) => new MemoryBackingMap(`${c.topologyName}:${c.stateName}`)),
  nonTransactional: (options: MapStateOptions = {}) =>
    factory('non-transactional', options, (c) => new MemoryBackingMap(`${c.topologyName}:${c.stateName}`)),
};

function redisOpen(options: RedisMapStateOptions): (context: StateContext) => BackingMap {
  return (c) => {
    const url = options.url ?? defaultRedisUrl();
    return new RedisBackingMap(url, `${options.keyPrefix ?? 'squall:'}${c.topologyName}:${c.stateName}:`);
  };
}

/** Map states in Redis: `RedisMapState.transactional({ url })` and friends. */
export const RedisMapState = {
  transactional: (options: RedisMapStateOptions = {}) => factory('transactional', options, redisOpen(options)),
  opaque: (options: RedisMapStateOptions = {}) => factory('opaque', options, redisOpen(options)),
  nonTransactional: (options: RedisMapStateOptions = {}) => factory('non-transactional', options, redisOpen(options)),
};
