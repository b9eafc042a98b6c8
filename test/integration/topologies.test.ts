import { describe, expect, it } from 'vitest';
import {
  BaseBasicBolt,
  BaseRichBolt,
  BaseRichSpout,
  TopologyBuilder,
  type BasicOutputCollector,
  type OutputFieldsDeclarer,
  type Tuple,
} from 'squall';
import { CaptureBolt, FeederSpout, completeTopology } from 'squall/testing';
import wordCount from '../../topologies/word-count/topology.js';
import exclamation from '../../topologies/exclamation/topology.js';
import { eventually } from '../helpers/wait.js';
import { LocalCluster } from 'squall';

describe('completeTopology and the testing kit', () => {
  it('runs word count on mocked sentences and returns exact counts', async () => {
    const sentences = [['the cow jumped over the moon'], ['the moon'], ['a cow']];
    const { emitted } = await completeTopology(wordCount(), { mockedSources: { sentences } });
    expect(emitted.split?.default).toHaveLength(10);
    const finalCounts = new Map<string, number>();
    for (const [word, count] of emitted.count?.default ?? []) finalCounts.set(word as string, count as number);
    expect(Object.fromEntries(finalCounts)).toEqual({ the: 3, cow: 2, jumped: 1, over: 1, moon: 2, a: 1 });
  });

  it('runs the exclamation chain', async () => {
    const { emitted, summary } = await completeTopology(exclamation(), { mockedSources: { word: [['nathan'], ['mike']] } });
    expect(emitted.exclaim3?.default?.map((v) => v[0]).sort()).toEqual(['mike!!!!!!!!!', 'nathan!!!!!!!!!']);
    expect(summary.components.word?.acked).toBe(2);
  });

  it('feeds tuples and captures them per stream', async () => {
    const feeder = new FeederSpout(['n']);
    const capture = new CaptureBolt();
    class Parity extends BaseBasicBolt {
      execute(t: Tuple, c: BasicOutputCollector): void {
        const n = t.getNumber(0);
        c.emit(n % 2 === 0 ? 'even' : 'odd', [n]);
      }
      override declareOutputFields(d: OutputFieldsDeclarer): void {
        d.declareStream('even', ['n']);
        d.declareStream('odd', ['n']);
      }
    }
    const b = new TopologyBuilder();
    b.setSpout('feeder', feeder);
    b.setBolt('parity', Parity, 2).shuffleGrouping('feeder');
    b.setBolt('capture', capture).shuffleGrouping('parity', 'even').shuffleGrouping('parity', 'odd');
    for (let i = 0; i < 10; i++) feeder.feed([i], `m${i}`);
    await completeTopology(b.createTopology());
    expect(capture.captured.get('parity', 'even').map((v) => v[0]).sort()).toEqual([0, 2, 4, 6, 8]);
    expect(capture.captured.get('parity', 'odd')).toHaveLength(5);
    expect([...feeder.acked].sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  });
});

describe('direct streams and groupings in a running topology', () => {
  it('delivers emitDirect to the chosen task only', async () => {
    const seenBy = new Map<number, number[]>();
    class Router extends BaseRichBolt {
      execute(t: Tuple): void {
        const targets = this.context.getComponentTasks('worker');
        const n = t.getNumber(0);
        this.collector.emitDirect(targets[n % targets.length]!, 'work', t, [n]);
        this.collector.ack(t);
      }
      override declareOutputFields(d: OutputFieldsDeclarer): void {
        d.declareStream('work', ['n'], true);
      }
    }
    class Worker extends BaseRichBolt {
      execute(t: Tuple): void {
        const list = seenBy.get(this.context.thisTaskId) ?? [];
        list.push(t.getNumber(0));
        seenBy.set(this.context.thisTaskId, list);
        this.collector.ack(t);
      }
    }
    const feeder = new FeederSpout(['n']);
    const b = new TopologyBuilder();
    b.setSpout('feeder', feeder);
    b.setBolt('router', Router).shuffleGrouping('feeder');
    b.setBolt('worker', Worker, 3).directGrouping('router', 'work');
    for (let i = 0; i < 30; i++) feeder.feed([i], i);
    const { summary } = await completeTopology(b.createTopology());
    expect(summary.components.feeder?.acked).toBe(30);
    const tasks = [...seenBy.keys()].sort((a, b) => a - b);
    expect(tasks).toHaveLength(3);
    tasks.forEach((task, i) => expect(seenBy.get(task)!.every((n) => n % 3 === i)).toBe(true));
  });

  it('all grouping copies every tuple to every task; global sends all to one', async () => {
    const byTask = new Map<string, number>();
    class Count extends BaseRichBolt {
      execute(t: Tuple): void {
        const key = `${this.context.thisComponentId}:${this.context.thisTaskIndex}`;
        byTask.set(key, (byTask.get(key) ?? 0) + 1);
        this.collector.ack(t);
      }
    }
    const feeder = new FeederSpout(['n']);
    const b = new TopologyBuilder();
    b.setSpout('feeder', feeder);
    b.setBolt('everyone', Count, 3).allGrouping('feeder');
    b.setBolt('one', Count, 3).globalGrouping('feeder');
    for (let i = 0; i < 10; i++) feeder.feed([i], i);
    await completeTopology(b.createTopology());
    expect(byTask.get('everyone:0')).toBe(10);
    expect(byTask.get('everyone:1')).toBe(10);
    expect(byTask.get('everyone:2')).toBe(10);
    expect(byTask.get('one:0')).toBe(10);
    expect(byTask.has('one:1')).toBe(false);
  });

  it('runs the word-count example with every sentence acked', async () => {
    const cluster = new LocalCluster();
    await cluster.submitTopology('wc', {}, wordCount());
    await eventually(() => (cluster.getTopologySummary('wc').components.sentences?.acked ?? 0) > 1000, 'acked sentences');
    const drained = await cluster.killTopology('wc', { waitMs: 5000 });
    expect(drained).toBe(true);
  });
});

describe('components given as instances', () => {
  it('gives every task its own copy of plain data', async () => {
    class Collecting extends BaseRichBolt {
      readonly seen: number[] = [];
      execute(t: Tuple): void {
        this.seen.push(t.getNumber(0));
        (this.constructor as unknown as { sizes: number[] }).sizes.push(this.seen.length);
        this.collector.ack(t);
      }
      static sizes: number[] = [];
    }
    const feeder = new FeederSpout(['n']);
    const b = new TopologyBuilder();
    b.setSpout('feeder', feeder);
    b.setBolt('c', new Collecting(), 2).shuffleGrouping('feeder');
    for (let i = 0; i < 10; i++) feeder.feed([i], i);
    await completeTopology(b.createTopology());
    // Shuffle splits 10 tuples 5/5: each copy's list grows to 5, never to 10.
    expect(Math.max(...Collecting.sizes)).toBe(5);
  });

  it('accepts a factory function', async () => {
    let made = 0;
    const b = new TopologyBuilder();
    b.setSpout('s', () => {
      made++;
      return new (class extends BaseRichSpout {
        nextTuple(): void {}
      })();
    }, 3);
    const cluster = new LocalCluster();
    await cluster.submitTopology('f', {}, b.createTopology());
    await cluster.shutdown();
    // One probe at createTopology, one per task.
    expect(made).toBe(4);
  });
});
