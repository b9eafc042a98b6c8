import { describe, expect, it } from 'vitest';
import { IdTable, RotatingMap } from 'squall/internal';

describe('RotatingMap', () => {
  it('expires an entry after as many rotations as it has buckets', () => {
    const m = new RotatingMap<string, { n: number; generation: number }>(3);
    m.put('a', { n: 1, generation: 0 });
    expect(m.rotate().size).toBe(0);
    expect(m.rotate().size).toBe(0);
    expect([...m.rotate()].map(([k, v]) => [k, v.n])).toEqual([['a', 1]]);
    expect(m.size).toBe(0);
  });

  it('a put refreshes the expiry; remove takes the entry out', () => {
    const m = new RotatingMap<string, { n: number; generation: number }>(2);
    const a = { n: 1, generation: 0 };
    m.put('a', a);
    m.put('b', { n: 2, generation: 0 });
    m.rotate();
    m.put('a', a);
    expect([...m.rotate().keys()]).toEqual(['b']);
    expect(m.get('a')?.n).toBe(1);
    expect(m.remove('a')).toBe(a);
    expect(m.remove('a')).toBeUndefined();
    expect(m.has('a')).toBe(false);
  });
});

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
    expect(t.find(...survivor)).toBeGreaterThanOrEqual(0);
  });
});
