import { describe, expect, it } from 'vitest';
import { TopologyBuilder, BaseRichSpout, BaseBasicBolt, type OutputFieldsDeclarer } from 'squall';
import { checkApiArgs, decodeApiResult } from '../../src/protocol/api.js';
import { decodeRecord, encodeRecord, type TopologyRecord } from '../../src/protocol/cluster-records.js';

class Words extends BaseRichSpout {
  override nextTuple(): void {}
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word']);
  }
}
class Count extends BaseBasicBolt {
  execute(): void {}
}

function topologyRecord(): TopologyRecord {
  const b = new TopologyBuilder();
  b.setSpout('words', Words);
  b.setBolt('count', Count, 2).fieldsGrouping('words', ['word']);
  const t = b.createTopology();
  return { v: 1, name: 'wc', status: 'ACTIVE', spec: t.spec, config: {}, packageId: 'p', submittedAt: 1 };
}

const bytes = (x: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(x));

describe('cluster records', () => {
  it('read back what was written, fields this build does not know included', () => {
    const r = { ...topologyRecord(), later: 'kept' };
    expect(decodeRecord('topology', bytes(r))).toEqual(r);
    expect(decodeRecord('topology', encodeRecord('topology', topologyRecord()))).toEqual(topologyRecord());
  });

  it("validate a stored topology's spec, naming the field that is wrong", () => {
    const r = topologyRecord();
    const count = r.spec.components.count!;
    const broken = { ...r, spec: { ...r.spec, components: { ...r.spec.components, count: { ...count, tasks: 'two' } } } };
    expect(() => decodeRecord('topology', bytes(broken))).toThrow(/Invalid topology record: topology\.spec\.components\.count\.tasks/);
    const badGrouping = { ...r, spec: { ...r.spec, components: { ...r.spec.components, count: { ...count, inputs: [{ component: 'words', stream: 'default', grouping: { type: 'sideways' } }] } } } };
    expect(() => decodeRecord('topology', bytes(badGrouping))).toThrow(/topology\.spec\.components\.count\.inputs\[0\]\.grouping\.type/);
    expect(() => decodeRecord('topology', bytes({ ...r, spec: {} }))).toThrow(/topology\.spec\.version/);
  });
});

describe('coordinator API replies', () => {
  it('are checked against their operation before use', () => {
    expect(decodeApiResult('kill', { name: 'wc', waitSecs: 3 })).toEqual({ name: 'wc', waitSecs: 3 });
    expect(() => decodeApiResult('kill', { name: 'wc' })).toThrow(/Invalid kill reply record: result\.waitSecs is missing/);
    expect(() => decodeApiResult('list', { supervisors: [], topologies: [{ name: 'wc' }] })).toThrow(/list reply.*result\.topologies\[0\]\.status/);
    const listing = { leader: 'c1', supervisors: [{ id: 's', host: 'h', slots: 4, used: 1 }], topologies: [], skipped: [] };
    expect(decodeApiResult('list', listing)).toEqual(listing);
  });

  it('check request arguments, naming the argument', () => {
    expect(() => checkApiArgs('rebalance', { name: 'wc', executors: { split: 1.5 } })).toThrow(/args\.executors\.split must be an integer/);
    expect(checkApiArgs('submit', { name: 'wc', spec: topologyRecord().spec, packageId: 'p' }).name).toBe('wc');
  });
});
