import { describe, expect, it } from 'vitest';
import { IdTable } from 'squall/internal';

describe('IdTable', () => {
  it('finds, removes and expires 64-bit ids given as int32 halves, through growth and collisions', () => {
    const t = new IdTable(2);
    const ids: [number, number][] = [];
    // Many ids sharing low bits force long probe chains and backward-shift deletions.
    for (let i = 0; i < 5000; i++) ids.push([i * 7919 - 100000, (i % 17) * 1024]);
    for (const [hi, lo] of ids) {
      const e = t.insert(hi, lo);
      t.num[e] = hi;
    }
    expect(t.size).toBe(5000);
    for (const [hi, lo] of ids) expect(t.num[t.find(hi, lo)]).toBe(hi);
    for (let i = 0; i < ids.length; i += 2) t.remove(t.find(...ids[i]!));
    expect(t.size).toBe(2500);
    ids.forEach(([hi, lo], i) => expect(t.find(hi, lo) >= 0).toBe(i % 2 === 1));
    const survivor = ids[1]!;
    t.rotate(() => undefined);
    t.refresh(t.find(...survivor));
    const expired: number[] = [];
    t.rotate((e) => expired.push(t.keyHi[e]!));
    expect(expired).toHaveLength(2499);
    expect(t.size).toBe(1);
    // An entry not refreshed lives exactly `buckets` rotations.
    const [hi, lo] = [12345, 678];
    t.insert(hi, lo);
    t.rotate(() => undefined);
    expect(t.find(hi, lo)).toBeGreaterThanOrEqual(0);
    t.rotate(() => undefined);
    expect(t.find(hi, lo)).toBe(-1);
    expect(t.find(...survivor)).toBe(-1);
  });
});
