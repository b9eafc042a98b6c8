import { describe, expect, it } from 'vitest';
import {
  FeederBatchSpout,
  FixedBatchSpout,
  IncompatibleStateError,
  InvalidTopologyError,
  MemoryMapState,
  OpaqueMap,
  RedisMapState,
  TransactionalMap,
  TridentCount,
  TridentTopology,
  isSquallError,
  type TridentSpout,
  type Value,
} from 'squall';
import { CachedMap, MemoryBackingMap, redisKeySuffix, type BackingMap } from '../../src/trident/index.js';

let ns = 0;
const backing = (): MemoryBackingMap => new MemoryBackingMap(`unit-${process.pid}-${ns++}`);
const add = (n: number) => (old: Value | null) => ((old as number | null) ?? 0) + n;

describe('TransactionalMap (Storm\'s Trident-state example)', () => {
  it('applies a batch once: a key already written by this txid is skipped', async () => {
    const b = backing();
    await b.multiPut([['man'], ['dog']], [[1, 3], [3, 4]]);
    const map = new TransactionalMap(b);
    // txid 3 = man, man, dog: man was last written by txid 1, dog by txid 3 itself.
    map.beginCommit(3);
    expect(await map.multiUpdate([['man'], ['dog']], [add(2), add(1)])).toEqual([5, 4]);
    map.commit(3);
    expect(await b.multiGet([['man'], ['dog']])).toEqual([[3, 5], [3, 4]]);
    expect(await map.multiGet([['man'], ['dog'], ['cat']])).toEqual([5, 4, null]);
  });

  it('refuses updates outside a commit', async () => {
    const map = new TransactionalMap(backing());
    await expect(map.multiUpdate([['x']], [add(1)])).rejects.toMatchObject({ code: 'TRIDENT' });
  });
});

describe('OpaqueMap (Storm\'s OpaqueValue example)', () => {
  it('applies a new txid to the current value and keeps it as previous', async () => {
    const b = backing();
    await b.multiPut([['k']], [[2, 4, 1]]);
    const map = new OpaqueMap(b);
    map.beginCommit(3);
    expect(await map.multiUpdate([['k']], [add(2)])).toEqual([6]);
    expect(await b.multiGet([['k']])).toEqual([[3, 6, 4]]);
  });

  it('applies a replayed txid to the previous value, discarding the earlier attempt', async () => {
    const b = backing();
    await b.multiPut([['k']], [[2, 4, 1]]);
    const map = new OpaqueMap(b);
    map.beginCommit(2);
    expect(await map.multiUpdate([['k']], [add(2)])).toEqual([3]);
    expect(await b.multiGet([['k']])).toEqual([[2, 3, 1]]);
  });

  it('refuses a txid older than the stored one', async () => {
    const b = backing();
    await b.multiPut([['k']], [[5, 4, 1]]);
    const map = new OpaqueMap(b);
    map.beginCommit(4);
    await expect(map.multiUpdate([['k']], [add(1)])).rejects.toMatchObject({ code: 'TRIDENT' });
  });
});

describe('CachedMap', () => {
  it('serves reads from the cache and forgets keys whose write failed', async () => {
    const store = new Map<string, Value>();
    let reads = 0;
    let failNext = false;
    const b: BackingMap = {
      multiGet: (keys) => {
        reads += keys.length;
        return Promise.resolve(keys.map((k) => store.get((k[0] as string))));
      },
      multiPut: (keys, values) => {
        // The write lands, then the reply is lost: the cache cannot know which.
        keys.forEach((k, i) => store.set((k[0] as string), values[i] as Value));
        if (failNext) return Promise.reject(new Error('reply lost'));
        return Promise.resolve();
      },
    };
    const cached = new CachedMap(b, 10);
    await cached.multiPut([['a']], [1]);
    expect(await cached.multiGet([['a']])).toEqual([1]);
    expect(reads).toBe(0);
    failNext = true;
    await expect(cached.multiPut([['a']], [2])).rejects.toThrow('reply lost');
    expect(await cached.multiGet([['a']])).toEqual([2]);
    expect(reads).toBe(1);
  });

  it('evicts the least recently used key', async () => {
    const b = backing();
    const cached = new CachedMap(b, 2);
    await cached.multiPut([['a'], ['b'], ['c']], [1, 2, 3]);
    expect(await cached.multiGet([['a'], ['b'], ['c']])).toEqual([1, 2, 3]);
  });
});

describe('Redis keys', () => {
  it('are readable JSON for plain keys and base64 msgpack otherwise', () => {
    expect(redisKeySuffix(['the'])).toBe('["the"]');
    expect(redisKeySuffix(['a', 1, true])).toBe('["a",1,true]');
    expect(redisKeySuffix([10n])).toMatch(/^b64:/);
  });
});

function opaqueSpout(): TridentSpout {
  return {
    type: 'opaque',
    getOutputFields: () => ['word'],
    getCoordinator: () => ({ initializeTransaction: () => null }),
    getEmitter: () => ({ emitBatch: () => undefined }),
  };
}

describe('spout and state combinations', () => {
  const countInto = (spout: TridentSpout, state: Parameters<ReturnType<TridentTopology['newStream']>['persistentAggregate']>[0]) => {
    const t = new TridentTopology();
    t.newStream('words', spout).groupBy(['word']).persistentAggregate(state, new TridentCount(), ['count']);
    return () => t.build();
  };

  it('refuses an opaque spout with a transactional state, saying what to use', () => {
    const build = countInto(opaqueSpout(), RedisMapState.transactional({ name: 'counts' }));
    expect(build).toThrow(IncompatibleStateError);
    try {
      build();
    } catch (err) {
      expect(isSquallError(err, 'INCOMPATIBLE_STATE')).toBe(true);
      expect((err as Error).message).toMatch(/spout 'words' is opaque and state 'counts' is transactional.*opaque state/);
    }
  });

  it('refuses a non-transactional spout with a transactional or opaque state', () => {
    const spout: TridentSpout = { ...opaqueSpout(), type: 'non-transactional' };
    expect(countInto(spout, MemoryMapState.opaque())).toThrow(/non-transactional.*cannot give exactly-once/);
    expect(countInto({ ...opaqueSpout(), type: 'non-transactional' }, MemoryMapState.transactional())).toThrow(IncompatibleStateError);
  });

  it('accepts the combinations that give exactly-once, and non-transactional state with anything', () => {
    expect(countInto(new FeederBatchSpout(['word']), MemoryMapState.transactional())).not.toThrow();
    expect(countInto(new FeederBatchSpout(['word']), MemoryMapState.opaque())).not.toThrow();
    expect(countInto(opaqueSpout(), MemoryMapState.opaque())).not.toThrow();
    expect(countInto({ ...opaqueSpout(), type: 'non-transactional' }, MemoryMapState.nonTransactional())).not.toThrow();
  });
});

describe('TridentTopology.build', () => {
  it('compiles to a master coordinator, a spout coordinator, and a bolt per section', () => {
    const t = new TridentTopology();
    t.newStream('sentences', new FixedBatchSpout(['sentence'], 10, ['a b']))
      .parallelismHint(2)
      .each(['sentence'], (tuple, c) => tuple.getString(0).split(' ').forEach((w) => c.emit([w])), ['word'])
      .groupBy(['word'])
      .persistentAggregate(MemoryMapState.transactional(), new TridentCount(), ['count'])
      .parallelismHint(3);
    const spec = t.build().spec;
    expect(Object.keys(spec.components).sort()).toEqual(['$mastercoord-bg0', '$spoutcoord-sentences', 'b-0', 'sentences']);
    expect(spec.components.sentences?.parallelism).toBe(2);
    const count = spec.components['b-0'];
    expect(count?.parallelism).toBe(3);
    // Partial counts partitioned by word; coordination tuples direct; the commit to every task.
    const inputs = count?.inputs.map((i) => `${i.component}:${i.stream}:${i.grouping.type}`).sort();
    expect(inputs).toEqual(['$mastercoord-bg0:$commit:all', 'sentences:$coord-bg0:direct', 'sentences:$s3:fields']);
    expect(spec.components.sentences?.streams['$s3']?.fields).toEqual(['$tx', '$attempt', 'word', 'count']);
  });

  it('names the field that does not exist', () => {
    const t = new TridentTopology();
    const s = t.newStream('s', new FeederBatchSpout(['a']));
    expect(() => s.each(['b'], () => undefined, ['c'])).toThrow(InvalidTopologyError);
    expect(() => s.each(['a'], () => undefined, ['a'])).toThrow(/field 'a' is already in the stream/);
    expect(() => s.groupBy(['nope'])).toThrow(/no field 'nope'/);
    expect(() => t.merge(s, t.newStream('t', new FeederBatchSpout(['x', 'y'])))).toThrow(/different fields/);
  });

  it('refuses a topology without a stream and two streams with one id', () => {
    expect(() => new TridentTopology().build()).toThrow(/no stream/);
    const t = new TridentTopology();
    t.newStream('s', new FeederBatchSpout(['a']));
    expect(() => t.newStream('s', new FeederBatchSpout(['a']))).toThrow(/used twice/);
  });
});
