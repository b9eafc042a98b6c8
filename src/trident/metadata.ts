import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ConfigError, describe } from '../common/index.js';
import { natsAuthOptions, natsServers, type NatsAuth, type TopologyConfig, type TridentMetadataConfig } from '../config/index.js';
import { natsConnectOptions } from '../config/nats-connect.js';
import { decodeValues, encodeValues } from '../protocol/index.js';
import type { Value } from '../tuple/index.js';
import { TridentError } from './errors.js';

/**
 * Where the batch layer keeps what must survive a restart (Storm's `TransactionalState` in
 * ZooKeeper): the master coordinator's current txid and attempt ids, the metadata of each batch
 * of each spout. Keys are dot-separated tokens of `[-_=a-zA-Z0-9]`.
 */
export interface MetadataStore {
  get(key: string): Promise<Value | null>;
  put(key: string, value: Value): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/** A key token from any string: characters NATS keys refuse become `=hh`. */
export function keyToken(s: string): string {
  return s.replace(/[^-_a-zA-Z0-9]/g, (c) => `=${c.codePointAt(0)?.toString(16) ?? '0'}`);
}

const memory = new Map<string, Value>();

/** The process-wide memory store (local mode): a topology resubmitted in the process resumes. */
export class MemoryMetadataStore implements MetadataStore {
  get(key: string): Promise<Value | null> {
    return Promise.resolve(memory.get(key) ?? null);
  }

  put(key: string, value: Value): Promise<void> {
    memory.set(key, value);
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    memory.delete(key);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Forgets every key starting with `prefix` (tests). */
  static clear(prefix = ''): void {
    for (const k of [...memory.keys()]) if (k.startsWith(prefix)) memory.delete(k);
  }
}

interface PooledNats {
  readonly connection: Promise<{ nc: NatsConnection; kv: KV }>;
  refs: number;
}

/** One NATS connection per servers and bucket per process, shared by the Trident tasks of a worker. */
const natsPool = new Map<string, PooledNats>();

export const DEFAULT_METADATA_BUCKET = 'squall_trident';

/** Metadata in a NATS JetStream key-value bucket, values msgpack-encoded. */
export class NatsMetadataStore implements MetadataStore {
  private closed = false;

  private constructor(
    private readonly poolKey: string,
    private readonly kv: KV,
  ) {}

  static async open(servers: readonly string[], bucket: string = DEFAULT_METADATA_BUCKET, auth: NatsAuth = {}): Promise<NatsMetadataStore> {
    // Every credential in the key: topologies logging in differently never share a connection.
    const poolKey = `${servers.join(',')}|${bucket}|${JSON.stringify(natsAuthOptions(auth))}`;
    let p = natsPool.get(poolKey);
    if (p === undefined) {
      const connection = (async () => {
        let nc: NatsConnection;
        try {
          nc = await connect(natsConnectOptions(servers, 'squall-trident', auth));
        } catch (err) {
          throw new TridentError(`cannot reach NATS at ${servers.join(', ')} for the Trident metadata: ${describe(err)}`, { cause: err });
        }
        try {
          const kv = await new Kvm(nc).create(bucket, { history: 1 });
          return { nc, kv };
        } catch (err) {
          await nc.close();
          throw new TridentError(`cannot open the Trident metadata bucket '${bucket}' (is JetStream enabled? start nats-server with -js): ${describe(err)}`, {
            cause: err,
          });
        }
      })();
      p = { connection, refs: 0 };
      natsPool.set(poolKey, p);
      connection.catch(() => natsPool.delete(poolKey));
    }
    p.refs++;
    const { kv } = await p.connection;
    return new NatsMetadataStore(poolKey, kv);
  }

  async get(key: string): Promise<Value | null> {
    try {
      const e = await this.kv.get(key);
      if (e === null || e.operation !== 'PUT' || e.length === 0) return null;
      return decodeValues(e.value)[0] as Value;
    } catch (err) {
      throw new TridentError(`reading Trident metadata '${key}' from NATS failed: ${describe(err)}`, { cause: err });
    }
  }

  async put(key: string, value: Value): Promise<void> {
    try {
      await this.kv.put(key, encodeValues([value]));
    } catch (err) {
      throw new TridentError(`writing Trident metadata '${key}' to NATS failed: ${describe(err)}`, { cause: err });
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.kv.delete(key);
    } catch (err) {
      throw new TridentError(`deleting Trident metadata '${key}' in NATS failed: ${describe(err)}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const p = natsPool.get(this.poolKey);
    if (p === undefined || --p.refs > 0) return;
    natsPool.delete(this.poolKey);
    const { nc } = await p.connection;
    await nc.close();
  }
}

const PROVIDER_CONFIG = 'topology.trident.metadata.provider.config';

/** The store `topology.trident.metadata.provider` chooses. */
export async function openMetadataStore(config: TopologyConfig): Promise<MetadataStore> {
  const provider = config['topology.trident.metadata.provider'];
  if (provider === 'memory') return new MemoryMetadataStore();
  if (provider !== 'nats') throw new ConfigError('topology.trident.metadata.provider', `unknown provider ${JSON.stringify(provider)}`);
  const c = (config[PROVIDER_CONFIG] ?? {}) as TridentMetadataConfig & Record<string, unknown>;
  const servers = natsServers(c.servers);
  if (servers.length === 0) throw new ConfigError(PROVIDER_CONFIG, 'servers must name at least one NATS URL');
  const bucket = c.bucket ?? DEFAULT_METADATA_BUCKET;
  if (typeof bucket !== 'string' || !/^[-_a-zA-Z0-9]+$/.test(bucket)) {
    throw new ConfigError(PROVIDER_CONFIG, `bucket must be a name of letters, digits, '-' and '_', got ${JSON.stringify(bucket)}`);
  }
  return NatsMetadataStore.open(servers, bucket, natsAuthOptions(c));
}
