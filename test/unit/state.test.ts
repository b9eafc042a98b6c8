import { afterEach, describe, expect, it } from 'vitest';
import {
  BaseBasicBolt,
  BaseRichSpout,
  BaseStatefulBolt,
  ConfigError,
  TopologyBuilder,
  type OutputFieldsDeclarer,
  type Tuple,
  type Value,
} from 'squall';
import { CHECKPOINT_COMPONENT, CHECKPOINT_STREAM, nextCheckpointAction, nextCheckpointState, systemTopology, type CheckpointState } from 'squall/internal';
import { CheckpointedKeyValueState, MemoryStateStore, type StateKey } from '../../src/state/index.js';

/** One of every kind of tuple value, nested ones included. */
const EVERY_VALUE: Record<string, Value> = {
  string: 'héllo wörld ✓',
  empty: '',
  int: 42,
  negative: -7,
  float: 3.25,
  big: 2n ** 62n,
  bigNegative: -(2n ** 40n),
  yes: true,
  no: false,
  nothing: null,
  bytes: new Uint8Array([0, 1, 2, 254, 255]),
  array: [1, 'two', [3, null], { four: 4 }],
  object: { a: 1, b: [true, 'x'], c: { d: new Uint8Array([9]) }, e: 2n ** 50n },
};

let seq = 0;
const freshNamespace = (): string => `unit-test:${process.pid}:${seq++}`;

async function reopen<K extends StateKey, V extends Value>(ns: string): Promise<CheckpointedKeyValueState<K, V>> {
  return CheckpointedKeyValueState.open<K, V>(new MemoryStateStore(ns));
}

afterEach(() => MemoryStateStore.clear('unit-test:'));

describe('key-value state', () => {
  it('gets, puts, deletes and iterates like a Map', async () => {
    const s = await reopen<string, number>(freshNamespace());
    expect(s.size).toBe(0);
    expect(s.get('a')).toBeUndefined();
    expect(s.get('a', 5)).toBe(5);
    s.put('a', 1);
    s.put('b', 2);
    s.put('a', 3);
    expect(s.get('a')).toBe(3);
    expect(s.has('b')).toBe(true);
    expect(s.size).toBe(2);
    expect(s.delete('b')).toBe(true);
    expect(s.delete('b')).toBe(false);
    expect(s.has('b')).toBe(false);
    s.put('c', 4);
    expect([...s]).toEqual([
      ['a', 3],
      ['c', 4],
    ]);
    expect([...s.keys()]).toEqual(['a', 'c']);
    expect([...s.values()]).toEqual([3, 4]);
    expect(Object.fromEntries(s.entries())).toEqual({ a: 3, c: 4 });
  });

  it('round-trips every tuple value type through a commit and a reload', async () => {
    const ns = freshNamespace();
    const s = await reopen<string, Value>(ns);
    for (const [k, v] of Object.entries(EVERY_VALUE)) s.put(k, v);
    for (const [k, v] of Object.entries(EVERY_VALUE)) expect(s.get(k), k).toEqual(v);
    await s.prepareCommit(1);
    await s.commit(1);
    const again = await reopen<string, Value>(ns);
    expect(again.lastCommittedTxid).toBe(1);
    for (const [k, v] of Object.entries(EVERY_VALUE)) expect(again.get(k), k).toEqual(v);
    expect(again.size).toBe(Object.keys(EVERY_VALUE).length);
  });

  it('keeps keys of different types apart and refuses keys that are not primitives', async () => {
    const ns = freshNamespace();
    const s = await reopen<StateKey, string>(ns);
    s.put(1, 'number');
    s.put('1', 'string');
    s.put(1n, 'bigint');
    s.put(true, 'boolean');
    expect(s.size).toBe(4);
    await s.prepareCommit(1);
    await s.commit(1);
    const again = await reopen<StateKey, string>(ns);
    expect([1, '1', 1n, true].map((k) => again.get(k))).toEqual(['number', 'string', 'bigint', 'boolean']);
    expect(() => s.put([1] as unknown as StateKey, 'x')).toThrow(/state keys must be strings, numbers, bigints or booleans/);
    expect(() => s.put('u', undefined as unknown as string)).toThrow(/state values must be tuple values/);
  });

  it('copies object values in and out: mutating them does not change the state', async () => {
    const s = await reopen<string, Value>(freshNamespace());
    const list = [1, 2];
    const bytes = new Uint8Array([1, 2, 3]);
    s.put('list', list);
    s.put('bytes', bytes);
    list.push(3);
    bytes[0] = 99;
    expect(s.get('list')).toEqual([1, 2]);
    (s.get('list') as number[]).push(4);
    (s.get('bytes') as Uint8Array)[1] = 99;
    expect(s.get('list')).toEqual([1, 2]);
    expect(s.get('bytes')).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('commits only what was prepared: later changes wait for the next checkpoint', async () => {
    const ns = freshNamespace();
    const s = await reopen<string, number>(ns);
    s.put('a', 1);
    await s.prepareCommit(1);
    s.put('b', 2);
    await s.commit(1);
    expect(Object.fromEntries(await reopen<string, number>(ns))).toEqual({ a: 1 });
    await s.prepareCommit(2);
    await s.commit(2);
    expect(Object.fromEntries(await reopen<string, number>(ns))).toEqual({ a: 1, b: 2 });
    // A commit of a txid already committed is a no-op (rolled forward twice).
    await s.commit(2);
  });

  it('rolls back to the last commit: prepared and unprepared changes alike', async () => {
    const ns = freshNamespace();
    const s = await reopen<string, number>(ns);
    s.put('kept', 1);
    s.put('changed', 1);
    s.put('deleted', 1);
    await s.prepareCommit(1);
    await s.commit(1);
    s.put('changed', 2);
    s.delete('deleted');
    s.put('added', 2);
    await s.prepareCommit(2);
    s.put('changed', 3);
    s.put('kept', 3);
    s.put('late', 3);
    s.delete('added');
    await s.rollback();
    expect(Object.fromEntries(s)).toEqual({ kept: 1, changed: 1, deleted: 1 });
    expect((await new MemoryStateStore(ns).load()).prepared).toBeNull();
    // The next round starts from there.
    s.put('after', 4);
    await s.prepareCommit(2);
    await s.commit(2);
    expect(Object.fromEntries(await reopen<string, number>(ns))).toEqual({ kept: 1, changed: 1, deleted: 1, after: 4 });
  });

  it('rolls a prepared transaction forward after a restart, and a commit of another txid is refused', async () => {
    const ns = freshNamespace();
    const s = await reopen<string, number>(ns);
    s.put('a', 1);
    await s.prepareCommit(1);
    await s.commit(1);
    s.put('a', 2);
    s.delete('gone');
    s.put('b', 2);
    await s.prepareCommit(2);
    // The worker dies here. The new task sees the committed data, and commits the prepared changes.
    const restarted = await reopen<string, number>(ns);
    expect(Object.fromEntries(restarted)).toEqual({ a: 1 });
    await expect(restarted.commit(3)).rejects.toThrow(/commit of txid 3, but the prepared changes are for txid 2/);
    await restarted.commit(2);
    expect(Object.fromEntries(restarted)).toEqual({ a: 2, b: 2 });
    expect(Object.fromEntries(await reopen<string, number>(ns))).toEqual({ a: 2, b: 2 });
  });

  it('carries a first prepare into a second one made before any commit', async () => {
    const ns = freshNamespace();
    const s = await reopen<string, number>(ns);
    s.put('a', 1);
    await s.prepareCommit(1);
    s.put('b', 2);
    await s.prepareCommit(1);
    await s.commit(1);
    expect(Object.fromEntries(await reopen<string, number>(ns))).toEqual({ a: 1, b: 2 });
  });
});

describe('checkpoint spout cycle', () => {
  const at = (txid: number, phase: CheckpointState['phase']): CheckpointState => ({ txid, phase });

  it('goes COMMITTED -> PREPARING -> COMMITTING -> COMMITTED with PREPARE then COMMIT', () => {
    expect(nextCheckpointAction(at(4, 'COMMITTED'), false)).toBe('PREPARE');
    expect(nextCheckpointState(at(4, 'COMMITTED'), false)).toEqual(at(5, 'PREPARING'));
    expect(nextCheckpointAction(at(5, 'PREPARING'), false)).toBe('PREPARE');
    expect(nextCheckpointState(at(5, 'PREPARING'), false)).toEqual(at(5, 'COMMITTING'));
    expect(nextCheckpointAction(at(5, 'COMMITTING'), false)).toBe('COMMIT');
    expect(nextCheckpointState(at(5, 'COMMITTING'), false)).toEqual(at(5, 'COMMITTED'));
  });

  it('recovers: PREPARING rolls back, COMMITTING rolls forward, then INITSTATE', () => {
    expect(nextCheckpointAction(at(5, 'PREPARING'), true)).toBe('ROLLBACK');
    expect(nextCheckpointState(at(5, 'PREPARING'), true)).toEqual(at(4, 'COMMITTED'));
    expect(nextCheckpointAction(at(5, 'COMMITTING'), true)).toBe('COMMIT');
    expect(nextCheckpointState(at(5, 'COMMITTING'), true)).toEqual(at(5, 'COMMITTED'));
    expect(nextCheckpointAction(at(5, 'COMMITTED'), true)).toBe('INITSTATE');
    const committed = at(5, 'COMMITTED');
    expect(nextCheckpointState(committed, true)).toBe(committed);
  });
});

class Words extends BaseRichSpout {
  nextTuple(): void {}
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word']);
  }
}

class Upper extends BaseBasicBolt {
  execute(): void {}
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word']);
  }
}

class Counter extends BaseStatefulBolt<string, number> {
  execute(t: Tuple): void {
    this.collector.ack(t);
  }
}

function statefulBuilder(): TopologyBuilder {
  const b = new TopologyBuilder();
  b.setSpout('words', Words, 2);
  b.setBolt('upper', Upper, 2).shuffleGrouping('words');
  b.setBolt('count', Counter, 3).fieldsGrouping('upper', ['word']).shuffleGrouping('words');
  return b;
}

describe('checkpoint wiring and validation', () => {
  it('adds the checkpoint spout and streams only when a bolt is stateful', () => {
    const t = statefulBuilder().createTopology();
    expect(t.spec.components.count?.stateful).toBe(true);
    expect(t.spec.components[CHECKPOINT_COMPONENT]).toBeUndefined();
    const sys = systemTopology(t.spec, 1);
    const spout = sys.components[CHECKPOINT_COMPONENT];
    expect(spout).toMatchObject({ kind: 'spout', tasks: 1, streams: { [CHECKPOINT_STREAM]: { fields: ['txid', 'action'] } } });
    // Bolts fed by spouts hear from the checkpoint spout; others from their upstream bolts; once each.
    const checkpointInputs = (id: string) =>
      sys.components[id]?.inputs.filter((i) => i.stream === CHECKPOINT_STREAM).map((i) => [i.component, i.grouping.type]);
    expect(checkpointInputs('upper')).toEqual([[CHECKPOINT_COMPONENT, 'all']]);
    expect(checkpointInputs('count')).toEqual([
      ['upper', 'all'],
      [CHECKPOINT_COMPONENT, 'all'],
    ]);
    expect(Object.keys(sys.components.upper?.streams ?? {})).toContain(CHECKPOINT_STREAM);
    // Acking is wired for the checkpoint spout like any spout.
    expect(Object.keys(spout?.streams ?? {})).toContain('__ack_init');

    const plain = new TopologyBuilder();
    plain.setSpout('words', Words);
    plain.setBolt('upper', Upper).shuffleGrouping('words');
    expect(systemTopology(plain.createTopology().spec, 1).components[CHECKPOINT_COMPONENT]).toBeUndefined();
  });

  it('refuses a checkpoint interval not shorter than the message timeout, at build and at submit', () => {
    const build = (config: Record<string, unknown>) => () => statefulBuilder().createTopology(config);
    expect(build({ 'topology.message.timeout.secs': 1, 'topology.state.checkpoint.interval.ms': 1000 })).toThrow(ConfigError);
    expect(build({ 'topology.message.timeout.secs': 1, 'topology.state.checkpoint.interval.ms': 1000 })).toThrow(
      "Invalid configuration 'topology.state.checkpoint.interval.ms': must be shorter than the message timeout (topology.message.timeout.secs = 1, i.e. 1000 ms), got 1000",
    );
    expect(build({ 'topology.message.timeout.secs': 1, 'topology.state.checkpoint.interval.ms': 999 })).not.toThrow();
    const ok = statefulBuilder().createTopology({ 'topology.state.checkpoint.interval.ms': 5000 });
    expect(() => ok.withConfig({ 'topology.message.timeout.secs': 5 })).toThrow(/must be shorter than the message timeout/);
    // A topology without stateful bolts does not care.
    const plain = new TopologyBuilder();
    plain.setSpout('words', Words);
    expect(() => plain.createTopology({ 'topology.message.timeout.secs': 0.3 })).not.toThrow();
  });

  it('refuses stateful bolts with acking off, and bad provider settings', () => {
    expect(() => statefulBuilder().createTopology({ 'topology.acker.executors': 0 })).toThrow(/'topology.acker.executors': a topology with stateful bolts needs acking/);
    expect(() => statefulBuilder().createTopology({ 'topology.state.provider': 'disk' as never })).toThrow(/expected one of "memory", "redis"/);
    expect(() =>
      statefulBuilder().createTopology({ 'topology.state.provider': 'redis', 'topology.state.provider.config': { url: 'http://x' } }),
    ).toThrow(/url must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => statefulBuilder().createTopology({ 'topology.state.provider.config': 'redis://x' as never })).toThrow(/expected an object or null/);
  });
});
