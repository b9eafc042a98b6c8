import { describe, expect, it } from 'vitest';
import { BaseRichBolt, BaseRichSpout, Fields, TopologyBuilder, type OutputFieldsDeclarer } from 'squall';
import { TopologyPlan, TupleImpl } from 'squall/internal';
import { TransportError } from '../../src/transport/index.js';
import { StreamTable, TupleBatch, decodeTupleBatch } from '../../src/worker/index.js';

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
    const table = new StreamTable(plan);
    const batch = new TupleBatch(table);
    batch.add(7, new TupleImpl(values, fields, 's', 'default', 3, [0x7fffffff, -1, -2147483648, 12345]));
    batch.add(8, new TupleImpl(values, fields, 's', 'default', 3));
    expect(batch.size).toBe(2);
    const bytes = batch.take();
    expect(batch.size).toBe(0);
    const got: [number, TupleImpl][] = [];
    decodeTupleBatch(bytes, table, (task, t) => got.push([task, t]));
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

  it('refuses a stream the topology does not declare, and a batch from another version of it', () => {
    const b = new TopologyBuilder();
    b.setSpout('s', S);
    const topology = b.createTopology();
    const plan = new TopologyPlan('t', topology, topology.config);
    const table = new StreamTable(plan);
    const batch = new TupleBatch(table);
    expect(() => batch.add(1, new TupleImpl([1], new Fields(['x']), 's', 'other', 1))).toThrow(/stream 'other', which this topology does not declare/);

    // The sender's topology has one more bolt (so more streams): the receiver says so.
    b.setBolt('b', B).shuffleGrouping('s');
    const other = b.createTopology();
    const otherPlan = new TopologyPlan('t', other, other.config);
    const sent = new TupleBatch(new StreamTable(otherPlan));
    sent.add(1, new TupleImpl(Array(9).fill(1), otherPlan.streamFields('s', 'default')!, 's', 'default', 1));
    expect(() => decodeTupleBatch(sent.take(), table, () => undefined)).toThrow(/the sending worker runs a different version of it/);
  });

  it('refuses bytes that are not a batch, and malformed tuples, with a TransportError saying what is wrong', async () => {
    const { pack } = await import('msgpackr');
    const b = new TopologyBuilder();
    b.setSpout('s', S);
    const topology = b.createTopology();
    const plan = new TopologyPlan('t', topology, topology.config);
    const table = new StreamTable(plan);
    const n = table.streams.length;
    const stream = table.streams.findIndex((e) => e.component === 's' && e.stream === 'default');
    const nine = Array(9).fill(1);
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([0xc1, 0xff, 0x00]), /not msgpack/],
      [pack('hello'), /not a tuple batch/],
      [pack([n, 1, 1, stream, []]), /not 1 \+ 5 per tuple/],
      [pack([n, 1, 1, 'length', [], nine]), /stream number length/],
      [pack([n, 1, 1, stream, [], [1, 2]]), /malformed tuple .* 's' stream 'default': expected task numbers, anchors and 9 values/],
      [pack([n, 'x', 1, stream, [], nine]), /malformed tuple/],
      [pack([n, 1, 1, stream, 7, nine]), /malformed tuple/],
    ];
    for (const [bytes, message] of cases) {
      const delivered: number[] = [];
      let error: unknown;
      try {
        decodeTupleBatch(bytes, table, (task) => delivered.push(task));
      } catch (err) {
        error = err;
      }
      expect(error, String(message)).toBeInstanceOf(TransportError);
      expect((error as Error).message).toMatch(message);
      expect(delivered).toEqual([]);
    }
  });

  it('leaves out tuples whose values cannot travel, naming component, stream and value path, and sends the rest', () => {
    const b = new TopologyBuilder();
    b.setSpout('s', S);
    const topology = b.createTopology();
    const plan = new TopologyPlan('t', topology, topology.config);
    const fields = plan.streamFields('s', 'default')!;
    const table = new StreamTable(plan);
    const row = (first: unknown): TupleImpl => new TupleImpl([first, ...Array(8).fill(0)] as never, fields, 's', 'default', 4, []);
    const circular: Record<string, unknown> = { id: 1 };
    circular.self = circular;
    let deep: unknown[] = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const batch = new TupleBatch(table);
    batch.add(1, row('before'));
    batch.add(1, row(circular));
    batch.add(1, row(deep));
    batch.add(1, row(-(2n ** 64n)));
    batch.add(1, row(2n ** 64n - 1n)); // the largest unsigned 64-bit integer travels
    const refused: [number, string, string, string][] = [];
    const bytes = batch.take((task, e) => refused.push([task, e.component, e.stream, e.message]));
    const got: unknown[] = [];
    decodeTupleBatch(bytes, table, (_task, t) => got.push(t.getValue(0)));
    expect(got).toEqual(['before', 2n ** 64n - 1n]);
    expect(refused.map(([task, c, s]) => [task, c, s])).toEqual([
      [4, 's', 'default'],
      [4, 's', 'default'],
      [4, 's', 'default'],
    ]);
    expect(refused[0]![3]).toMatch(/Component 's', stream 'default': cannot be serialized: values\[0\]\.self refers back to values\[0\] \(a circular value\)/);
    expect(refused[1]![3]).toMatch(/is nested deeper than 1000 levels/);
    expect(refused[2]![3]).toMatch(/values\[0\] is a bigint beyond 64 bits/);
  });
});
