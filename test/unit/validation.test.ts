import { describe, expect, it } from 'vitest';
import {
  BaseBasicBolt,
  BaseRichSpout,
  ConfigError,
  InvalidTopologyError,
  InvalidTupleError,
  LocalCluster,
  TopologyBuilder,
  validateConfig,
  type OutputFieldsDeclarer,
  type Tuple,
} from 'squall';
import { eventually } from '../helpers/wait.js';

class WordSpout extends BaseRichSpout {
  nextTuple(): void {}
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word']);
    d.declareStream('pairs', ['left', 'right']);
    d.declareStream('targeted', ['word'], true);
  }
}

class Sink extends BaseBasicBolt {
  execute(): void {}
}

function problemsOf(build: () => unknown): InvalidTopologyError['problems'] {
  try {
    build();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidTopologyError);
    return (err as InvalidTopologyError).problems;
  }
  throw new Error('expected the topology to be refused');
}

describe('topology validation', () => {
  it('refuses a subscription to an unknown component, naming both', () => {
    const b = new TopologyBuilder();
    b.setSpout('words', WordSpout);
    b.setBolt('sink', Sink).shuffleGrouping('wrods');
    const [p] = problemsOf(() => b.createTopology());
    expect(p).toMatchObject({ component: 'sink' });
    expect(p!.message).toContain("unknown component 'wrods'");
  });

  it('refuses a subscription to an undeclared stream, listing the declared ones', () => {
    const b = new TopologyBuilder();
    b.setSpout('words', WordSpout);
    b.setBolt('sink', Sink).shuffleGrouping('words', 'paris');
    const [p] = problemsOf(() => b.createTopology());
    expect(p).toMatchObject({ component: 'sink', stream: 'paris' });
    expect(p!.message).toContain("'pairs'");
  });

  it('refuses a fields grouping on an undeclared field', () => {
    const b = new TopologyBuilder();
    b.setSpout('words', WordSpout);
    b.setBolt('sink', Sink).fieldsGrouping('words', 'pairs', ['left', 'middle']);
    const problems = problemsOf(() => b.createTopology());
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ component: 'sink', stream: 'pairs', field: 'middle' });
  });

  it('refuses duplicate ids and parallelism below 1 when they are declared', () => {
    const b = new TopologyBuilder();
    b.setSpout('words', WordSpout);
    expect(() => b.setBolt('words', Sink)).toThrow(/component 'words': the id is used twice/);
    expect(() => b.setBolt('sink', Sink, 0)).toThrow(/component 'sink': parallelism must be an integer of at least 1, got 0/);
  });

  it('refuses a bolt that subscribes twice to the same stream', () => {
    const b = new TopologyBuilder();
    b.setSpout('words', WordSpout);
    b.setBolt('sink', Sink).shuffleGrouping('words').fieldsGrouping('words', ['word']);
    const [p] = problemsOf(() => b.createTopology());
    expect(p).toMatchObject({ component: 'sink', stream: 'default' });
    expect(p!.message).toContain("subscribes twice to stream 'default' of 'words'");
  });

  it('refuses a topology without a spout', () => {
    const b = new TopologyBuilder();
    b.setBolt('sink', Sink).shuffleGrouping('sink');
    expect(problemsOf(() => b.createTopology()).map((p) => p.message)).toContain('a topology needs at least one spout');
  });

  it('refuses direct groupings on regular streams and regular groupings on direct streams', () => {
    const b = new TopologyBuilder();
    b.setSpout('words', WordSpout);
    b.setBolt('a', Sink).directGrouping('words');
    b.setBolt('b', Sink).shuffleGrouping('words', 'targeted');
    const problems = problemsOf(() => b.createTopology());
    expect(problems).toEqual([
      expect.objectContaining({ component: 'a', stream: 'default', message: expect.stringContaining('not declared direct') }),
      expect.objectContaining({ component: 'b', stream: 'targeted', message: expect.stringContaining('declared direct') }),
    ]);
  });

  it('refuses components that are not spouts or bolts, and reserved ids', () => {
    const b = new TopologyBuilder();
    b.setSpout('words', WordSpout);
    b.setBolt('odd', { hello: 1 } as never).shuffleGrouping('words');
    b.setBolt('__mine', Sink).shuffleGrouping('words');
    const problems = problemsOf(() => b.createTopology());
    expect(problems.find((p) => p.component === 'odd')?.message).toContain('is not a bolt');
    expect(problems.find((p) => p.component === '__mine')?.message).toContain('reserved');
  });

  it('reports every problem at once', () => {
    const b = new TopologyBuilder();
    b.setSpout('words', WordSpout);
    b.setBolt('x', Sink).shuffleGrouping('nope');
    b.setBolt('y', Sink).fieldsGrouping('words', ['nope']);
    const err = (() => {
      try {
        b.createTopology();
      } catch (e) {
        return e as InvalidTopologyError;
      }
      return undefined;
    })();
    expect(err?.problems).toHaveLength(2);
    expect(err?.message).toContain('2 problems');
    expect(err?.code).toBe('INVALID_TOPOLOGY');
  });
});

describe('configuration', () => {
  it('fills in Storm defaults', () => {
    const c = validateConfig({});
    expect(c['topology.message.timeout.secs']).toBe(30);
    expect(c['topology.workers']).toBe(1);
    expect(c['topology.max.spout.pending']).toBeNull();
  });

  it('names the key of a wrong value', () => {
    expect(() => validateConfig({ 'topology.max.spout.pending': -1 })).toThrow(ConfigError);
    expect(() => validateConfig({ 'topology.max.spout.pending': -1 })).toThrow(/'topology.max.spout.pending': must be at least 1/);
    expect(() => validateConfig({ 'topology.debug': 'yes' as unknown as boolean })).toThrow(/'topology.debug': expected true or false/);
    expect(() => validateConfig({ 'topology.workers': 1.5 })).toThrow(/'topology.workers': expected an integer/);
    expect(() => validateConfig({ 'topology.stats.sample.rate': 2 })).toThrow(/'topology.stats.sample.rate': must be at most 1, got 2/);
    expect(() => validateConfig({ 'topology.multilang.serializer': 'xml' as 'json' })).toThrow(/expected one of "msgpack", "json", got "xml"/);
    expect(() => validateConfig({ 'topology.acker.executors': 'two' as unknown as number })).toThrow(/expected an integer or null, got "two"/);
  });

  it('checks the settings inside provider configuration, naming the setting', () => {
    expect(() => validateConfig({ 'topology.state.provider.config': { url: 'http://x' } })).toThrow(
      /'topology.state.provider.config': url must be a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/x"/,
    );
    expect(() => validateConfig({ 'topology.trident.metadata.provider.config': { bucket: 'a b' } })).toThrow(/bucket must be a name of letters/);
    expect(() => validateConfig({ 'topology.state.provider.config': [] as never })).toThrow(/expected an object or null, got \[\]/);
    expect(validateConfig({ 'topology.trident.metadata.provider.config': { servers: ['nats://a:1'], user: 'u' } })['topology.trident.metadata.provider.config']).toEqual({
      servers: ['nats://a:1'],
      user: 'u',
    });
  });

  it('refuses unknown topology keys with a hint, and lets user keys through', () => {
    expect(() => validateConfig({ 'topology.message.timeout.sec': 3 })).toThrow(/did you mean 'topology.message.timeout.secs'/);
    expect(validateConfig({ 'my.setting': { a: 1 } })['my.setting']).toEqual({ a: 1 });
  });

  it('validates component configuration at createTopology', () => {
    const b = new TopologyBuilder();
    b.setSpout('words', WordSpout).setMaxSpoutPending(0);
    expect(() => b.createTopology()).toThrow(/component 'words': Invalid configuration 'topology.max.spout.pending'/);
  });
});

/** An array nested `depth` levels deep, built without recursion. */
function nested(depth: number): unknown[] {
  let v: unknown[] = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe('emit checks', () => {
  /** What the collector threw at the spout (spouts are copied per task: a module-level list). */
  const thrown: unknown[] = [];
  class BadSpout extends BaseRichSpout {
    private sent = false;
    constructor(private readonly mode: 'arity' | 'stream' | 'direct' | 'serialize' | 'circular' | 'deep' | 'bigint') {
      super();
    }
    nextTuple(): void {
      if (this.sent) return;
      this.sent = true;
      try {
        if (this.mode === 'arity') this.collector.emit(['a', 'b']);
        if (this.mode === 'stream') this.collector.emit('nowhere', ['a']);
        if (this.mode === 'direct') this.collector.emitDirect(999, 'targeted', ['a']);
        if (this.mode === 'serialize') this.collector.emit([new Map() as never]);
        if (this.mode === 'circular') {
          const node: Record<string, unknown> = { name: 'a', children: [] };
          (node.children as unknown[]).push({ parent: node });
          this.collector.emit([node as never]);
        }
        if (this.mode === 'deep') this.collector.emit([nested(100_000) as never]);
        if (this.mode === 'bigint') this.collector.emit([{ big: 2n ** 64n } as never]);
      } catch (err) {
        thrown.push(err);
        throw err;
      }
    }
    override declareOutputFields(d: OutputFieldsDeclarer): void {
      d.declare(['word']);
      d.declareStream('targeted', ['word'], true);
    }
  }

  for (const [mode, pattern] of [
    ['arity', /Component 'spout', stream 'default': emitted 2 value\(s\) but the stream declares 1 field\(s\) \(word\)/],
    ['stream', /stream 'nowhere': emitted on a stream that was not declared/],
    ['direct', /emitDirect to task 999, which does not subscribe to this stream with a direct grouping/],
    ['serialize', /cannot be serialized: values\[0\] is a Map/],
    ['circular', /Component 'spout', stream 'default': cannot be serialized: values\[0\]\.children\[0\]\.parent refers back to values\[0\] \(a circular value\)/],
    ['deep', /Component 'spout', stream 'default': cannot be serialized: values\[0\]\[0\]\[0\].*\[0\] is nested deeper than 1000 levels/],
    ['bigint', /Component 'spout', stream 'default': cannot be serialized: values\[0\]\.big is a bigint beyond 64 bits \(20 digits\)/],
  ] as const) {
    it(`reports a bad emit (${mode}) as an error of the component`, async () => {
      thrown.length = 0;
      const b = new TopologyBuilder();
      b.setSpout('spout', new BadSpout(mode));
      b.setBolt('sink', Sink).shuffleGrouping('spout');
      b.setBolt('direct-sink', Sink).directGrouping('spout', 'targeted');
      const cluster = new LocalCluster();
      await cluster.submitTopology('t', { 'topology.testing.always.try.serialize': true }, b.createTopology());
      await eventually(() => cluster.getTopologySummary('t').errors.length > 0, 'the error report');
      const [error] = cluster.getTopologySummary('t').errors;
      expect(error?.component).toBe('spout');
      expect(error?.message).toMatch(pattern);
      await cluster.shutdown();
      // The spout got a typed error it can catch, with the same message.
      expect(thrown).toHaveLength(1);
      expect(thrown[0]).toBeInstanceOf(InvalidTupleError);
      expect(thrown[0]).toMatchObject({ code: 'INVALID_TUPLE', component: 'spout' });
      expect((thrown[0] as InvalidTupleError).message).toMatch(pattern);
    });
  }
});

describe('tuples', () => {
  it('carry every msgpack-serializable value unchanged', async () => {
    const values = ['text', 42, 1.5, 2n ** 63n - 1n, true, null, new Uint8Array([1, 2, 255]), [1, [2, 'x']], { a: { b: [null] } }];
    const received: Tuple[] = [];
    class OneSpout extends BaseRichSpout {
      private done = false;
      nextTuple(): void {
        if (!this.done) this.collector.emit(values as never, 'm1');
        this.done = true;
      }
      override declareOutputFields(d: OutputFieldsDeclarer): void {
        d.declare(values.map((_, i) => `f${i}`));
      }
    }
    class Keep extends BaseBasicBolt {
      execute(t: Tuple): void {
        received.push(t);
      }
    }
    const b = new TopologyBuilder();
    b.setSpout('s', OneSpout);
    b.setBolt('k', Keep).shuffleGrouping('s');
    const cluster = new LocalCluster();
    await cluster.submitTopology('t', { 'topology.testing.always.try.serialize': true }, b.createTopology());
    await eventually(() => received.length === 1, 'the tuple');
    await cluster.shutdown();
    const t = received[0]!;
    expect(t.getValueByField('f3')).toBe(2n ** 63n - 1n);
    expect(typeof t.getValueByField('f1')).toBe('number');
    expect([...(t.getValueByField('f6') as Uint8Array)]).toEqual([1, 2, 255]);
    expect(t.getValueByField('f8')).toEqual({ a: { b: [null] } });
    expect(t.getStringByField('f0')).toBe('text');
    expect(() => t.getValueByField('nope')).toThrow(/has no field 'nope'/);
  });
});
