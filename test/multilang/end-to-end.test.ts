/**
 * Multilang components in real topologies, as real subprocesses: the Python library's examples,
 * a Go bolt built from multilang/go, Storm-style legacy components (storm.py-style json and
 * pystorm-style msgpack), in both serializers, with Squall's extension on and off.
 */
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BaseBasicBolt,
  LocalCluster,
  ShellBolt,
  ShellSpout,
  TopologyBuilder,
  type BasicOutputCollector,
  type OutputFieldsDeclarer,
  type Tuple,
} from 'squall';
import { MemoryLogger } from 'squall/internal';
import { completeTopology } from 'squall/testing';
import {
  CountingBolt,
  FIXTURES,
  PY_ENV,
  PY_EXAMPLES,
  ReplayingSpout,
  Tally,
  buildGo,
  removeTempDirs,
  tempDir,
  wordCounts,
} from './helpers.js';
import { Ledger } from '../helpers/ledger.js';
import { eventually } from '../helpers/wait.js';

afterAll(removeTempDirs);

const SENTENCES = [
  'the cow jumped over the moon',
  'an apple a day keeps the doctor away',
  'four score and seven years ago',
  'snow white and the seven dwarfs',
  'i am at two with nature',
];
const INPUT = Array.from({ length: 60 }, (_, i) => SENTENCES[i % SENTENCES.length] as string);

class WordCount extends BaseBasicBolt {
  private readonly counts = new Map<string, number>();
  execute(input: Tuple, collector: BasicOutputCollector): void {
    const word = input.getString(0);
    const n = (this.counts.get(word) ?? 0) + 1;
    this.counts.set(word, n);
    collector.emit([word, n]);
  }
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word', 'count']);
  }
}

class SplitSentence extends BaseBasicBolt {
  execute(input: Tuple, collector: BasicOutputCollector): void {
    for (const w of input.getString(0).split(' ')) collector.emit([w]);
  }
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word']);
  }
}

/** Final count per word: the highest count the count bolt emitted for it. */
function finalCounts(emitted: unknown[][]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [w, n] of emitted as [string, number][]) out.set(w, Math.max(out.get(w) ?? 0, n));
  return out;
}

/** sentences (mocked) -> split (a multilang bolt, 2 tasks) -> count (TS): counts must be exact. */
async function splitThroughBolt(split: ShellBolt, sentences = INPUT): Promise<void> {
  const b = new TopologyBuilder();
  b.setSpout('sentences', { open() {}, nextTuple() {}, declareOutputFields: (d: OutputFieldsDeclarer) => d.declare(['sentence']) } as never);
  b.setBolt('split', split, 2).shuffleGrouping('sentences');
  b.setBolt('count', WordCount, 2).fieldsGrouping('split', ['word']);
  const result = await completeTopology(b.createTopology({ 'topology.max.spout.pending': 20 }), {
    mockedSources: { sentences: sentences.map((s) => [s]) },
    timeoutMs: 30_000,
  });
  const expected = wordCounts(sentences);
  const words = (result.emitted.split?.default ?? []).map((v) => v[0] as string);
  expect(words.length).toBe([...expected.values()].reduce((a, b) => a + b, 0));
  expect(finalCounts(result.emitted.count?.default ?? [])).toEqual(expected);
  expect(result.summary.errors).toEqual([]);
  expect(result.summary.components.split?.acked).toBe(sentences.length);
  expect(result.summary.components.split?.failed).toBe(0);
}

describe.each(['msgpack', 'json'] as const)('multilang end to end (%s)', (serializer) => {
  describe.each([true, false])('extension %s', (extension) => {
    it('a Python split bolt (the library) in a TypeScript topology: exact counts', async () => {
      const split = new ShellBolt({
        command: ['python3', 'split_sentence_bolt.py'],
        cwd: PY_EXAMPLES,
        env: PY_ENV,
        outputFields: ['word'],
        serializer,
        extension,
        logger: new MemoryLogger(),
      });
      await splitThroughBolt(split);
      expect(split.stats.processes).toHaveLength(2);
      expect(split.stats.faults).toEqual([]);
    });

    it('a Python spout (the library) feeding TypeScript bolts: every sentence acked once, exact counts', async () => {
      const logger = new MemoryLogger();
      const spout = new ShellSpout({
        command: ['python3', 'sentence_spout.py'],
        cwd: PY_EXAMPLES,
        env: PY_ENV,
        outputFields: ['sentence'],
        serializer,
        extension,
        logger,
      });
      const tally = new Tally();
      const b = new TopologyBuilder();
      b.setSpout('sentences', spout);
      b.setBolt('split', SplitSentence, 2).shuffleGrouping('sentences');
      b.setBolt('count', new CountingBolt(tally), 2).fieldsGrouping('split', ['word']);
      const cluster = new LocalCluster({ logger });
      await cluster.submitTopology('py-spout', { 'topology.max.spout.pending': 3 }, b.createTopology());
      try {
        await eventually(() => (cluster.getTopologySummary('py-spout').components.sentences?.acked ?? 0) >= SENTENCES.length, 'five acked sentences');
        // Nothing more arrives: the spout is exhausted and acks are not repeated.
        await new Promise((r) => setTimeout(r, 300));
        const summary = cluster.getTopologySummary('py-spout');
        expect(summary.components.sentences?.acked).toBe(SENTENCES.length);
        expect(summary.components.sentences?.failed).toBe(0);
        expect(summary.errors).toEqual([]);
        expect(tally.counts).toEqual(wordCounts(SENTENCES));
      } finally {
        await cluster.shutdown();
      }
    });
  });
});

describe('a Go bolt (multilang/go)', () => {
  let dir: string;
  let binary: string;
  beforeAll(() => {
    dir = tempDir('go');
    // No Go toolchain is a failure, not a skip.
    binary = buildGo('./examples/splitsentence', dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['msgpack', true],
    ['json', true],
    ['msgpack', false],
  ] as const)('splits sentences in a TypeScript topology (%s, extension %s): exact counts', async (serializer, extension) => {
    const split = new ShellBolt({ command: [binary], outputFields: ['word'], serializer, extension, logger: new MemoryLogger() });
    await splitThroughBolt(split);
    expect(split.stats.faults).toEqual([]);
  });
});

describe('legacy Storm components run unmodified', () => {
  it('a storm.py-style json bolt (multilang/python/examples/legacy_storm_bolt.py)', async () => {
    // json, no extension (it ignores the offer), a task-id round trip after every emit.
    const split = new ShellBolt({
      command: ['python3', 'legacy_storm_bolt.py'],
      cwd: PY_EXAMPLES,
      outputFields: ['word'],
      serializer: 'json',
      logger: new MemoryLogger(),
    });
    await splitThroughBolt(split);
  });

  it('a pystorm-style msgpack bolt', async () => {
    const split = new ShellBolt({
      command: ['python3', path.join(FIXTURES, 'pystorm_style.py'), 'bolt'],
      outputFields: ['word'],
      serializer: 'msgpack',
      logger: new MemoryLogger(),
    });
    await splitThroughBolt(split);
  });

  it('a pystorm-style msgpack spout (lockstep, integer ids) feeding a pystorm-style bolt', async () => {
    const logger = new MemoryLogger();
    const tally = new Tally();
    const b = new TopologyBuilder();
    b.setSpout('sentences', new ShellSpout({ command: ['python3', path.join(FIXTURES, 'pystorm_style.py'), 'spout'], outputFields: ['sentence'], logger }));
    b.setBolt('split', new ShellBolt({ command: ['python3', path.join(FIXTURES, 'pystorm_style.py'), 'bolt'], outputFields: ['word'], logger }), 2).shuffleGrouping(
      'sentences',
    );
    b.setBolt('count', new CountingBolt(tally)).fieldsGrouping('split', ['word']);
    const cluster = new LocalCluster({ logger });
    await cluster.submitTopology('pystorm', { 'topology.multilang.serializer': 'msgpack' }, b.createTopology());
    try {
      await eventually(() => (cluster.getTopologySummary('pystorm').components.sentences?.acked ?? 0) >= SENTENCES.length, 'five acked sentences');
      await new Promise((r) => setTimeout(r, 200));
      const summary = cluster.getTopologySummary('pystorm');
      expect(summary.components.sentences?.acked).toBe(SENTENCES.length);
      expect(summary.errors).toEqual([]);
      expect(tally.counts).toEqual(wordCounts(SENTENCES));
    } finally {
      await cluster.shutdown();
    }
  });
});

describe('at-least-once through a multilang bolt', () => {
  it.each(['msgpack', 'json'] as const)('a Python bolt failing a tenth of its inputs (%s): every spout message acked exactly once', async (serializer) => {
    const ledger = new Ledger();
    const total = 500;
    const tally = new Tally();
    const b = new TopologyBuilder();
    b.setSpout('spout', new ReplayingSpout(total, ledger));
    b.setBolt('flaky', new ShellBolt({
      command: ['python3', path.join(FIXTURES, 'flaky_bolt.py')],
      env: { ...PY_ENV, FLAKY_FAIL_RATE: '0.1' },
      outputFields: ['id', 'word'],
      serializer,
      logger: new MemoryLogger(),
    }), 2).shuffleGrouping('spout');
    b.setBolt('count', new CountingBolt(tally), 2).fieldsGrouping('flaky', ['word']);
    const cluster = new LocalCluster();
    await cluster.submitTopology('alo', { 'topology.max.spout.pending': 100, 'topology.message.timeout.secs': 30 }, b.createTopology());
    try {
      await eventually(() => ledger.acked === total, `${total} distinct acks`, 30_000);
      await new Promise((r) => setTimeout(r, 200));
      for (let id = 0; id < total; id++) expect(ledger.acks.get(id), `acks of message ${id}`).toBe(1);
      expect(ledger.replays).toBeGreaterThan(total * 0.03);
      expect(ledger.emitted).toBe(total + ledger.replays);
      const summary = cluster.getTopologySummary('alo');
      expect(summary.components.flaky?.failed).toBe(ledger.replays);
      expect(summary.errors).toEqual([]);
    } finally {
      await cluster.shutdown();
    }
  });
});
