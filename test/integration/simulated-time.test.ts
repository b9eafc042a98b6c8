import { describe, expect, it } from 'vitest';
import { BaseRichBolt, BaseRichSpout, LocalCluster, TopologyBuilder, type OutputFieldsDeclarer, type Tuple } from 'squall';
import { FeederSpout, completeTopology } from 'squall/testing';
import { tridentStats } from '../../src/trident/index.js';
import { tridentWordCount } from '../../topologies/trident-word-count/topology.js';

/** Acks every tuple but those whose first value is in `swallow`, which it never answers. */
class Swallow extends BaseRichBolt {
  constructor(private readonly swallow: ReadonlySet<unknown>) {
    super();
  }
  execute(t: Tuple): void {
    if (!this.swallow.has(t.getValue(0))) this.collector.ack(t);
  }
}

function swallowing(feeder: FeederSpout, swallow: readonly unknown[]) {
  const b = new TopologyBuilder();
  b.setSpout('feeder', feeder);
  b.setBolt('sink', new Swallow(new Set(swallow))).shuffleGrouping('feeder');
  return b.createTopology({ 'topology.message.timeout.secs': 30 });
}

describe('LocalCluster on simulated time', () => {
  it('keeps the time of two clusters apart: a timeout in one is not a timeout in the other', async () => {
    const a = new FeederSpout(['x']);
    const b = new FeederSpout(['x']);
    const one = new LocalCluster({ simulatedTime: true });
    const two = new LocalCluster({ simulatedTime: true });
    await one.submitTopology('t', {}, swallowing(a, ['lost']));
    await two.submitTopology('t', {}, swallowing(b, ['lost']));
    a.feed(['lost'], 'a');
    b.feed(['lost'], 'b');
    await Promise.all([one.advanceTime(60_000), two.advanceTime(0)]);
    expect(a.failed).toEqual(['a']);
    expect(b.failed).toEqual([]);
    expect(one.clock.now() - two.clock.now()).toBe(60_000);
    await one.shutdown();
    await two.shutdown();
  });

  it('times its reported errors on its own clock', async () => {
    class Thrower extends BaseRichBolt {
      execute(): void {
        throw new Error('boom');
      }
    }
    const feeder = new FeederSpout(['x']);
    const b = new TopologyBuilder();
    b.setSpout('feeder', feeder);
    b.setBolt('thrower', Thrower).shuffleGrouping('feeder');
    const cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology('errors', {}, b.createTopology());
    await cluster.advanceTime(12_345);
    feeder.feed([1]);
    await cluster.advanceTime(0);
    const summary = cluster.getTopologySummary('errors');
    await cluster.shutdown();
    expect(summary.errors.map((e) => e.time)).toEqual([cluster.clock.now()]);
  });

  it('kills a topology without waiting out its message timeout: what is still in flight then stays so', async () => {
    const feeder = new FeederSpout(['x']);
    const cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology('kill', {}, swallowing(feeder, ['lost']));
    feeder.feed(['ok'], 1);
    feeder.feed(['lost'], 2);
    await cluster.advanceTime(0);
    expect(await cluster.killTopology('kill')).toBe(false);
    expect(feeder.acked).toEqual([1]);
    expect(feeder.failed).toEqual([]);
  });

  it('refuses advanceTime on a cluster that runs on real time', async () => {
    const cluster = new LocalCluster();
    await expect(cluster.advanceTime(1000)).rejects.toMatchObject({
      code: 'SIMULATED_TIME',
      message: expect.stringMatching(/runs on real time; create it with \{ simulatedTime: true \}/),
    });
  });
});

describe('completeTopology on simulated time', () => {
  it('jumps over the message timeout of a tree that is never acked instead of waiting for it', async () => {
    const feeder = new FeederSpout(['x']);
    for (const x of ['a', 'lost', 'b']) feeder.feed([x], x);
    // 60 s of message timeout, within a real-time limit of 5 s.
    const { summary } = await completeTopology(swallowing(feeder, ['lost']), { simulatedTime: true, timeoutMs: 5000 });
    expect([...feeder.acked].sort()).toEqual(['a', 'b']);
    expect(feeder.failed).toEqual(['lost']);
    expect(summary.components.feeder?.timed_out).toBe(1);
  });

  it('fails at once, saying so, when the topology is quiet and no timer is left', async () => {
    // Timeouts off: nothing will ever end the swallowed tree.
    const feeder = new FeederSpout(['x']);
    feeder.feed(['lost'], 'lost');
    const topology = swallowing(feeder, ['lost']).withConfig({ 'topology.enable.message.timeouts': false });
    await expect(completeTopology(topology, { simulatedTime: true })).rejects.toThrow(
      /completeTopology: the topology is quiet, not complete \(1 tuple\(s\) in flight\), and no timer is left to wait for/,
    );
  });

  it('drives tick tuples: a bolt that flushes on ticks completes', async () => {
    class Batcher extends BaseRichBolt {
      private held: Tuple[] = [];
      execute(t: Tuple): void {
        if (!t.isTick()) {
          this.held.push(t);
          return;
        }
        for (const h of this.held) {
          this.collector.emit(h, [h.getValue(0)]);
          this.collector.ack(h);
        }
        this.held = [];
      }
      override declareOutputFields(d: OutputFieldsDeclarer): void {
        d.declare(['x']);
      }
    }
    const b = new TopologyBuilder();
    b.setSpout('numbers', new (class extends BaseRichSpout {
      nextTuple(): void {}
      override declareOutputFields(d: OutputFieldsDeclarer): void {
        d.declare(['x']);
      }
    })());
    b.setBolt('batcher', new Batcher()).shuffleGrouping('numbers').setTickFrequency(5);
    const { emitted } = await completeTopology(b.createTopology(), {
      simulatedTime: true,
      mockedSources: { numbers: [[1], [2], [3]] },
    });
    expect(emitted.batcher?.default).toEqual([[1], [2], [3]]);
  });
});

describe('Trident on simulated time', () => {
  it('starts one batch per batch interval of the cluster clock', async () => {
    const name = `trident-simulated-${process.pid}`;
    const cluster = new LocalCluster({ simulatedTime: true });
    await cluster.submitTopology(name, { 'topology.trident.batch.emit.interval.millis': 1000, 'topology.max.spout.pending': 1 }, tridentWordCount({ batchSize: 10 }));
    await cluster.advanceTime(0);
    const first = tridentStats(name).committed;
    expect(first).toBe(1);
    await cluster.advanceTime(999);
    expect(tridentStats(name).committed).toBe(first);
    await cluster.advanceTime(1);
    expect(tridentStats(name).committed).toBe(first + 1);
    await cluster.advanceTime(5000);
    expect(tridentStats(name).committed).toBe(first + 6);
    await cluster.shutdown();
  });
});
