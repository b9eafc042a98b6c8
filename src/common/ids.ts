import { randomFillSync } from 'node:crypto';

/**
 * Random 64-bit ids for XOR acking, drawn as two 32-bit halves. Acking handles several ids per
 * tuple, so ids are plain numbers (no BigInt allocation) and XOR is two integer operations; the
 * pool is refilled from the OS CSPRNG, so a draw costs an array read, not a syscall.
 */
const POOL_SIZE = 8192;
const pool = new Int32Array(POOL_SIZE);
let next = POOL_SIZE;

/** The halves of the id drawn last by {@link drawId}. */
export const drawn = { hi: 0, lo: 0 };

/** Draws a random non-zero 64-bit id into {@link drawn}. */
export function drawId(): void {
  do {
    if (next >= POOL_SIZE) {
      randomFillSync(pool);
      next = 0;
    }
    drawn.hi = pool[next++] as number;
    drawn.lo = pool[next++] as number;
    // Zero is the "tree complete" value and must never be drawn.
  } while (drawn.hi === 0 && drawn.lo === 0);
}

/** An id as one bigint (for logs and tests). */
export function idToBigInt(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
