import { randomFillSync } from 'node:crypto';

/**
 * Random 64-bit ids for XOR acking. Filling a pool from the OS CSPRNG and handing out entries keeps
 * the cost per id near a BigInt allocation; a per-id syscall would cost microseconds.
 */
const POOL_SIZE = 4096;
const pool = new BigUint64Array(POOL_SIZE);
let next = POOL_SIZE;

export function randomId64(): bigint {
  if (next === POOL_SIZE) {
    randomFillSync(pool);
    next = 0;
  }
  const id = pool[next++] as bigint;
  // Zero is the "tree complete" value and must never be drawn as an edge or root id.
  return id === 0n ? randomId64() : id;
}
