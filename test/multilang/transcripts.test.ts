/**
 * The host against the golden transcripts (multilang/spec/transcripts): a fake child
 * (fixtures/replay_child.py) replays each conversation's child messages, decoded from child.bin,
 * while the test drives a real ShellBolt/ShellSpout through the host's side; what the host wrote
 * is compared with host.bin decoded, host-generated ids normalised.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Fields, ShellBolt, ShellSpout, TopologyBuilder, type Bolt, type Config, type Spout, type Topology } from 'squall';
import { MemoryLogger, TupleImpl } from 'squall/internal';
import {
  FIXTURES,
  RecordingCollector,
  RecordingSpoutCollector,
  TRANSCRIPTS,
  conversation,
  decodeBin,
  taskContext,
  removeTempDirs,
  tempDir,
  type Step,
} from './helpers.js';
import { eventually } from '../helpers/wait.js';

afterAll(removeTempDirs);

const SERIALIZERS = ['msgpack', 'json'] as const;
type Serializer = (typeof SERIALIZERS)[number];

/** A stand-in for components the transcripts only mention. */
const placeholderSpout = (fields: string[]): Spout =>
  ({ open() {}, nextTuple() {}, declareOutputFields: (d) => d.declare(fields) }) as Spout;
const placeholderBolt = (streams: Record<string, string[]> = {}): Bolt =>
  ({ prepare() {}, execute() {}, declareOutputFields: (d) => Object.entries(streams).forEach(([s, f]) => d.declareStream(s, f)) }) as Bolt;

function replay(name: string): { command: string[]; record: string } {
  const record = path.join(tempDir('replay'), 'record.json');
  return { command: ['python3', path.join(FIXTURES, 'replay_child.py'), path.join(TRANSCRIPTS, name), record], record };
}

const CONF: Config = {
  'topology.workers': 1,
  'topology.acker.executors': 1,
  'topology.debug': false,
  'topology.message.timeout.secs': 30,
  'topology.subprocess.timeout.secs': 30,
};

/** Host messages as the transcript has them (host.bin), and as the host wrote them, ids normalised. */
function compare(name: string, serializer: Serializer, recordFile: string): { expected: unknown[]; actual: unknown[] } {
  const expected = decodeBin(path.join(TRANSCRIPTS, name, serializer, 'host.bin'), serializer);
  const fromJson = conversation(name).filter((s) => s.from === 'host').map((s) => s.msg);
  expect(expected).toEqual(fromJson);
  const actual = JSON.parse(readFileSync(recordFile, 'utf8')) as unknown[];
  // Ids the host made up, mapped onto the transcript's.
  const ids = new Map<unknown, unknown>();
  expected.forEach((e, i) => {
    const a = actual[i] as Record<string, unknown> | undefined;
    if (typeof e !== 'object' || e === null || Array.isArray(e) || a === undefined) return;
    const em = e as Record<string, unknown>;
    if (typeof em.id === 'string' && em.id !== '') ids.set(a.id, em.id);
    if (em.command === 'tuples') {
      (em.tuples as unknown[][]).forEach((t, j) => ids.set((a.tuples as unknown[][] | undefined)?.[j]?.[0], t[0]));
    }
    // Credits depend on the room under max.spout.pending: any positive count is right.
    if (em.command === 'next' && typeof em.credits === 'number' && typeof a.credits === 'number' && a.credits > 0) a.credits = em.credits;
  });
  const rename = (v: unknown): unknown =>
    typeof v === 'string' ? (ids.get(v) ?? v) : Array.isArray(v) ? v.map(rename) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rename(x)])) : v;
  // `acks` with one id means `ack` (PROTOCOL.md §3): either form is right.
  const canonical = (m: unknown): unknown => {
    const o = m as Record<string, unknown>;
    if (o !== null && typeof o === 'object' && (o.command === 'acks' || o.command === 'fails') && (o.ids as unknown[]).length === 1) {
      return { command: o.command === 'acks' ? 'ack' : 'fail', id: (o.ids as unknown[])[0] };
    }
    return m;
  };
  return { expected: expected.map(canonical), actual: actual.map(rename).map(canonical) };
}

/** The handshake: pidDir given, the context exactly Storm's keys, every transcript conf key (but storm.id) equal. */
function checkHandshake(expected: unknown, actual: unknown): void {
  const e = expected as { conf: Record<string, unknown>; context: unknown; squall?: unknown };
  const a = actual as { pidDir: unknown; conf: Record<string, unknown>; context: unknown; squall?: unknown };
  expect(typeof a.pidDir).toBe('string');
  expect(a.context).toEqual(e.context);
  expect(a.squall).toEqual(e.squall);
  for (const [k, v] of Object.entries(e.conf)) if (k !== 'storm.id') expect(a.conf[k], `conf ${k}`).toEqual(v);
}

/** Child messages handled by the host so far must reach `n` (the handshake reply excluded). */
const childStepsBefore = (steps: Step[], i: number): number => steps.slice(0, i).filter((s) => s.from === 'child').length - 1;

function wordCountTopology(split: ShellBolt, conf: Config): Topology {
  const b = new TopologyBuilder();
  b.setSpout('sentences', placeholderSpout(['sentence']));
  b.setBolt('split', split, 2).shuffleGrouping('sentences');
  b.setBolt('count', placeholderBolt(), 2).fieldsGrouping('split', ['word']);
  return b.createTopology(conf);
}

function tupleOf(m: { comp: string; stream: string; task: number; tuple: unknown[] }): TupleImpl {
  const fields = m.stream === '__tick' ? ['rate_secs'] : m.tuple.map((_, i) => (i === 0 ? 'sentence' : `f${i}`));
  return new TupleImpl(m.tuple as never, new Fields(fields), m.comp, m.stream, m.task);
}

/** Drives a bolt through a bolt conversation: tuples, `tuples` batches and heartbeats, in order. */
async function driveBolt(bolt: ShellBolt, steps: Step[]): Promise<void> {
  for (let i = 1; i < steps.length; i++) {
    const step = steps[i] as Step;
    const m = step.msg as Record<string, unknown>;
    if (step.from === 'child' || Array.isArray(m)) continue; // task ids are the host's own answers
    const before = childStepsBefore(steps, i);
    await eventually(() => bolt.stats.messages >= before, `the host to handle ${before} child message(s)`);
    if (m.stream === '__heartbeat') bolt.heartbeat();
    else if (m.command === 'tuples') {
      for (const [id, comp, stream, task, tuple] of m.tuples as [string, string, string, number, unknown[]][]) {
        void id;
        void bolt.execute(tupleOf({ comp, stream, task, tuple }));
      }
    } else void bolt.execute(tupleOf(m as never));
  }
  const all = steps.filter((s) => s.from === 'child').length - 1;
  await eventually(() => bolt.stats.messages >= all, `the host to handle all ${all} child messages`);
}

describe.each(SERIALIZERS)('golden transcripts (%s)', (serializer) => {
  it.each(['bolt-legacy-split', 'bolt-ext-split'])('%s: the host side of the conversation', async (name) => {
    const steps = conversation(name);
    const ext = name.includes('ext');
    const { command, record } = replay(name);
    const logger = new MemoryLogger();
    const bolt = new ShellBolt({ command, outputFields: ['word'], serializer, extension: ext, logger, heartbeatIntervalMs: 1e9 });
    const conf: Config = { ...CONF, 'topology.max.spout.pending': 1000, 'topology.tick.tuple.freq.secs': 5, 'topology.shellbolt.max.pending': 100 };
    const topology = wordCountTopology(bolt, conf);
    const task = ext ? 6 : 5;
    // The transcript's task-id replies, in order, are what the runtime's emits return.
    const taskIds = steps.filter((s) => s.from === 'host' && Array.isArray(s.msg)).map((s) => s.msg as number[]);
    const collector = new RecordingCollector(taskIds);
    await bolt.prepare(topology.config, taskContext('word-count', topology, 'split', task), collector);
    await driveBolt(bolt, steps);
    await bolt.cleanup();

    const { expected, actual } = compare(name, serializer, record);
    checkHandshake(expected[0], actual[0]);
    expect(actual.slice(1)).toEqual(expected.slice(1));
    // What the host did with the child's messages.
    const r = collector.recorded;
    const words = r.emits.map((e) => e.values[0]);
    expect(words).toEqual(ext ? ['the', 'cow', 'jumped', 'over'] : ['the', 'cow', 'jumped', 'over', 'the', 'moon']);
    for (const e of r.emits) expect(e.anchors.length).toBe(1);
    expect(r.acked.map((t) => t.sourceStreamId)).toEqual(ext ? ['default', 'default', '__tick'] : ['default', 'default', '__tick']);
    expect(r.failed.map((t) => t.values[0])).toEqual(ext ? [''] : []);
    expect(r.errors).toEqual([]);
    const infoLogs = logger.lines.filter((l) => l.message.includes('sentences into'));
    expect(infoLogs).toHaveLength(1);
    expect(infoLogs[0]?.level).toBe('info');
    expect(infoLogs[0]?.message).toMatch(/^split:\d+ \[pid \d+\] split 2 sentences into \d words so far$/);
  });

  it('bolt-legacy-log-error-metrics: log levels, metrics, error, named stream, emitDirect', async () => {
    const name = 'bolt-legacy-log-error-metrics';
    const steps = conversation(name);
    const { command, record } = replay(name);
    const logger = new MemoryLogger();
    const inspect = new ShellBolt({
      command,
      streams: { default: { fields: ['word', 'length'], direct: true }, audit: { fields: ['event'] } },
      serializer,
      extension: false,
      logger,
      heartbeatIntervalMs: 1e9,
    });
    const conf: Config = { ...CONF, 'topology.max.spout.pending': 500, 'topology.shellbolt.max.pending': 100 };
    const b = new TopologyBuilder();
    b.setSpout('sentences', placeholderSpout(['sentence']));
    b.setBolt('inspect', inspect).shuffleGrouping('sentences');
    b.setBolt('audit-log', placeholderBolt()).shuffleGrouping('inspect', 'audit');
    b.setBolt('sink', placeholderBolt(), 3).directGrouping('inspect');
    const topology = b.createTopology(conf);
    const collector = new RecordingCollector([[2]]);
    await inspect.prepare(topology.config, taskContext('inspect-words', topology, 'inspect', 3), collector);
    await driveBolt(inspect, steps);
    await inspect.cleanup();

    const { expected, actual } = compare(name, serializer, record);
    checkHandshake(expected[0], actual[0]);
    expect(actual.slice(1)).toEqual(expected.slice(1));
    const r = collector.recorded;
    expect(r.emits.map((e) => [e.stream, e.task, e.values])).toEqual([
      ['audit', undefined, ["unknown word 'zorp'"]],
      ['default', 6, ['hello', 5]],
      ['default', 7, ['zorp', 4]],
    ]);
    expect(r.acked).toHaveLength(1);
    const levels = logger.lines.filter((l) => l.message.startsWith('inspect:3 ')).map((l) => l.level);
    expect(levels).toEqual(['trace', 'debug', 'info', 'warn', 'error']);
    expect(logger.lines.every((l) => !l.message.startsWith('inspect:3 ') || /^inspect:3 \[pid \d+\] /.test(l.message))).toBe(true);
    expect(inspect.stats.metric('unknown-words')).toEqual({ updates: 1, last: 1, sum: 1 });
    expect(r.errors).toHaveLength(1);
    expect((r.errors[0] as Error).message).toMatch(/Multilang bolt 'inspect' task 3 \(pid \d+.*reported: unknown word 'zorp' in sentence 'hello zorp'/);
    expect((r.errors[0] as { code?: string }).code).toBe('MULTILANG');
  });

  it.each(['spout-legacy', 'spout-ext-credits'])('%s: the host side of the conversation', async (name) => {
    const steps = conversation(name);
    const ext = name.includes('ext');
    const { command, record } = replay(name);
    const spout = new ShellSpout({
      command,
      outputFields: ext ? ['user', 'page'] : ['sentence'],
      serializer,
      extension: ext,
      maxCredits: 3,
      logger: new MemoryLogger(),
    });
    const b = new TopologyBuilder();
    let task: number;
    let topologyName: string;
    if (ext) {
      b.setSpout('events', spout);
      b.setBolt('sessionize', placeholderBolt(), 2).fieldsGrouping('events', ['user']);
      task = 2;
      topologyName = 'clickstream';
    } else {
      b.setSpout('sentences', spout);
      b.setBolt('split', placeholderBolt({ default: ['word'] }), 2).shuffleGrouping('sentences');
      b.setBolt('count', placeholderBolt(), 2).fieldsGrouping('split', ['word']);
      task = 4;
      topologyName = 'word-count';
    }
    const topology = b.createTopology({ ...CONF, 'topology.max.spout.pending': ext ? 2000 : 1000 });
    const taskIds = steps.filter((s) => s.from === 'host' && Array.isArray(s.msg)).map((s) => s.msg as number[]);
    const collector = new RecordingSpoutCollector(taskIds);
    const component = ext ? 'events' : 'sentences';
    await spout.open(topology.config, taskContext(topologyName, topology, component, task), collector);
    const messageId = (id: unknown): unknown => [...collector.emits].reverse().find((e) => (e.messageId as { id?: unknown } | undefined)?.id === id)?.messageId;
    for (let i = 1; i < steps.length; i++) {
      const step = steps[i] as Step;
      const m = step.msg as Record<string, unknown>;
      if (step.from === 'child' || Array.isArray(m)) continue;
      const before = childStepsBefore(steps, i);
      await eventually(() => spout.stats.messages >= before, `the host to handle ${before} child message(s); errors: ${collector.errors.map(String).join('; ')}`);
      switch (m.command) {
        case 'activate':
          spout.activate();
          break;
        case 'deactivate':
          spout.deactivate();
          break;
        case 'next':
          spout.nextTuple();
          break;
        case 'ack':
        case 'fail':
          collector.pending--;
          spout[m.command](messageId(m.id));
          break;
        case 'acks':
        case 'fails':
          for (const id of m.ids as unknown[]) {
            collector.pending--;
            if (m.command === 'acks') spout.ack(messageId(id));
            else spout.fail(messageId(id));
          }
          break;
      }
      // One host step, one write: the child reads the conversation step by step.
      await new Promise((r) => setImmediate(r));
    }
    const all = steps.filter((s) => s.from === 'child').length - 1;
    await eventually(() => spout.stats.messages >= all, `the host to handle all ${all} child messages; errors: ${collector.errors.map(String).join('; ')}`);
    // Let the last command (no answer expected) reach the child before stdin closes.
    await new Promise((r) => setImmediate(r));
    await spout.close();

    const { expected, actual } = compare(name, serializer, record);
    checkHandshake(expected[0], actual[0]);
    expect(actual.slice(1)).toEqual(expected.slice(1));
    expect(collector.emits.map((e) => e.values)).toEqual(
      ext
        ? [['alice', '/home'], ['bob', '/cart'], ['alice', '/cart'], ['carol', '/home'], ['bob', '/checkout'], ['bob', '/cart'], ['carol', '/home']]
        : [['the cow jumped over the moon'], ['an apple a day keeps the doctor away'], ['an apple a day keeps the doctor away']],
    );
    // Message ids are kept exactly as the child gave them: numbers stay numbers.
    expect(collector.emits.map((e) => (e.messageId as { id?: unknown } | undefined)?.id)).toEqual(
      ext ? [1, 2, 3, 4, undefined, 2, 4] : ['sentence-0', 'sentence-1', 'sentence-1'],
    );
    expect(collector.errors).toEqual([]);
  });
});
