import { describe, expect, it } from 'vitest';
import { RotatingMap } from 'squall/internal';

describe('RotatingMap', () => {
  it('expires an entry after as many rotations as it has buckets', () => {
    const m = new RotatingMap<string, number>(3);
    m.put('a', 1);
    expect(m.rotate().size).toBe(0);
    expect(m.rotate().size).toBe(0);
    expect([...m.rotate()]).toEqual([['a', 1]]);
    expect(m.size).toBe(0);
  });

  it('a put refreshes the expiry; remove takes the entry out', () => {
    const m = new RotatingMap<string, number>(2);
    m.put('a', 1);
    m.putNew('b', 2);
    m.rotate();
    m.put('a', 3);
    expect([...m.rotate().keys()]).toEqual(['b']);
    expect(m.get('a')).toBe(3);
    expect(m.remove('a')).toBe(3);
    expect(m.remove('a')).toBeUndefined();
    expect(m.has('a')).toBe(false);
  });
});
