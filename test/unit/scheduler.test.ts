import { describe, expect, it } from 'vitest';
import { executorsOf, freeSlots, pickSlots, reassignLost, respread, spread } from '../../src/coordinator/index.js';
import { defaultConfig, validateConfig } from '../../src/config/index.js';
import type { TopologySpec } from '../../src/protocol/index.js';

const sup = (id: string, slots: number[]) => ({ v: 1 as const, id, host: `${id}.local`, slots, time: 0 });

const spec: TopologySpec = {
  version: 1,
  components: {
    spout: { id: 'spout', kind: 'spout', parallelism: 1, tasks: 1, streams: { default: { fields: ['x'], direct: false } }, inputs: [], config: {} },
    bolt: { id: 'bolt', kind: 'bolt', parallelism: 2, tasks: 4, streams: {}, inputs: [{ component: 'spout', stream: 'default', grouping: { type: 'shuffle' } }], config: {} },
  },
};

describe('the even scheduler', () => {
  it('counts executors with ackers included, tasks grouped per executor', () => {
    const ex = executorsOf(spec, validateConfig({ 'topology.acker.executors': 2 }));
    // __acker: 2 executors of 1 task; bolt: 4 tasks on 2 executors; spout: 1.
    expect(ex).toEqual([[1], [2], [3, 4], [5, 6], [7]]);
    expect(executorsOf(spec, validateConfig({ 'topology.acker.executors': 0 }))).toHaveLength(3);
    expect(defaultConfig()['topology.workers']).toBe(1);
  });

  it('takes free slots one supervisor at a time, the emptiest first', () => {
    const free = freeSlots([sup('a', [1, 2, 3]), sup('b', [1, 2])], [{ workers: [{ supervisor: 'a', host: 'a.local', port: 1, tasks: [1] }] }]);
    expect(free.map((s) => `${s.supervisor}:${s.port}`)).toEqual(['a:2', 'a:3', 'b:1', 'b:2']);
    expect(pickSlots(free, 3).map((s) => `${s.supervisor}:${s.port}`)).toEqual(['a:2', 'b:1', 'a:3']);
    expect(pickSlots(free, 9)).toHaveLength(4);
  });

  it('deals executors round-robin so each worker gets a share, never splitting one', () => {
    const workers = spread([[1], [2], [3, 4], [5, 6], [7]], pickSlots(freeSlots([sup('a', [1]), sup('b', [1])], []), 2));
    expect(workers).toEqual([
      { supervisor: 'a', host: 'a.local', port: 1, tasks: [1, 3, 4, 7] },
      { supervisor: 'b', host: 'b.local', port: 1, tasks: [2, 5, 6] },
    ]);
    // More slots than executors: empty workers are not assigned.
    expect(spread([[1]], pickSlots(freeSlots([sup('a', [1, 2])], []), 2))).toHaveLength(1);
  });

  it("moves a dead supervisor's workers to free slots, else onto the survivors", () => {
    const current = [
      { supervisor: 'a', host: 'a.local', port: 1, tasks: [1, 3] },
      { supervisor: 'b', host: 'b.local', port: 1, tasks: [2, 4] },
    ];
    const moved = reassignLost(current, new Set(['a', 'c']), freeSlots([sup('a', [1]), sup('c', [9])], [{ workers: current }]));
    expect(moved).toEqual([current[0], { supervisor: 'c', host: 'c.local', port: 9, tasks: [2, 4] }]);
    // No free slot: the survivor takes the work.
    expect(reassignLost(current, new Set(['a']), [])).toEqual([{ supervisor: 'a', host: 'a.local', port: 1, tasks: [1, 2, 3, 4] }]);
    // Nothing alive, nothing free: nothing to do.
    expect(reassignLost(current, new Set(), [])).toBeUndefined();
    // Nobody lost: unchanged.
    expect(reassignLost(current, new Set(['a', 'b']), [])).toEqual(current);
  });

  it('moves one worker to a supervisor with a free slot that runs two or more fewer of the topology', () => {
    const onB = [
      { supervisor: 'b', host: 'b.local', port: 1, tasks: [1, 3] },
      { supervisor: 'b', host: 'b.local', port: 2, tasks: [2, 4] },
    ];
    // a came back with free slots after its work moved to b.
    const r = respread(onB, freeSlots([sup('a', [7, 8]), sup('b', [1, 2])], [{ workers: onB }]));
    expect(r?.from).toEqual(onB[1]);
    expect(r?.to).toEqual({ supervisor: 'a', host: 'a.local', port: 7 });
    expect(r?.workers).toEqual([onB[0], { supervisor: 'a', host: 'a.local', port: 7, tasks: [2, 4] }]);
    expect(Object.fromEntries(r?.counts ?? [])).toEqual({ a: 0, b: 2 });
    // Even to one worker: left alone.
    const even = [onB[0] as (typeof onB)[number], { supervisor: 'a', host: 'a.local', port: 7, tasks: [2, 4] }];
    expect(respread(even, freeSlots([sup('a', [7, 8]), sup('b', [1, 2])], [{ workers: even }]))).toBeUndefined();
    // Unbalanced, but the idle supervisor has no free slot: nothing to do here (squall list says so).
    expect(respread(onB, freeSlots([sup('a', [7]), sup('b', [1, 2])], [{ workers: onB }, { workers: [{ supervisor: 'a', host: 'a.local', port: 7, tasks: [9] }] }]))).toBeUndefined();
  });
});
