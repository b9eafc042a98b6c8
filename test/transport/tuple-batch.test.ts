import { describe, expect, it } from 'vitest';
import { BaseRichBolt, BaseRichSpout, TopologyBuilder, type OutputFieldsDeclarer } from 'squall';
import { TopologyPlan, TupleImpl } from 'squall/internal';
import { TupleBatch, decodeTupleBatch } from '../../src/worker/index.js';

class S extends BaseRichSpout {
  nextTuple(): void {}
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);
  }
}
class B extends BaseRichBolt {
  execute(): void {}
}

describe('tuple batches between workers', () => {
  it('carry every value type, anchors and the source unchanged', () => {
    const b = new TopologyBuilder();
    b.setSpout('s', S);
    b.setBolt('b', B).shuffleGrouping('s');
    const topology = b.createTopology();
    const plan = new TopologyPlan('t', topology, topology.config);
    const fields = plan.streamFields('s', 'default')!;
    const values = ['text', 42, -1.5, 2n ** 63n - 1n, true, null, new Uint8Array([0, 255]), [1, ['x']], { k: { n: 1 } }];
    const batch = new TupleBatch();
    batch.add(7, new TupleImpl(values, fields, 's', 'default', 3, [0x7fffffff, -1, -2147483648, 12345]));
    batch.add(8, new TupleImpl(values, fields, 's', 'default', 3));
    expect(batch.size).toBe(2);
    const bytes = batch.take();
    expect(batch.size).toBe(0);
    const got: [number, TupleImpl][] = [];
    decodeTupleBatch(bytes, plan, (task, t) => got.push([task, t]));
    expect(got.map(([task]) => task)).toEqual([7, 8]);
    const [, t] = got[0]!;
    expect(t.sourceComponent).toBe('s');
    expect(t.sourceTask).toBe(3);
    expect(t.anchors).toEqual([0x7fffffff, -1, -2147483648, 12345]);
    expect(t.getValueByField('d')).toBe(2n ** 63n - 1n);
    expect(typeof t.getValueByField('b')).toBe('number');
    expect([...(t.getValueByField('g') as Uint8Array)]).toEqual([0, 255]);
    expect(t.getValueByField('i')).toEqual({ k: { n: 1 } });
    expect(got[1]![1].anchors).toEqual([]);
  });

  it('refuses a tuple on a stream the receiving topology does not declare', () => {
    const b = new TopologyBuilder();
    b.setSpout('s', S);
    const topology = b.createTopology();
    const plan = new TopologyPlan('t', topology, topology.config);
    const batch = new TupleBatch();
    batch.add(1, new TupleImpl([1], plan.streamFields('s', 'default')!, 's', 'other', 1));
    expect(() => decodeTupleBatch(batch.take(), plan, () => undefined)).toThrow(/stream 'other', which this topology does not declare/);
  });
});
