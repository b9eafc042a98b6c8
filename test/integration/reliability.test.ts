import { describe, expect, it } from 'vitest';
import {
  BaseBasicBolt,
  BaseRichBolt,
  BaseRichSpout,
  FailedError,
  LocalCluster,
  TopologyBuilder,
  type BasicOutputCollector,
  type OutputFieldsDeclarer,
  type Tuple,
} from 'squall';
import { Ledger } from '../helpers/ledger.js';
import { eventually, sleep } from '../helpers/wait.js';

/** Emits ids 0..total-1 once each, replays what fails, and records every ack and fail. */

class ReplayingSpout extends BaseRichSpout {
  private next = 0;
  private readonly replay: number[] = [];
  private pending = 0;

  constructor(
    private readonly total: number,
    private readonly ledger: Ledger,
  ) {
    super();
  }

  nextTuple(): void {
    const id = this.replay.shift() ?? (this.next < this.total ? this.next++ : undefined);
    if (id === undefined) return;
    this.ledger.emitted++;
    this.pending++;
    this.ledger.maxPendingSeen = Math.max(this.ledger.maxPendingSeen, this.collector.getPendingCount() + 1);
    this.collector.emit([id, `sentence number ${id} with some words`], id);
  }

  override ack(id: unknown): void {
    this.pending--;
    this.ledger.ack(id);
  }

  override fail(id: unknown): void {
    this.pending--;
    this.ledger.fail(id);
    this.replay.push(id as number);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['id', 'sentence']);
  }
}

class Split extends BaseBasicBolt {
  execute(t: Tuple, c: BasicOutputCollector): void {
    for (const w of t.getStringByField('sentence').split(' ')) c.emit([t.getNumberByField('id'), w]);
  }
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['id', 'word']);
  }
}

/** Fails a tenth of its inputs at random. */
class Flaky extends BaseBasicBolt {
  execute(): void {
    if (Math.random() < 0.1) throw new FailedError('random failure');
  }
}

describe('at-least-once processing', () => {
  it('acks every spout message exactly once when a bolt fails 10% of its inputs', async () => {
    const ledger = new Ledger();
    const total = 2000;
    const b = new TopologyBuilder();
    b.setSpout('spout', new ReplayingSpout(total, ledger), 1);
    b.setBolt('split', Split, 2).shuffleGrouping('spout');
    b.setBolt('flaky', Flaky, 3).fieldsGrouping('split', ['word']);
    const cluster = new LocalCluster();
    await cluster.submitTopology('alo', { 'topology.max.spout.pending': 200, 'topology.acker.executors': 2 }, b.createTopology());
    await eventually(() => ledger.acks.size === total, `${total} distinct acks`, 30_000);
    await sleep(50);
    const summary = cluster.getTopologySummary('alo');
    await cluster.shutdown();

    for (let id = 0; id < total; id++) expect(ledger.acks.get(id), `acks of message ${id}`).toBe(1);
    const replays = ledger.replays;
    // With 8 words per sentence each failing with p=0.1, most trees fail at least once.
    expect(replays).toBeGreaterThan(total / 2);
    expect(ledger.emitted).toBe(total + replays);
    expect(summary.components.spout?.acked).toBe(total);
    expect(summary.components.spout?.failed).toBe(replays);
    expect(summary.components.flaky?.failed).toBeGreaterThan(0);
  });

  it('times out a tree that is never acked and replays it', async () => {
    const ledger = new Ledger();
    let swallowed = 0;
    class SwallowFirst extends BaseRichBolt {
      execute(t: Tuple): void {
        // The first delivery of message 0 is neither acked nor failed: only the timeout saves it.
        if (t.getNumber(0) === 0 && swallowed++ === 0) return;
        this.collector.ack(t);
      }
    }
    const b = new TopologyBuilder();
    b.setSpout('spout', new ReplayingSpout(3, ledger));
    b.setBolt('sink', SwallowFirst).shuffleGrouping('spout');
    const cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology('timeout', { 'topology.message.timeout.secs': 30 }, b.createTopology());
    await cluster.advanceTime(0);
    expect([...ledger.acks.keys()].sort()).toEqual([1, 2]);
    // Pending trees rotate through two buckets: a tree times out between T and 2T after its emit.
    await cluster.advanceTime(59_999);
    expect(ledger.fails.size).toBe(0);
    await cluster.advanceTime(1);
    const summary = cluster.getTopologySummary('timeout');
    await cluster.shutdown();
    expect(ledger.fails.get(0)).toBe(1);
    expect(summary.components.spout?.timed_out).toBe(1);
    expect(ledger.acks.get(0)).toBe(1);
  });

  it('times out executions whose promise never settles: slots freed, inputs replayed, each reported', async () => {
    const ledger = new Ledger();
    const hung = new Set<number>();
    class Hangs extends BaseRichBolt {
      execute(t: Tuple): Promise<void> {
        const id = t.getNumber(0);
        // The first delivery of every even id never settles; the replay is acked.
        if (id % 2 === 0 && !hung.has(id)) {
          hung.add(id);
          return new Promise<void>(() => undefined);
        }
        this.collector.ack(t);
        return Promise.resolve();
      }
    }
    const b = new TopologyBuilder();
    b.setSpout('spout', new ReplayingSpout(40, ledger));
    b.setBolt('hangs', Hangs).shuffleGrouping('spout');
    const cluster = new LocalCluster();
    // Four open executions fill the bolt: without the timeout it would never take input again.
    await cluster.submitTopology('hang', { 'topology.message.timeout.secs': 0.4, 'topology.bolt.max.async.pending': 4 }, b.createTopology());
    await eventually(() => ledger.acks.size === 40, 'all 40 acked', 20_000);
    const summary = cluster.getTopologySummary('hang');
    await cluster.shutdown();
    expect(hung.size).toBe(20);
    expect([...ledger.acks.values()].every((n) => n === 1)).toBe(true);
    expect([...hung].every((id) => (ledger.fails.get(id) ?? 0) >= 1)).toBe(true);
    // Each unsettled execution is reported once, naming the component and task.
    const reports = summary.errors.filter((e) => /did not settle/.test(e.message));
    expect(reports).toHaveLength(20);
    for (const e of reports) {
      expect(e.component).toBe('hangs');
      expect(e.message).toMatch(/^Component 'hangs' task \d+ .*did not settle within 0\.4 s \(topology\.message\.timeout\.secs\)/);
    }
    expect(summary.components.hangs?.errors).toBe(20);
  });

  it('fails the input of a bolt that throws, and goes on', async () => {
    const ledger = new Ledger();
    let thrown = 0;
    class Thrower extends BaseRichBolt {
      execute(t: Tuple): void {
        if (t.getNumber(0) === 1 && thrown++ === 0) throw new Error('boom');
        this.collector.ack(t);
      }
    }
    const b = new TopologyBuilder();
    b.setSpout('spout', new ReplayingSpout(3, ledger));
    b.setBolt('thrower', Thrower).shuffleGrouping('spout');
    const cluster = new LocalCluster();
    await cluster.submitTopology('throw', {}, b.createTopology());
    await eventually(() => ledger.acks.size === 3, 'all acked');
    const summary = cluster.getTopologySummary('throw');
    await cluster.shutdown();
    expect(ledger.fails.get(1)).toBe(1);
    expect(summary.errors[0]?.message).toMatch(/Component 'thrower' task \d+ threw in execute: boom/);
    expect(summary.components.thrower?.errors).toBe(1);
  });

  it('resetTimeout keeps a slow tree alive', async () => {
    const ledger = new Ledger();
    class Slow extends BaseRichBolt {
      execute(t: Tuple): void {
        // Three message timeouts of work, the tree's timeout reset every 20 s of it.
        const clock = this.context.clock;
        const timer = clock.setInterval(() => this.collector.resetTimeout(t), 20_000);
        clock.setTimeout(() => {
          clock.clear(timer);
          this.collector.ack(t);
        }, 90_000);
      }
    }
    const b = new TopologyBuilder();
    b.setSpout('spout', new ReplayingSpout(1, ledger));
    b.setBolt('slow', Slow).shuffleGrouping('spout');
    const cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology('reset', { 'topology.message.timeout.secs': 30 }, b.createTopology());
    await cluster.advanceTime(89_999);
    expect(ledger.acks.size).toBe(0);
    await cluster.advanceTime(1);
    await cluster.shutdown();
    expect(ledger.acks.get(0)).toBe(1);
    expect(ledger.fails.size).toBe(0);
  });
});

describe('acking switched off', () => {
  it('acks at once when there are no ackers', async () => {
    const ledger = new Ledger();
    class Drop extends BaseRichBolt {
      execute(): void {}
    }
    const b = new TopologyBuilder();
    b.setSpout('spout', new ReplayingSpout(100, ledger));
    b.setBolt('drop', Drop).shuffleGrouping('spout');
    const cluster = new LocalCluster();
    await cluster.submitTopology('noack', { 'topology.acker.executors': 0 }, b.createTopology());
    await eventually(() => ledger.acks.size === 100, 'acks');
    const names = cluster.getRuntime('noack').executors.map((e) => e.component);
    await cluster.shutdown();
    expect(names).not.toContain('__acker');
  });

  it('does not track tuples emitted without a message id, nor unanchored bolt emits', async () => {
    let executed = 0;
    class Untracked extends BaseRichSpout {
      private n = 0;
      nextTuple(): void {
        if (this.n < 50) this.collector.emit([this.n++]);
      }
      override declareOutputFields(d: OutputFieldsDeclarer): void {
        d.declare(['n']);
      }
    }
    class Unanchored extends BaseRichBolt {
      execute(t: Tuple): void {
        this.collector.emit([t.getNumber(0)]);
      }
      override declareOutputFields(d: OutputFieldsDeclarer): void {
        d.declare(['n']);
      }
    }
    class Count extends BaseRichBolt {
      execute(): void {
        executed++;
      }
    }
    const b = new TopologyBuilder();
    b.setSpout('spout', Untracked);
    b.setBolt('relay', Unanchored).shuffleGrouping('spout');
    b.setBolt('count', Count).shuffleGrouping('relay');
    const cluster = new LocalCluster();
    await cluster.submitTopology('untracked', {}, b.createTopology());
    await eventually(() => executed === 50, 'all executed');
    const summary = cluster.getTopologySummary('untracked');
    const ackers = cluster.getRuntime('untracked').executors.filter((e) => e.component === '__acker');
    await cluster.shutdown();
    expect(ackers).toHaveLength(1);
    // Nothing reached the acker, nothing is pending, nothing was acked or failed at the spout.
    expect(ackers[0]!.tasks.map((t) => (t as unknown as { bolt: { pendingCount: number } }).bolt.pendingCount)).toEqual([0]);
    expect(summary.components.spout).toMatchObject({ pending: 0, acked: 0, failed: 0, emitted: 50 });
  });
});

describe('flow control', () => {
  it('holds max.spout.pending', async () => {
    const ledger = new Ledger();
    class Hold extends BaseRichBolt {
      private held: Tuple[] = [];
      execute(t: Tuple): void {
        this.held.push(t);
        if (this.held.length >= 10) for (const h of this.held.splice(0)) this.collector.ack(h);
      }
    }
    const b = new TopologyBuilder();
    b.setSpout('spout', new ReplayingSpout(1000, ledger), 1).setNumTasks(2);
    b.setBolt('hold', Hold).shuffleGrouping('spout');
    const cluster = new LocalCluster();
    await cluster.submitTopology('pending', { 'topology.max.spout.pending': 25 }, b.createTopology());
    const maxSeen: number[] = [];
    const watch = setInterval(() => maxSeen.push(cluster.getTopologySummary('pending').components.spout?.pending ?? 0), 1);
    // Two task copies each emit ids 0..999, so every id is acked twice.
    await eventually(() => ledger.totalAcks === 2000, '2000 acks', 20_000);
    clearInterval(watch);
    await cluster.shutdown();
    // Per task: two tasks, each at most 25 pending.
    expect(ledger.maxPendingSeen).toBeLessThanOrEqual(25);
    expect(Math.max(...maxSeen)).toBeLessThanOrEqual(50);
    expect(Math.max(...maxSeen)).toBeGreaterThanOrEqual(20);
  });

  it('keeps memory bounded under a slow bolt: spouts stop when its queue is full', async () => {
    let emitted = 0;
    class Firehose extends BaseRichSpout {
      nextTuple(): void {
        emitted++;
        this.collector.emit([emitted, 'x'.repeat(100)]);
      }
      override declareOutputFields(d: OutputFieldsDeclarer): void {
        d.declare(['n', 'payload']);
      }
    }
    let executed = 0;
    class SlowAsync extends BaseRichBolt {
      async execute(t: Tuple): Promise<void> {
        await sleep(1);
        executed++;
        this.collector.ack(t);
      }
    }
    const b = new TopologyBuilder();
    b.setSpout('firehose', Firehose);
    b.setBolt('slow', SlowAsync).shuffleGrouping('firehose');
    const cluster = new LocalCluster();
    await cluster.submitTopology(
      'bp',
      { 'topology.executor.receive.buffer.size': 1000, 'topology.bolt.max.async.pending': 50, 'topology.executor.batch.size': 100 },
      b.createTopology(),
    );
    await sleep(1500);
    const summary = cluster.getTopologySummary('bp');
    const queue = cluster.getRuntime('bp').executors.find((e) => e.component === 'slow')!.queue;
    await cluster.shutdown();
    expect(executed).toBeGreaterThan(100);
    // What was emitted but not executed sits in the queue or in flight: bounded by capacity + a batch + async limit.
    expect(emitted - executed).toBeLessThanOrEqual(1000 + 100 + 50);
    expect(queue.highWater).toBeLessThanOrEqual(1100);
    expect(summary.components.firehose?.emitted).toBe(emitted);
  });
});

describe('lifecycle', () => {
  it('deactivate stops nextTuple, activate resumes, kill drains and closes', async () => {
    const events: string[] = [];
    let emitted = 0;
    class Tracked extends BaseRichSpout {
      nextTuple(): void {
        this.collector.emit([emitted++], emitted);
      }
      override activate(): void {
        events.push('activate');
      }
      override deactivate(): void {
        events.push('deactivate');
      }
      override close(): void {
        events.push('close');
      }
      override declareOutputFields(d: OutputFieldsDeclarer): void {
        d.declare(['n']);
      }
    }
    class Ack extends BaseRichBolt {
      execute(t: Tuple): void {
        setTimeout(() => this.collector.ack(t), 20);
      }
      override cleanup(): void {
        events.push('cleanup');
      }
    }
    const b = new TopologyBuilder();
    b.setSpout('s', Tracked);
    b.setBolt('a', Ack).shuffleGrouping('s');
    const cluster = new LocalCluster();
    await cluster.submitTopology('life', { 'topology.max.spout.pending': 10 }, b.createTopology(), { inactive: true });
    await sleep(50);
    expect(emitted).toBe(0);
    cluster.activate('life');
    await eventually(() => emitted > 20, 'emits after activate');
    cluster.deactivate('life');
    const at = emitted;
    await sleep(100);
    expect(emitted).toBe(at);
    expect(cluster.getTopologySummary('life').status).toBe('INACTIVE');
    cluster.activate('life');
    await eventually(() => emitted > at, 'emits after re-activate');
    const drained = await cluster.killTopology('life', { waitMs: 2000 });
    expect(drained).toBe(true);
    expect(events).toEqual(['activate', 'deactivate', 'activate', 'deactivate', 'close', 'cleanup']);
    expect(() => cluster.getTopologySummary('life')).toThrow(/No running topology named 'life'/);
  });

  it('refuses a second topology with the same name', async () => {
    const b = new TopologyBuilder();
    b.setSpout('s', new (class extends BaseRichSpout {
      nextTuple(): void {}
    })());
    const cluster = new LocalCluster();
    await cluster.submitTopology('same', {}, b.createTopology());
    await expect(cluster.submitTopology('same', {}, b.createTopology())).rejects.toThrow(/already running/);
    await cluster.shutdown();
  });

  it('sends tick tuples at the configured frequency', async () => {
    let ticks = 0;
    class Ticked extends BaseRichBolt {
      execute(t: Tuple): void {
        if (t.isTick()) ticks++;
      }
    }
    const b = new TopologyBuilder();
    b.setSpout('s', new (class extends BaseRichSpout {
      nextTuple(): void {}
      override declareOutputFields(d: OutputFieldsDeclarer): void {
        d.declare(['x']);
      }
    })());
    b.setBolt('t', Ticked, 1).setNumTasks(2).shuffleGrouping('s').setTickFrequency(10);
    const cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology('ticks', {}, b.createTopology());
    await cluster.advanceTime(9_999);
    expect(ticks).toBe(0);
    await cluster.advanceTime(25_001);
    await cluster.shutdown();
    // Ticks at 10, 20 and 30 s, to each of the two tasks.
    expect(ticks).toBe(6);
  });
});
