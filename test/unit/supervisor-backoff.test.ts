import { describe, expect, it } from 'vitest';
import { nextBackoff, type SlotBackoff } from '../../src/supervisor/supervisor.js';

/** The delays of `deaths` in a row, each healthy or not, starting from `from`. */
function delays(deaths: readonly { key: string; healthy: boolean }[], from?: SlotBackoff): number[] {
  let b = from;
  return deaths.map((d) => (b = nextBackoff(b, d.key, d.healthy)).delayMs);
}

describe('restart backoff of a slot', () => {
  it('restarts a healthy worker at once, however often it died before', () => {
    expect(delays([{ key: 'a', healthy: true }])).toEqual([0]);
    const looping = nextBackoff(nextBackoff(nextBackoff(undefined, 'a', false), 'a', false), 'a', false);
    expect(looping.delayMs).toBeGreaterThan(0);
    expect(nextBackoff(looping, 'a', true).delayMs).toBe(0);
  });

  it('backs off only for deaths in a row of one assignment before it became healthy', () => {
    const quick = { key: 'a', healthy: false };
    expect(delays([quick, quick, quick, quick, quick, quick, quick, quick])).toEqual([0, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    // Healthy in between: the count starts over.
    expect(delays([quick, quick, quick, { key: 'a', healthy: true }, quick, quick])).toEqual([0, 1000, 2000, 0, 0, 1000]);
  });

  it('does not hand a crash loop on to a new assignment of the slot', () => {
    let b: SlotBackoff | undefined;
    for (let i = 0; i < 6; i++) b = nextBackoff(b, 'old-topology:1,2', false);
    expect(b?.delayMs).toBe(16000);
    expect(nextBackoff(b, 'new-topology:1,2', false).delayMs).toBe(0);
    expect(nextBackoff(b, 'old-topology:1,2,3', false).delayMs).toBe(0);
  });
});
