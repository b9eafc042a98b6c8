import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  FeederBatchSpout,
  LocalCluster,
  MapGet,
  MemoryMapState,
  Sum,
  TridentCount,
  TridentTopology,
  type Aggregator,
  type Config,
  type MapState,
  type ReadOnlyMapState,
  type StateFactory,
  type TridentCollector,
  type TridentFunction,
  type TridentOperationContext,
  type TridentTuple,
  type Value,
} from 'squall';
import { MemoryBackingMap, tridentStats } from '../../src/trident/index.js';
import { tridentWordCount } from '../../topologies/trident-word-count/topology.js';
import { sleep } from '../helpers/wait.js';

const FAST: Config = { 'topology.trident.batch.emit.interval.millis': 2, 'topology.max.spout.pending': 2 };

let seq = 0;

async function waitCommits(name: string, batches: number): Promise<void> {
  const target = tridentStats(name).committed + batches;
  const deadline = Date.now() + 20_000;
  while (tridentStats(name).committed < target) {
    if (Date.now() > deadline) throw new Error(`${name}: batches did not commit`);
    await sleep(10);
  }
}

/** Runs the topology: `during` feeds it and waits for commits; then checks no error was reported. */
async function run(topology: TridentTopology, during: (name: string) => Promise<void> | void): Promise<void> {
  const name = `trident-api-${process.pid}-${seq++}`;
  const cluster = new LocalCluster();
  await cluster.submitTopology(name, FAST, topology.build());
  try {
    await during(name);
    await waitCommits(name, 3);
    const errors = cluster.getTopologySummary(name).errors;
    expect(errors, JSON.stringify(errors)).toEqual([]);
  } finally {
    await cluster.shutdown();
  }
}

function sorted<T>(list: T[]): T[] {
  return [...list].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

describe('Trident stream operations', () => {
  it('each, filter, map, flatMap, project and peek transform every tuple once', async () => {
    const spout = new FeederBatchSpout(['n']);
    const seen: Value[][] = [];
    const topology = new TridentTopology();
    topology
      .newStream('numbers', spout)
      .map((t) => [t.getNumber(0) * 10], ['tens'])
      .flatMap((t) => [[t.getNumber(0)], [t.getNumber(0) + 1]])
      .filter((t) => t.getNumber(0) % 20 !== 0)
      .each(['tens'], (t, c) => c.emit([`#${t.getNumber(0)}`, t.getNumber(0) > 25]), ['label', 'big'])
      .each(['big'], (t: TridentTuple) => t.getBoolean(0))
      .project(['label'])
      .peek((t) => void seen.push([...t.values]));
    await run(topology, () => spout.feed([[1], [2], [3], [4]]));
    // 10, 11, 20, 21, 30, 31, 40, 41 -> not multiples of 20 -> above 25.
    expect(sorted(seen)).toEqual(sorted([['#30'], ['#31'], ['#41']]));
  });

  it('aggregates per batch: partitionAggregate, aggregate and groupBy().aggregate', async () => {
    const spout = new FeederBatchSpout(['word', 'n'], { maxBatchSize: 1000 });
    const input: [string, number][] = Array.from({ length: 60 }, (_, i) => [['a', 'b', 'c'][i % 3] as string, i]);
    /** Emits the largest n of its partition's batch. */
    class Max implements Aggregator<{ max: number }> {
      init(): { max: number } {
        return { max: -Infinity };
      }
      aggregate(s: { max: number }, t: TridentTuple): void {
        s.max = Math.max(s.max, t.getNumber(0));
      }
      complete(s: { max: number }, c: TridentCollector): void {
        if (s.max > -Infinity) c.emit([s.max]);
      }
    }
    const maxes: number[] = [];
    const sums: number[] = [];
    const perWord = new Map<string, number>();
    const topology = new TridentTopology();
    const stream = topology.newStream('pairs', spout).parallelismHint(2);
    stream.partitionAggregate(['n'], new Max(), ['max']).peek((t) => void maxes.push(t.getNumber(0)));
    stream.aggregate(['n'], new Sum(), ['sum']).peek((t) => void sums.push(t.getNumber(0)));
    stream
      .groupBy(['word'])
      .aggregate(new TridentCount(), ['count'])
      .parallelismHint(2)
      .peek((t) => void perWord.set(t.getString(0), (perWord.get(t.getString(0)) ?? 0) + t.getNumber(1)));
    await run(topology, () => spout.feed(input));
    // Two emitter partitions: the batch's largest n is the larger of the two partitions' maxima.
    expect(Math.max(...maxes)).toBe(59);
    expect(maxes.filter((m) => m >= 0).length).toBeGreaterThanOrEqual(2);
    // Sums are per batch (empty batches sum to 0): together they are the sum of everything.
    expect(sums.reduce((a, b) => a + b, 0)).toBe(input.reduce((a, [, n]) => a + n, 0));
    expect(Object.fromEntries(perWord)).toEqual({ a: 20, b: 20, c: 20 });
  });

  it('merges streams and repartitions them: shuffle, partitionBy, broadcast, global', async () => {
    const left = new FeederBatchSpout(['x']);
    const right = new FeederBatchSpout(['y']);
    /** Appends the index of the task it runs in. */
    class Where implements TridentFunction {
      private index = -1;
      prepare(_config: unknown, context: TridentOperationContext): void {
        this.index = context.partitionIndex;
      }
      execute(_t: TridentTuple, c: TridentCollector): void {
        c.emit([this.index]);
      }
    }
    const merged: Value[] = [];
    const broadcast: [Value, number][] = [];
    const global: number[] = [];
    const byKey = new Map<Value, Set<number>>();
    const topology = new TridentTopology();
    const all = topology.merge(topology.newStream('left', left), topology.newStream('right', right));
    all.peek((t) => void merged.push(t.getValue(0)));
    all.broadcast().each(['x'], new Where(), ['task']).parallelismHint(3).peek((t) => void broadcast.push([t.getValue(0), t.getNumber(1)]));
    all.shuffle().parallelismHint(2).global().each(['x'], new Where(), ['task']).parallelismHint(3).peek((t) => void global.push(t.getNumber(1)));
    all
      .partitionBy(['x'])
      .each(['x'], new Where(), ['task'])
      .parallelismHint(3)
      .peek((t) => {
        const s = byKey.get(t.getValue(0)) ?? new Set<number>();
        s.add(t.getNumber(1));
        byKey.set(t.getValue(0), s);
      });
    await run(topology, () => {
      left.feed([['a'], ['b'], ['c']]);
      right.feed([['d'], ['e']]);
    });
    expect(sorted(merged)).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Broadcast: every one of the three tasks saw every tuple.
    expect(broadcast).toHaveLength(15);
    expect(new Set(broadcast.map(([, task]) => task))).toEqual(new Set([0, 1, 2]));
    // Global: one task of three got everything.
    expect(global).toHaveLength(5);
    expect(new Set(global).size).toBe(1);
    // partitionBy: each value always in one task.
    expect([...byKey.values()].every((tasks) => tasks.size === 1)).toBe(true);
  });

  it('keeps persistent aggregates in memory state and reads them back with stateQuery', async () => {
    const words = new FeederBatchSpout(['word']);
    const questions = new FeederBatchSpout(['word']);
    const answers = new Map<string, Value>();
    const newValues: [string, number][] = [];
    const totals: number[] = [];
    const lengths = new Map<string, Value>();
    /** A lookup table: the length of a word (a static state, read with MapGet). */
    const lookup: StateFactory = {
      makeState: () =>
        ({
          beginCommit: () => undefined,
          commit: () => undefined,
          multiGet: (keys) => Promise.resolve(keys.map((k) => (k[0] as string).length)),
        }) satisfies ReadOnlyMapState<Value>,
    };
    const topology = new TridentTopology();
    const counts = topology
      .newStream('words', words)
      .groupBy(['word'])
      .persistentAggregate(MemoryMapState.transactional({ name: 'counts' }), new TridentCount(), ['count'])
      .parallelismHint(2);
    counts.newValuesStream().peek((t) => void newValues.push([t.getString(0), t.getNumber(1)]));
    // A reducer aggregator into one global key: the total number of words, as a sum of 1s.
    topology
      .newStream('all-words', words)
      .persistentAggregate(MemoryMapState.opaque({ name: 'total' }), { init: () => 0, reduce: (acc: Value) => (acc as number) + 1 }, ['total'])
      .newValuesStream()
      .peek((t) => void totals.push(t.getNumber(0)));
    const qs = topology.newStream('questions', questions);
    qs.groupBy(['word'])
      .stateQuery(counts, ['word'], new MapGet(), ['count'])
      .peek((t) => void answers.set(t.getString(0), t.getValueByField('count')));
    qs.stateQuery(topology.newStaticState(lookup), ['word'], new MapGet(), ['length']).peek((t) => void lengths.set(t.getString(0), t.getValue(1)));
    await run(topology, async (name) => {
      words.feed([['cat'], ['dog'], ['cat'], ['emu'], ['cat']]);
      await waitCommits(name, 3);
      // Asked after the words committed: answered from the state.
      questions.feed([['cat'], ['dog'], ['yak']]);
    });
    expect(sorted(newValues)).toEqual(sorted([['cat', 3], ['dog', 1], ['emu', 1]]));
    expect(Math.max(...totals)).toBe(5);
    expect(Object.fromEntries(answers)).toEqual({ cat: 3, dog: 1, yak: null });
    expect(Object.fromEntries(lengths)).toEqual({ cat: 3, dog: 3, yak: 3 });
  });
});

describe('a state written in the spout\'s own section', () => {
  it('commits each batch once, in the commit phase', async () => {
    const spout = new FeederBatchSpout(['word'], { maxBatchSize: 2 });
    const topology = new TridentTopology();
    topology.newStream('words', spout).partitionPersist(
      MemoryMapState.transactional({ name: 'seen' }),
      ['word'],
      {
        async updateState(state: MapState<Value>, tuples: readonly TridentTuple[]) {
          await state.multiUpdate(
            tuples.map((t) => [t.getString(0)]),
            tuples.map(() => (old: Value | null) => ((old as number | null) ?? 0) + 1),
          );
        },
      },
    );
    let name = '';
    await run(topology, async (n) => {
      name = n;
      spout.feed([['x'], ['y'], ['z'], ['w'], ['v']]);
      await waitCommits(n, 4);
    });
    const values = await new MemoryBackingMap(`${name}:seen`).multiGet([['x'], ['y'], ['z'], ['w'], ['v']]);
    // Transactional values [txid, count]: three batches of at most two words, each word once.
    expect(values.map((v) => (v as [number, number])[1])).toEqual([1, 1, 1, 1, 1]);
    const first = (values[0] as [number, number])[0];
    expect(values.map((v) => (v as [number, number])[0])).toEqual([first, first, first + 1, first + 1, first + 2]);
  });
});

describe('the trident-word-count example', () => {
  it('counts every sentence of every committed batch exactly once', async () => {
    const name = 'trident-word-count-example';
    const cluster = new LocalCluster();
    await cluster.submitTopology(name, FAST, tridentWordCount({ batchSize: 10 }));
    await waitCommits(name, 10);
    await cluster.killTopology(name);
    // Opaque values [txid, count, previous]. 'the' is in every batch of 10 sentences, so its
    // txid is the last committed batch, and its count that of the first txid * 10 sentences.
    const [stored] = await new MemoryBackingMap(`${name}:counts`).multiGet([['the']]);
    const [txid, count] = stored as [number, number, number];
    const sentences = ['the cow jumped over the moon', 'an apple a day keeps the doctor away', 'four score and seven years ago', 'snow white and the seven dwarfs', 'i am at two with nature'];
    let expected = 0;
    for (let i = 0; i < txid * 10; i++) expected += (sentences[i % 5] as string).split(' ').filter((w) => w === 'the').length;
    expect(txid).toBeGreaterThanOrEqual(10);
    expect(count).toBe(expected);
  });

  it('runs with squall local', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(root, 'dist/cli/main.js'), 'local', 'topologies/trident-word-count/topology.ts', '--duration', '3', '--json'],
        { cwd: root, timeout: 60_000, env: { ...process.env, SQUALL_REDIS_URL: '', SQUALL_REDIS: '' } },
        (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
      );
    });
    expect(r.code, r.stderr).toBe(0);
    // The query stream prints the counts it read back from the state.
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('counts: '));
    expect(lines.length).toBeGreaterThan(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { components: Record<string, { failed: number; acked: number }> };
    expect(summary.components['$mastercoord-bg0']?.acked).toBeGreaterThan(0);
    expect(summary.components['$mastercoord-bg0']?.failed).toBe(0);
  });
});
