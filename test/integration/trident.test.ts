import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FailedError,
  FeederBatchSpout,
  FixedBatchSpout,
  LocalCluster,
  RedisMapState,
  TridentCount,
  TridentTopology,
  type Config,
  type MapState,
  type State,
  type StateFactory,
  type TridentCollector,
  type TridentSpout,
  type TridentTuple,
  type Value,
} from 'squall';
import { decodeRedisValue, tridentStats } from '../../src/trident/index.js';
import { startNats, startRedis, type RunningServer } from '../helpers/servers.js';
import { eventuallyAsync, sleep } from '../helpers/wait.js';
import { redisCounts } from '../helpers/trident.js';

const WORDS = ['apple', 'banana', 'cherry', 'date', 'elder', 'fig', 'grape', 'honeydew', 'kiwi', 'lemon', 'mango', 'nut'];

/** `n` sentences of 3 to 6 words, the same for the same seed. */
function sentences(n: number, seed: number): string[] {
  let x = seed;
  const next = (): number => (x = (x * 1103515245 + 12345) % 2147483648);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 3 + (next() % 4);
    out.push(Array.from({ length: len }, () => WORDS[next() % WORDS.length]).join(' '));
  }
  return out;
}

function countWords(list: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of list) for (const w of s.split(' ')) out[w] = (out[w] ?? 0) + 1;
  return out;
}

function split(tuple: TridentTuple, collector: TridentCollector): void {
  for (const w of tuple.getString(0).split(' ')) collector.emit([w]);
}

/** Polls `check` every 50 ms until it holds (a minute by default). */
const until = (check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> => eventuallyAsync(check, what, timeoutMs, 50);

/** A state whose writes fail now and then after reaching Redis, as when a reply is lost. */
function failingAfterWrite(inner: StateFactory, fail: () => boolean): StateFactory {
  return {
    ...(inner.stateType === undefined ? {} : { stateType: inner.stateType }),
    ...(inner.name === undefined ? {} : { name: inner.name }),
    async makeState(context) {
      const s = (await inner.makeState(context)) as MapState<Value>;
      const wrapped: MapState<Value> = {
        beginCommit: (t) => s.beginCommit(t),
        commit: (t) => s.commit(t),
        close: () => s.close?.(),
        multiGet: (k) => s.multiGet(k),
        multiPut: (k, v) => s.multiPut(k, v),
        async multiUpdate(keys, updaters) {
          const out = await s.multiUpdate(keys, updaters);
          if (fail()) throw new Error('injected failure after the write reached Redis');
          return out;
        },
      };
      return wrapped;
    },
  };
}

const FAST: Config = {
  'topology.max.spout.pending': 3,
  'topology.trident.batch.emit.interval.millis': 2,
  'topology.message.timeout.secs': 5,
};

let redis: RunningServer;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

/** Waits for the counts to be exactly right, then for more commits, and checks they still are. */
async function expectExactCounts(url: string, name: string, expected: Record<string, number>): Promise<void> {
  let last: Record<string, number> = {};
  await until(async () => {
    last = await redisCounts(url, name, 'counts');
    return JSON.stringify(Object.entries(last).sort()) === JSON.stringify(Object.entries(expected).sort());
  }, `the counts in Redis to equal the true counts (last read: ${JSON.stringify(last)})`).catch((err: unknown) => {
    expect(last).toEqual(expected);
    throw err;
  });
  const committed = tridentStats(name).committed;
  await until(() => tridentStats(name).committed >= committed + 5, 'five more commits');
  expect(await redisCounts(url, name, 'counts')).toEqual(expected);
}

describe('Trident exactly-once with Redis state', () => {
  for (const type of ['transactional', 'opaque'] as const) {
    it(`counts every word exactly once under random batch failures (${type} spout and state)`, async () => {
      const name = `exactly-once-${type}`;
      const input = sentences(1200, type === 'opaque' ? 7 : 3);
      const spout = new FeederBatchSpout(['sentence'], { type, maxBatchSize: 40 });
      // Transactional: all fed up front. Opaque: fed while batches run, so replays see more tuples.
      if (type === 'transactional') spout.feed(input.map((s) => [s]));
      const inner = type === 'opaque' ? RedisMapState.opaque({ url: redis.url, name: 'counts' }) : RedisMapState.transactional({ url: redis.url, name: 'counts' });
      const topology = new TridentTopology();
      topology
        .newStream('sentences', spout)
        .parallelismHint(2)
        .each(['sentence'], split, ['word'])
        .filter(['word'], () => {
          if (Math.random() < 0.002) throw new FailedError('injected failure of one tuple');
          return true;
        })
        .groupBy(['word'])
        .persistentAggregate(failingAfterWrite(inner, () => Math.random() < 0.15), new TridentCount(), ['count'])
        .parallelismHint(3);
      const cluster = new LocalCluster();
      await cluster.submitTopology(name, FAST, topology.build());
      try {
        if (type === 'opaque') {
          for (let i = 0; i < input.length; i += 100) {
            spout.feed(input.slice(i, i + 100).map((s) => [s]));
            await sleep(20);
          }
        }
        await expectExactCounts(redis.url, name, countWords(input));
        expect(tridentStats(name).failedAttempts).toBeGreaterThan(0);
      } finally {
        await cluster.shutdown();
      }
    });
  }

  it('a replayed opaque batch with different tuples replaces its first attempt (Storm\'s documented example)', async () => {
    const name = 'opaque-replay';
    // Batch 1: man, man, dog. Batch 2 first attempt: man, man, dog (its write lands, then fails);
    // batch 2 replayed with other tuples: man, dog, dog. Every later batch is empty.
    const spout: TridentSpout = {
      type: 'opaque',
      getOutputFields: () => ['word'],
      getCoordinator: () => ({ initializeTransaction: (txid) => txid }),
      getEmitter: () => ({
        emitBatch: (tx, _meta, collector) => {
          const words = tx.txid === 1 || (tx.txid === 2 && tx.attempt === 0) ? ['man', 'man', 'dog'] : tx.txid === 2 ? ['man', 'dog', 'dog'] : [];
          for (const w of words) collector.emit([w]);
        },
      }),
    };
    let failedOnce = false;
    const state = RedisMapState.opaque({ url: redis.url, name: 'counts' });
    const flaky: StateFactory = {
      stateType: 'opaque',
      name: 'counts',
      async makeState(context) {
        const s = (await state.makeState(context)) as MapState<Value>;
        let txid = 0;
        return {
          beginCommit: (t: number) => ((txid = t), s.beginCommit(t)),
          commit: (t: number) => s.commit(t),
          close: () => s.close?.(),
          multiGet: (k) => s.multiGet(k),
          multiPut: (k, v) => s.multiPut(k, v),
          async multiUpdate(keys, updaters) {
            const out = await s.multiUpdate(keys, updaters);
            if (txid === 2 && !failedOnce) {
              failedOnce = true;
              throw new Error('injected: the reply to the write of batch 2 was lost');
            }
            return out;
          },
        } satisfies MapState<Value>;
      },
    };
    const topology = new TridentTopology();
    topology.newStream('words', spout).groupBy(['word']).persistentAggregate(flaky, new TridentCount(), ['count']);
    const cluster = new LocalCluster();
    await cluster.submitTopology(name, FAST, topology.build());
    try {
      await until(() => failedOnce && tridentStats(name).committed >= 4, 'batch 2 to fail once and commit');
      const r = new Redis(redis.url);
      const man = decodeRedisValue((await r.getBuffer(`squall:${name}:counts:["man"]`)) as Buffer);
      const dog = decodeRedisValue((await r.getBuffer(`squall:${name}:counts:["dog"]`)) as Buffer);
      r.disconnect();
      // [txid, current, previous]: the replay of txid 2 was applied to the value from before txid 2
      // (man 2 + 1, dog 1 + 2), not to what the failed attempt wrote (man 4, dog 2).
      expect(man).toEqual([2, 3, 2]);
      expect(dog).toEqual([2, 3, 1]);
      expect(await redisCounts(redis.url, name, 'counts')).toEqual({ man: 3, dog: 3 });
    } finally {
      await cluster.shutdown();
    }
  });

  it('commits strictly in txid order while batches are pipelined', async () => {
    const name = 'commit-order';
    const events: { kind: 'emit' | 'begin' | 'end'; txid: number; partition: number }[] = [];
    const inner = new FixedBatchSpout(['sentence'], 20, ...sentences(50, 11).map((s) => [s])).setCycle(true);
    const spout: TridentSpout = {
      type: 'transactional',
      getOutputFields: () => inner.getOutputFields(),
      getCoordinator: () => inner.getCoordinator(),
      getEmitter: (c) => {
        const e = inner.getEmitter(c);
        return {
          emitBatch: (tx, meta, collector) => {
            events.push({ kind: 'emit', txid: tx.txid, partition: c.partitionIndex });
            return e.emitBatch(tx, meta, collector);
          },
        };
      },
    };
    const recording: StateFactory = {
      stateType: 'transactional',
      makeState: (context) =>
        ({
          beginCommit: (txid: number) => void events.push({ kind: 'begin', txid, partition: context.partitionIndex }),
          commit: (txid: number) => void events.push({ kind: 'end', txid, partition: context.partitionIndex }),
        }) satisfies State,
    };
    const topology = new TridentTopology();
    topology
      .newStream('sentences', spout)
      .each(['sentence'], split, ['word'])
      .partitionBy(['word'])
      .partitionPersist(recording, ['word'], { updateState: () => sleep(5 + Math.random() * 10) })
      .parallelismHint(3);
    const cluster = new LocalCluster();
    await cluster.submitTopology(name, { ...FAST, 'topology.max.spout.pending': 5, 'topology.trident.batch.emit.interval.millis': 1 }, topology.build());
    await until(() => tridentStats(name).committed >= 30, '30 commits');
    await cluster.shutdown();

    const begins = events.filter((e) => e.kind === 'begin');
    expect(begins.length).toBeGreaterThanOrEqual(30);
    // No commit starts before every commit of an earlier txid has ended.
    const open = new Map<number, number>();
    for (const e of events) {
      if (e.kind === 'begin') {
        for (const [tx, n] of open) if (tx < e.txid) expect(n, `txid ${tx} still committing when ${e.txid} began`).toBe(0);
        open.set(e.txid, (open.get(e.txid) ?? 0) + 1);
      } else if (e.kind === 'end') {
        open.set(e.txid, (open.get(e.txid) ?? 0) - 1);
      }
    }
    // Per partition, txids commit in increasing order, each once.
    for (let p = 0; p < 3; p++) {
      const txids = begins.filter((e) => e.partition === p).map((e) => e.txid);
      expect(txids).toEqual([...txids].sort((a, b) => a - b));
      expect(new Set(txids).size).toBe(txids.length);
    }
    // Pipelining: some batch was emitted before the commit of the batch before it had ended.
    const lastEnd = new Map<number, number>();
    events.forEach((e, i) => e.kind === 'end' && lastEnd.set(e.txid, i));
    const pipelined = events.some((e, i) => e.kind === 'emit' && (lastEnd.get(e.txid - 1) ?? -1) > i);
    expect(pipelined).toBe(true);
  });

  it('resumes after the coordinator restarts, without double counting (metadata in NATS)', async () => {
    const nats = await startNats();
    const name = 'coordinator-restart';
    const input = sentences(800, 5);
    const emitted: { run: number; txid: number }[] = [];
    let run = 1;
    const build = () => {
      const inner = new FixedBatchSpout(['sentence'], 20, ...input.map((s) => [s]));
      const spout: TridentSpout = {
        type: 'transactional',
        getOutputFields: () => inner.getOutputFields(),
        getCoordinator: () => inner.getCoordinator(),
        getEmitter: (c) => {
          const e = inner.getEmitter(c);
          return {
            emitBatch: (tx, meta, collector) => {
              emitted.push({ run, txid: tx.txid });
              return e.emitBatch(tx, meta, collector);
            },
          };
        },
      };
      const topology = new TridentTopology();
      topology
        .newStream('sentences', spout)
        .each(['sentence'], split, ['word'])
        .groupBy(['word'])
        .persistentAggregate(slowSecondPartition(RedisMapState.transactional({ url: redis.url, name: 'counts' })), new TridentCount(), ['count'])
        .parallelismHint(2);
      return topology.build();
    };
    // Partition 1 writes 100 ms after partition 0, so the kill can land inside a commit.
    const written = [0, 0];
    let writing1 = 0;
    const slowSecondPartition = (inner: StateFactory): StateFactory => ({
      stateType: 'transactional',
      name: 'counts',
      async makeState(context) {
        const s = (await inner.makeState(context)) as MapState<Value>;
        let txid = 0;
        return {
          beginCommit: (t: number) => ((txid = t), s.beginCommit(t)),
          commit: (t: number) => s.commit(t),
          close: () => s.close?.(),
          multiGet: (k) => s.multiGet(k),
          multiPut: (k, v) => s.multiPut(k, v),
          async multiUpdate(keys, updaters) {
            if (context.partitionIndex === 1) {
              writing1 = txid;
              await sleep(100);
            }
            const out = await s.multiUpdate(keys, updaters);
            written[context.partitionIndex] = txid;
            if (context.partitionIndex === 1) writing1 = 0;
            return out;
          },
        } satisfies MapState<Value>;
      },
    });
    const config: Config = {
      ...FAST,
      'topology.trident.batch.emit.interval.millis': 20,
      'topology.trident.metadata.provider': 'nats',
      'topology.trident.metadata.provider.config': { servers: nats.url, bucket: 'restart_test' },
    };
    try {
      const first = new LocalCluster();
      await first.submitTopology(name, config, build());
      await until(() => tridentStats(name).committed >= 8, 'eight commits');
      await until(() => writing1 !== 0 && written[0] === writing1, 'a commit that partition 0 has written and partition 1 not yet', 10_000);
      // Killed inside a commit, without draining: the batch is written by one partition, not
      // acked; the new coordinator replays its txid, and the partition that wrote it skips it.
      await first.killTopology(name, { waitMs: 0 });
      const committedBefore = tridentStats(name).committed;
      run = 2;
      const second = new LocalCluster();
      await second.submitTopology(name, config, build());
      try {
        await expectExactCounts(redis.url, name, countWords(input));
      } finally {
        await second.shutdown();
      }
      const firstOfRun2 = emitted.find((e) => e.run === 2)?.txid ?? 0;
      // The new coordinator went on from the stored txid instead of starting over at 1.
      expect(firstOfRun2).toBeGreaterThan(1);
      expect(firstOfRun2).toBeLessThanOrEqual(committedBefore + 1);
    } finally {
      await nats.stop();
    }
  });

  it('fails and retries batches while Redis is down, and counts exactly once when it is back', async () => {
    const server = await startRedis({ appendOnly: true });
    let current = server;
    const name = 'redis-down';
    const input = sentences(1500, 9);
    const spout = new FeederBatchSpout(['sentence'], { maxBatchSize: 30 });
    spout.feed(input.map((s) => [s]));
    const topology = new TridentTopology();
    topology
      .newStream('sentences', spout)
      .each(['sentence'], split, ['word'])
      .groupBy(['word'])
      .persistentAggregate(RedisMapState.transactional({ url: server.url, name: 'counts' }), new TridentCount(), ['count'])
      .parallelismHint(2);
    const cluster = new LocalCluster();
    await cluster.submitTopology(name, { ...FAST, 'topology.trident.batch.emit.interval.millis': 20 }, topology.build());
    try {
      await until(() => tridentStats(name).committed >= 5, 'five commits');
      const failedBefore = tridentStats(name).failedAttempts;
      await server.stop({ keepDir: true });
      await until(() => tridentStats(name).failedAttempts >= failedBefore + 3, 'batches to fail while Redis is down');
      const committedWhileDown = tridentStats(name).committed;
      await sleep(500);
      expect(tridentStats(name).committed).toBe(committedWhileDown);
      current = await startRedis({ port: server.port, dir: server.dir, appendOnly: true });
      await expectExactCounts(current.url, name, countWords(input));
    } finally {
      await cluster.shutdown();
      await current.stop();
    }
  });
});
