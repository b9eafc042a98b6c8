import { describe, expect, it } from 'vitest';
import {
  BaseStatefulWindowedBolt,
  Count,
  LocalCluster,
  TopologyBuilder,
  type OutputFieldsDeclarer,
  type TupleWindow,
} from 'squall';
import { FeederSpout } from 'squall/testing';
import { eventually } from '../helpers/wait.js';

/** Sums each tumbling window of two numbers into a running total kept in checkpointed state. */
class RunningTotal extends BaseStatefulWindowedBolt<string, number> {
  execute(window: TupleWindow): void {
    let sum = 0;
    for (const t of window.get()) sum += t.getNumber(0);
    const total = this.state.get('total', 0) + sum;
    this.state.put('total', total);
    this.collector.emit([total]);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['total']);
  }
}

function topology(feeder: FeederSpout) {
  const b = new TopologyBuilder();
  b.setSpout('numbers', feeder);
  b.setBolt('total', new RunningTotal().withTumblingWindow(Count.of(2))).globalGrouping('numbers');
  return b.createTopology({ 'topology.state.checkpoint.interval.ms': 50, 'topology.state.provider': 'memory' });
}

describe('stateful windowed bolts', () => {
  it('keep state across windows, acking tuples only once their round commits, and restore it after a restart', async () => {
    const name = `stateful-window-${process.pid}-${Date.now()}`;
    const feeder = new FeederSpout(['n']);
    for (let n = 1; n <= 10; n++) feeder.feed([n], n);
    const cluster = new LocalCluster();
    const totals: number[] = [];
    await cluster.submitTopology(name, {}, topology(feeder));
    cluster.getRuntime(name).addTaskHook((component) =>
      component === 'total' ? { emit: ({ stream, values }) => void (stream === 'default' && totals.push(values[0] as number)) } : undefined,
    );
    await eventually(() => feeder.acked.length === 10, 'all ten numbers acked');
    expect(totals).toEqual([3, 10, 21, 36, 55]);
    expect(feeder.failed).toEqual([]);
    await cluster.killTopology(name, { waitMs: 2000 });

    // A new run of the same topology (memory state outlives it in this process) starts from 55.
    const again = new FeederSpout(['n']);
    again.feed([100], 'a');
    again.feed([200], 'b');
    const later: number[] = [];
    await cluster.submitTopology(name, {}, topology(again));
    cluster.getRuntime(name).addTaskHook((component) =>
      component === 'total' ? { emit: ({ stream, values }) => void (stream === 'default' && later.push(values[0] as number)) } : undefined,
    );
    await eventually(() => again.acked.length === 2, 'both acked');
    expect(later).toEqual([355]);
    await cluster.shutdown();
  });
});
