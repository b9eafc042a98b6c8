import { Redis } from 'ioredis';
import type { Value } from 'squall';
import { decodeRedisValue } from '../../src/trident/index.js';

/**
 * The counts a Trident topology's Redis map state holds for single-word keys, as a user would read
 * them back: `squall:<topology>:<state>:["word"]` -> [txid, count] (transactional) or
 * [txid, count, previous] (opaque).
 */
export async function redisCounts(url: string, topology: string, state = 'counts'): Promise<Record<string, number>> {
  const r = new Redis(url);
  try {
    const prefix = `squall:${topology}:${state}:`;
    const keys = await r.keys(`${prefix}*`);
    const out: Record<string, number> = {};
    if (keys.length === 0) return out;
    const values = await r.mgetBuffer(keys);
    keys.forEach((k, i) => {
      const word = (JSON.parse(k.slice(prefix.length)) as string[])[0] as string;
      out[word] = (decodeRedisValue(values[i] as Buffer) as readonly Value[])[1] as number;
    });
    return out;
  } finally {
    r.disconnect();
  }
}
