import { createRequire } from 'node:module';
import type * as Ioredis from 'ioredis';
import type { Redis } from 'ioredis';
import { describe } from '../common/index.js';

// ioredis is loaded on first use: a worker without Redis state should not carry it (~20 MB).
const loadIoredis = (): typeof Ioredis => createRequire(import.meta.url)('ioredis') as typeof Ioredis;

/** A shared Redis connection and the last reason it failed, for error messages. */
export interface RedisConnection {
  readonly client: Redis;
  refs: number;
  /** The last connection error, to say why a command failed. */
  lastError: string | undefined;
}

/** One connection per URL per process, shared by every task and state of a worker (commands pipeline). */
const pool = new Map<string, RedisConnection>();

/** The process's connection to `url`, opened on first use; pair with {@link releaseRedis}. */
export function acquireRedis(url: string): RedisConnection {
  let p = pool.get(url);
  if (p === undefined) {
    // Fail commands fast while Redis is unreachable: the caller's protocol (a checkpoint, a
    // Trident batch) retries, which is better than work piling up behind a stalled write.
    const client = new (loadIoredis().Redis)(url, { maxRetriesPerRequest: 1, connectTimeout: 5000 });
    const connection: RedisConnection = { client, refs: 0, lastError: undefined };
    // Connection errors also reject the commands that meet them: keep the reason for their message.
    client.on('error', (err: unknown) => (connection.lastError = describe(err)));
    client.on('ready', () => (connection.lastError = undefined));
    p = connection;
    pool.set(url, p);
  }
  p.refs++;
  return p;
}

/** Gives a connection back; the last user closes it. */
export async function releaseRedis(url: string): Promise<void> {
  const p = pool.get(url);
  if (p === undefined || --p.refs > 0) return;
  pool.delete(url);
  try {
    await p.client.quit();
  } catch {
    p.client.disconnect();
  }
}
