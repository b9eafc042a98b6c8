import type { Redis } from 'ioredis';
import { SquallError, describe } from '../common/index.js';
import { StateError } from './errors.js';
import { acquireRedis, releaseRedis, type RedisConnection } from './redis-pool.js';
import type { PreparedChanges, StateChange, StateStore, StoredState } from './store.js';

/**
 * Applies the prepared changes of a txid to the committed hash, atomically and without sending
 * the data again. Lua strings are binary-safe; an empty value is a tombstone.
 * KEYS: data, prepare, txid hashes; ARGV: txid.
 */
const COMMIT_SCRIPT = `
if redis.call('HGET', KEYS[3], 'prepare') == ARGV[1] then
  local kv = redis.call('HGETALL', KEYS[2])
  for i = 1, #kv, 2 do
    if kv[i + 1] == '' then redis.call('HDEL', KEYS[1], kv[i]) else redis.call('HSET', KEYS[1], kv[i], kv[i + 1]) end
  end
end
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[3], 'prepare')
redis.call('HSET', KEYS[3], 'commit', ARGV[1])
return 1
`;

/** Fields per HSET, so a large checkpoint does not become one enormous command. */
const CHUNK = 5000;


function hsetArgs(changes: readonly StateChange[], tombstones: boolean): Buffer[][] {
  const chunks: Buffer[][] = [];
  let cur: Buffer[] = [];
  for (const [f, v] of changes) {
    if ((v.byteLength === 0) !== tombstones) continue;
    cur.push(Buffer.from(f.buffer, f.byteOffset, f.byteLength));
    if (!tombstones) cur.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    if (cur.length >= CHUNK * 2) {
      chunks.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}

/**
 * State in Redis with Storm's layout: committed data in hash `<ns>`, prepared changes in
 * `<ns>$prepare` (an empty value deletes the key), txids `prepare` and `commit` in `<ns>$txid`.
 * Fields and values are the values codec's bytes.
 */
export class RedisStateStore implements StateStore {
  private readonly pooled: RedisConnection;
  private readonly redis: Redis;
  private readonly prepareKey: string;
  private readonly txidKey: string;
  private closed = false;

  constructor(
    readonly namespace: string,
    private readonly url: string,
  ) {
    this.pooled = acquireRedis(url);
    this.redis = this.pooled.client;
    this.prepareKey = `${namespace}$prepare`;
    this.txidKey = `${namespace}$txid`;
  }

  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      const connection = this.pooled.lastError === undefined ? '' : ` (connection: ${this.pooled.lastError})`;
      throw new StateError(this.namespace, `${what} in Redis at ${this.url} failed: ${describe(err)}${connection}`, { cause: err });
    }
  }

  private async scan(key: string): Promise<StateChange[]> {
    const out: StateChange[] = [];
    let cursor = '0';
    do {
      const [next, items] = await this.redis.hscanBuffer(key, cursor, 'COUNT', 1000);
      cursor = next.toString();
      for (let i = 0; i + 1 < items.length; i += 2) out.push([items[i] as Buffer, items[i + 1] as Buffer]);
    } while (cursor !== '0');
    return out;
  }

  private async exec(multi: ReturnType<Redis['multi']>): Promise<void> {
    const results = await multi.exec();
    if (results === null) throw new SquallError('STATE', 'the transaction was aborted');
    for (const [err] of results) if (err !== null) throw err;
  }

  load(): Promise<StoredState> {
    return this.run('loading', async () => {
      const [txids, committed, prepared] = await Promise.all([
        this.redis.hgetall(this.txidKey),
        this.scan(this.namespace),
        this.scan(this.prepareKey),
      ]);
      const commit = txids.commit === undefined ? null : Number(txids.commit);
      const preparedChanges: PreparedChanges | null = txids.prepare === undefined ? null : { txid: Number(txids.prepare), changes: prepared };
      return { committed, committedTxid: commit, prepared: preparedChanges };
    });
  }

  prepare(txid: number, changes: readonly StateChange[]): Promise<void> {
    return this.run(`preparing txid ${txid}`, () => {
      const m = this.redis.multi().del(this.prepareKey);
      // Tombstones are stored as empty values: the commit script deletes those fields.
      for (const chunk of hsetArgs(changes, false)) m.hset(this.prepareKey, ...chunk);
      for (const chunk of hsetArgs(changes, true)) m.hset(this.prepareKey, ...chunk.flatMap((f) => [f, Buffer.alloc(0)]));
      m.hset(this.txidKey, 'prepare', String(txid));
      return this.exec(m);
    });
  }

  commit(txid: number): Promise<void> {
    return this.run(`committing txid ${txid}`, async () => {
      await this.redis.eval(COMMIT_SCRIPT, 3, this.namespace, this.prepareKey, this.txidKey, String(txid));
    });
  }

  rollback(): Promise<void> {
    return this.run('rolling back', () => this.exec(this.redis.multi().del(this.prepareKey).hdel(this.txidKey, 'prepare')));
  }

  save(changes: readonly StateChange[]): Promise<void> {
    return this.run('saving', () => {
      const m = this.redis.multi();
      for (const chunk of hsetArgs(changes, false)) m.hset(this.namespace, ...chunk);
      for (const chunk of hsetArgs(changes, true)) m.hdel(this.namespace, ...chunk);
      return this.exec(m);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await releaseRedis(this.url);
  }
}
