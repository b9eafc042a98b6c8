import { describe, expect, it } from 'vitest';
import { createGrouper, hashFields } from 'squall/internal';
import { Fields, type Value } from 'squall';

const fields = new Fields(['word', 'n']);
const base = { streamFields: fields, localTasks: new Set<number>(), sourceTask: 1 };

function counts(choose: (v: Value[]) => number | readonly number[], inputs: Value[][]): Map<number, number> {
  const m = new Map<number, number>();
  for (const v of inputs) {
    const r = choose(v);
    for (const t of typeof r === 'number' ? [r] : r) m.set(t, (m.get(t) ?? 0) + 1);
  }
  return m;
}

describe('groupings', () => {
  it('shuffle spreads tuples evenly over the tasks', () => {
    const g = createGrouper({ type: 'shuffle' }, { ...base, targets: [7, 3, 5, 9] })!;
    const c = counts((v) => g.choose(v), Array.from({ length: 4000 }, (_, i) => ['w', i]));
    expect([...c.keys()].sort()).toEqual([3, 5, 7, 9]);
    for (const n of c.values()) expect(n).toBe(1000);
  });

  it('fields grouping sends equal values to the same task, whatever the other fields', () => {
    const g = createGrouper({ type: 'fields', fields: ['word'] }, { ...base, targets: [1, 2, 3, 4, 5] })!;
    const words = Array.from({ length: 200 }, (_, i) => `word-${i}`);
    const first = new Map(words.map((w) => [w, g.choose([w, 0])]));
    for (let n = 1; n < 5; n++) for (const w of words) expect(g.choose([w, n])).toBe(first.get(w));
    // A fresh grouper (another emitting task, another worker) agrees.
    const other = createGrouper({ type: 'fields', fields: ['word'] }, { ...base, sourceTask: 9, targets: [5, 4, 3, 2, 1] })!;
    for (const w of words) expect(other.choose([w, 99])).toBe(first.get(w));
    // And the keys are spread over every task.
    expect(new Set(first.values()).size).toBe(5);
  });

  it('fields grouping hashes structured values by content, not identity or key order', () => {
    const a = hashFields([{ x: 1, y: [1, 2n, 'z'] }], [0]);
    const b = hashFields([{ y: [1, 2n, 'z'], x: 1 }], [0]);
    expect(a).toBe(b);
    expect(hashFields([new Uint8Array([1, 2, 3])], [0])).toBe(hashFields([new Uint8Array([1, 2, 3])], [0]));
    expect(hashFields(['1'], [0])).not.toBe(hashFields([1], [0]));
    expect(hashFields([1n], [0])).not.toBe(hashFields([1], [0]));
  });

  it('global grouping picks the lowest task; all grouping every task', () => {
    const g = createGrouper({ type: 'global' }, { ...base, targets: [8, 4, 6] })!;
    expect(g.choose(['a', 1])).toBe(4);
    const all = createGrouper({ type: 'all' }, { ...base, targets: [8, 4, 6] })!;
    expect(all.choose(['a', 1])).toEqual([4, 6, 8]);
  });

  it('none grouping picks among the targets', () => {
    const g = createGrouper({ type: 'none' }, { ...base, targets: [1, 2] })!;
    const c = counts((v) => g.choose(v), Array.from({ length: 1000 }, () => ['a', 1]));
    expect([...c.keys()].sort()).toEqual([1, 2]);
  });

  it('local-or-shuffle prefers tasks in the same worker', () => {
    const g = createGrouper({ type: 'localOrShuffle' }, { ...base, localTasks: new Set([2, 3]), targets: [1, 2, 3, 4] })!;
    const c = counts((v) => g.choose(v), Array.from({ length: 100 }, () => ['a', 1]));
    expect([...c.keys()].sort()).toEqual([2, 3]);
    expect(c.get(2)).toBe(50);
  });

  it('partial key grouping sends a key to at most two tasks and balances a hot key', () => {
    const targets = [1, 2, 3, 4, 5, 6];
    // A key's two candidate tasks are its two hashes (the second seeded) modulo the task count;
    // find a key whose candidates differ and one whose candidates coincide.
    const candidates = (key: string): [number, number] => [
      hashFields([key, 1], [0]) % targets.length,
      hashFields([key, 1], [0], 0x9e3779b9) % targets.length,
    ];
    const keys = Array.from({ length: 200 }, (_, i) => `hot-${i}`);
    const split = keys.find((k) => candidates(k)[0] !== candidates(k)[1]);
    const single = keys.find((k) => candidates(k)[0] === candidates(k)[1]);
    expect(split, 'a key with two distinct candidate tasks').toBeDefined();
    expect(single, 'a key whose candidate tasks coincide').toBeDefined();

    const g = createGrouper({ type: 'partialKey', fields: ['word'] }, { ...base, targets })!;
    const c = counts((v) => g.choose(v), Array.from({ length: 1000 }, () => [split!, 1]));
    expect([...c.keys()].sort()).toEqual(candidates(split!).map((i) => targets[i]).sort());
    for (const n of c.values()) expect(n).toBe(500);

    const g1 = createGrouper({ type: 'partialKey', fields: ['word'] }, { ...base, targets })!;
    const c1 = counts((v) => g1.choose(v), Array.from({ length: 1000 }, () => [single!, 1]));
    expect([...c1.entries()]).toEqual([[targets[candidates(single!)[0]], 1000]]);
  });

  it('custom grouping may only choose its targets', () => {
    const custom = { prepare: () => undefined, chooseTasks: (_t: number, v: readonly Value[]) => [v[1] as number] };
    const g = createGrouper({ type: 'custom', name: 'c' }, { ...base, custom, targets: [1, 2] })!;
    expect(g.choose(['a', 2])).toEqual([2]);
    expect(() => g.choose(['a', 3])).toThrow(/task 3, which is not one of its targets/);
  });

  it('direct grouping has no grouper: the emitter chooses', () => {
    expect(createGrouper({ type: 'direct' }, { ...base, targets: [1] })).toBeUndefined();
  });
});
