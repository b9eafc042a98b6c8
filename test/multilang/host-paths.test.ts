/**
 * The host's hot-path pieces on their own (the in-flight table, the msgpack writer's and
 * reader's fast paths, the framing scanner) and two runtime behaviours of multilang bolts: a
 * drain with acking off waits for what a subprocess holds, and `completeTopology` runs commands
 * in the resources directory it is given.
 */
import * as path from 'node:path';
import { Packr } from 'msgpackr';
import { afterAll, describe, expect, it } from 'vitest';
import { Fields, LocalCluster, ShellBolt, TopologyBuilder, type OutputFieldsDeclarer } from 'squall';
import { MemoryLogger, TupleImpl } from 'squall/internal';
import { FeederSpout, completeTopology } from 'squall/testing';
import { InFlight } from '../../src/multilang/in-flight.js';
import { MsgpackScanner } from '../../src/multilang/codec.js';
import { MsgpackReader, MsgpackWriter, PreEncoded, StrTable } from '../../src/multilang/msgpack-fast.js';
import { eventually } from '../helpers/wait.js';
import { CountingBolt, FIXTURES, PY_ENV, PY_EXAMPLES, ROOT, RecordingCollector, Tally, removeTempDirs, taskContext } from './helpers.js';

afterAll(removeTempDirs);

/** A small deterministic generator, so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('InFlight', () => {
  it('keeps inputs by id, in the ring and, for one held while the ring went round, in the overflow', () => {
    const t = new InFlight<string>(64);
    for (let id = 1; id <= 40; id++) t.set(id, `t${id}`);
    expect(t.size).toBe(40);
    expect(t.get(7)).toBe('t7');
    expect(t.get(41)).toBeUndefined();
    // Settle all but id 3, then go round the ring twice: 3 stays, the newer ids sharing its slot spill over.
    for (let id = 1; id <= 40; id++) if (id !== 3) expect(t.take(id)).toBe(`t${id}`);
    for (let id = 41; id <= 200; id++) {
      t.set(id, `t${id}`);
      if (id % 2 === 0) expect(t.take(id)).toBe(`t${id}`);
    }
    expect(t.size).toBe(1 + 80);
    expect(t.get(3)).toBe('t3');
    expect(t.get(67)).toBe('t67'); // slot 3 of 64, taken by id 3
    expect(t.get(131)).toBe('t131');
    expect(t.take(3)).toBe('t3');
    expect(t.take(3)).toBeUndefined();
    expect(t.get(3 + 64 * 5)).toBeUndefined();
    const order: string[] = [];
    t.drain((x) => order.push(x));
    expect(order).toEqual(Array.from({ length: 80 }, (_, i) => `t${41 + 2 * i}`));
    expect(t.size).toBe(0);
    expect(t.get(41)).toBeUndefined();
  });

  it('grows without losing anything, and takes ids past 2^32', () => {
    const t = new InFlight<number>(64);
    const base = 2 ** 40;
    for (let i = 0; i < 100; i++) t.set(base + i, i);
    t.set(5, -1); // shares a slot with base + 5
    t.reserve(1000);
    expect(t.size).toBe(101);
    for (let i = 0; i < 100; i++) expect(t.get(base + i)).toBe(i);
    expect(t.take(5)).toBe(-1);
    expect(t.get(1.5)).toBeUndefined();
    expect(t.get(-(base + 1))).toBeUndefined();
    expect(t.take(Number.NaN)).toBeUndefined();
  });

  it('matches a Map under random traffic', () => {
    const next = rng(7);
    const t = new InFlight<number>(64);
    const m = new Map<number, number>();
    let seq = 0;
    for (let step = 0; step < 20_000; step++) {
      if (m.size === 0 || next() < 0.55) {
        const id = ++seq;
        t.set(id, id * 2);
        m.set(id, id * 2);
      } else {
        // Mostly the oldest, sometimes any, sometimes one never sent.
        const keys = [...m.keys()];
        const r = next();
        const id = r < 0.6 ? (keys[0] as number) : r < 0.95 ? (keys[Math.floor(next() * keys.length)] as number) : seq + 5;
        expect(t.take(id)).toBe(m.get(id));
        m.delete(id);
      }
      if (step % 5000 === 0) t.reserve(64 << (step / 5000));
      expect(t.size).toBe(m.size);
    }
    for (const [id, v] of m) expect(t.get(id)).toBe(v);
  });
});

describe('msgpack fast paths', () => {
  const packr = new Packr({ useRecords: false, int64AsType: 'auto' as 'bigint' });

  it('writes decimal ids, pre-encoded bytes, and patches and takes in parts', () => {
    const w = new MsgpackWriter(64);
    const ids = [0, 1, 9, 10, 99, 100, 101, 999, 1000, 9999, 10_000, 123_456, 999_999, 1_000_000, 9_999_999, 10_000_000, 99_999_999, 100_000_000, 2 ** 31, 2 ** 53 - 1];
    for (const id of ids) w.decimalStr(id);
    const pre = new PreEncoded(new Uint8Array([0xa5, 0x73, 0x70, 0x6f, 0x75, 0x74, 0xa7, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x01]));
    w.pre(pre);
    w.int(7);
    const r = new MsgpackReader();
    r.reset(w.take());
    for (const id of ids) expect(r.value()).toBe(String(id));
    expect([r.value(), r.value(), r.value(), r.value()]).toEqual(['spout', 'default', 1, 7]);

    // An array32 header patched later; the bytes before it taken while it is still open.
    w.str('before');
    const open = w.length;
    w.byte(0xdd); // room: 64-byte buffer, few bytes used
    w.pos += 4;
    w.str('x');
    w.str('y');
    const first = w.takePrefix(open);
    expect(packr.unpack(first)).toBe('before');
    w.patchUint32(1, 2);
    w.truncate(w.length); // no-op
    expect(packr.unpack(w.take())).toEqual(['x', 'y']);
  });

  it('keeps untaken bytes when it grows, and never reuses bytes it gave out', () => {
    const w = new MsgpackWriter(64);
    const given: Buffer[] = [];
    const want: string[] = [];
    for (let i = 0; i < 200; i++) {
      const s = `value-${i}-${'x'.repeat(i % 50)}`;
      w.str(s);
      want.push(s);
      if (i % 7 === 0) given.push(w.take());
    }
    given.push(w.take());
    const got: unknown[] = [];
    const r = new MsgpackReader();
    for (const b of given) {
      r.reset(b);
      while (r.pos < r.end) got.push(r.value());
    }
    expect(got).toEqual(want);
  });

  it('matches strings of a table, and consumes any other value', () => {
    const table = new StrTable(['command', 'anchors', 'id', 'tuple', 'msg', 'need_task_ids', 'abcd']);
    const probes: unknown[] = ['command', 'anchors', 'id', 'tuple', 'msg', 'need_task_ids', 'abcd', 'commane', 'Command', 'i', 'ids', 'abce', 'need_task_idz', '', 42, ['command'], { command: 1 }, 'x'.repeat(40)];
    const r = new MsgpackReader();
    r.reset(Buffer.concat(probes.map((p) => packr.pack(p))));
    const codes = probes.map(() => r.matchStr(table));
    expect(codes).toEqual([0, 1, 2, 3, 4, 5, 6, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1]);
    expect(r.pos).toBe(r.end);
    expect(() => new StrTable(['é'])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('frames random messages cut at random places exactly as msgpackr reads them', () => {
    const next = rng(42);
    const value = (depth: number): unknown => {
      const r = next();
      if (depth > 3 || r < 0.3) return Math.floor(next() * 2 ** (next() * 40)) * (next() < 0.2 ? -1 : 1);
      if (r < 0.5) return 'x'.repeat(Math.floor(next() * (next() < 0.1 ? 70_000 : 40)));
      if (r < 0.6) return new Uint8Array(Math.floor(next() * 300));
      if (r < 0.65) return next() < 0.5 ? null : next() < 0.5;
      if (r < 0.7) return next() * 1e6;
      if (r < 0.85) return Array.from({ length: Math.floor(next() * (next() < 0.1 ? 20 : 5)) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, (_, i) => [`k${i}`, value(depth + 1)]));
    };
    const messages = Array.from({ length: 300 }, () => ({ command: 'emit', tuple: [value(0), value(0)] }));
    const bytes = Buffer.concat(messages.map((m) => packr.pack(m)));
    for (let trial = 0; trial < 5; trial++) {
      const scanner = new MsgpackScanner(1 << 30);
      const frames: Buffer[] = [];
      let partial: Buffer[] = [];
      let at = 0;
      while (at < bytes.length) {
        const size = 1 + Math.floor(next() * (trial === 0 ? 8 : 5000));
        const chunk = bytes.subarray(at, at + size);
        at += chunk.length;
        let pos = 0;
        while (pos < chunk.length) {
          const end = scanner.feed(chunk, pos);
          if (end < 0) {
            partial.push(chunk.subarray(pos));
            break;
          }
          frames.push(Buffer.concat([...partial, chunk.subarray(pos, end)]));
          partial = [];
          pos = end;
        }
      }
      expect(partial).toEqual([]);
      expect(frames.map((f): unknown => packr.unpack(f))).toEqual(messages.map((m): unknown => packr.unpack(packr.pack(m))));
    }
  });
});

class Source extends FeederSpout {}

describe('multilang bolts and the runtime', () => {
  it('holds inputs beyond maxPending, releases them as answers come, and settles every execute', async () => {
    const bolt = new ShellBolt({
      command: ['python3', path.join(FIXTURES, 'slow_bolt.py')],
      env: { ...PY_ENV, SLOW_MS: '2' },
      outputFields: ['n'],
      maxPending: 5,
      batchSize: 2,
      logger: new MemoryLogger(),
    });
    const b = new TopologyBuilder();
    b.setSpout('numbers', { open() {}, nextTuple() {}, declareOutputFields: (d: OutputFieldsDeclarer) => d.declare(['n']) } as never);
    b.setBolt('slow', bolt).shuffleGrouping('numbers');
    const topology = b.createTopology();
    const collector = new RecordingCollector();
    const task = [1, 2, 3, 4].find((t) => {
      try {
        return taskContext('held', topology, 'slow', t) !== undefined;
      } catch {
        return false;
      }
    }) as number;
    await bolt.prepare(topology.config, taskContext('held', topology, 'slow', task), collector);
    const fields = new Fields(['n']);
    const results: (void | Promise<void>)[] = [];
    let most = 0;
    for (let i = 0; i < 40; i++) {
      results.push(bolt.execute(new TupleImpl([i], fields, 'numbers', 'default', 1)));
      most = Math.max(most, bolt.heldTuples());
    }
    expect(results.slice(0, 5).every((r) => r === undefined)).toBe(true);
    expect(results.slice(5).every((r) => r instanceof Promise)).toBe(true);
    const timer = setInterval(() => (most = Math.max(most, bolt.heldTuples())), 1);
    try {
      await Promise.all(results.filter((r): r is Promise<void> => r instanceof Promise));
      await eventually(() => collector.recorded.acked.length === 40, 'every input acked');
    } finally {
      clearInterval(timer);
    }
    expect(most).toBeLessThanOrEqual(5);
    expect(bolt.heldTuples()).toBe(0);
    expect(collector.recorded.emits.map((e) => e.values[0])).toEqual(Array.from({ length: 40 }, (_, i) => i));
    await bolt.cleanup();
  });

  it('a drain with acking off waits for the tuples a subprocess holds', async () => {
    const n = 16;
    const feeder = new Source(['n']);
    const tally = new Tally();
    const slow = new ShellBolt({
      command: ['python3', path.join(FIXTURES, 'slow_bolt.py')],
      env: { ...PY_ENV, SLOW_MS: '30' },
      outputFields: ['n'],
      logger: new MemoryLogger(),
    });
    const b = new TopologyBuilder();
    b.setSpout('feed', feeder);
    b.setBolt('slow', slow).shuffleGrouping('feed');
    b.setBolt('count', new CountingBolt(tally)).shuffleGrouping('slow');
    const cluster = new LocalCluster({ logger: new MemoryLogger() });
    await cluster.submitTopology('drain-unacked', { 'topology.acker.executors': 0 }, b.createTopology());
    for (let i = 0; i < n; i++) feeder.feed([i]);
    await eventually(() => (cluster.getTopologySummary('drain-unacked').components.slow?.executed ?? 0) === n, 'the bolt to take every input');
    // The subprocess still holds most of them (30 ms each): the kill must wait for their emits.
    expect(tally.total).toBeLessThan(n);
    const drained = await cluster.killTopology('drain-unacked', { waitMs: 20_000 });
    await cluster.shutdown();
    expect(drained).toBe(true);
    expect(tally.total).toBe(n);
  });

  it('completeTopology runs multilang commands in its resourcesDir', async () => {
    const b = new TopologyBuilder();
    b.setSpout('numbers', { open() {}, nextTuple() {}, declareOutputFields: (d: OutputFieldsDeclarer) => d.declare(['n']) } as never);
    // A bare file name, run in the resources directory.
    b.setBolt('bare', new ShellBolt({ command: ['python3', 'passthrough_bolt.py'], env: PY_ENV, outputFields: ['n'] })).shuffleGrouping('numbers');
    const inputs = [[1], [2], [3]];
    const bare = await completeTopology(b.createTopology(), { mockedSources: { numbers: inputs }, resourcesDir: PY_EXAMPLES, timeoutMs: 20_000, logger: new MemoryLogger() });
    expect(bare.emitted.bare?.default).toEqual(inputs);
    expect(bare.summary.errors).toEqual([]);
    // A cwd relative to the resources directory.
    const b2 = new TopologyBuilder();
    b2.setSpout('numbers', { open() {}, nextTuple() {}, declareOutputFields: (d: OutputFieldsDeclarer) => d.declare(['n']) } as never);
    b2.setBolt('relative', new ShellBolt({ command: ['python3', 'passthrough_bolt.py'], cwd: 'examples', env: PY_ENV, outputFields: ['n'] })).shuffleGrouping('numbers');
    const relative = await completeTopology(b2.createTopology(), {
      mockedSources: { numbers: inputs },
      resourcesDir: path.join(ROOT, 'multilang/python'),
      timeoutMs: 20_000,
      logger: new MemoryLogger(),
    });
    expect(relative.emitted.relative?.default).toEqual(inputs);
  });
});
