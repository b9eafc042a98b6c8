import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BaseBasicBolt,
  BaseRichSpout,
  BaseStatefulBolt,
  LocalCluster,
  TopologyBuilder,
  validateConfig,
  type BasicOutputCollector,
  type Config,
  type KeyValueState,
  type OutputFieldsDeclarer,
  type Tuple,
  type Value,
} from 'squall';
import { TupleImpl, WorkerRuntime, decodeValues, encodeValues } from 'squall/internal';
import { completeTopology } from 'squall/testing';
import { CheckpointedKeyValueState, MemoryStateStore, decodeKey, decodeValue, openStateStore, stateNamespace } from '../../src/state/index.js';
import statefulWordCount from '../../topologies/stateful-word-count/topology.js';
import { startRedis, type RunningServer } from '../helpers/servers.js';
import { eventually, eventuallyAsync } from '../helpers/wait.js';

/**
 * A durable source of numbered messages, a Kafka partition in miniature: it outlives topologies,
 * so a spout opened after a crash replays every message never acked. Records acks and fails.
 */
class Source {
  readonly acks = new Map<number, number>();
  fails = 0;
  emitted = 0;

  constructor(readonly total: number) {}

  static words(id: number): string[] {
    return [`w${id % 13}`, `v${(id * 7) % 17}`, 'all'];
  }

  /** The counts a run that processed each of `ids` exactly once would have. */
  static trueCounts(ids: Iterable<number>): Map<string, number> {
    const out = new Map<string, number>();
    for (const id of ids) for (const w of Source.words(id)) out.set(w, (out.get(w) ?? 0) + 1);
    return out;
  }

  get allAcked(): boolean {
    return this.acks.size === this.total;
  }
}

class SourceSpout extends BaseRichSpout {
  private queue: number[] = [];

  constructor(private readonly source: Source) {
    super();
  }

  override open(...args: Parameters<BaseRichSpout['open']>): void {
    super.open(...args);
    // Each task of the spout owns the ids equal to its index modulo the task count.
    const tasks = this.context.getComponentTasks(this.context.thisComponentId).length;
    for (let id = this.context.thisTaskIndex; id < this.source.total; id += tasks) if (!this.source.acks.has(id)) this.queue.push(id);
  }

  nextTuple(): void {
    const id = this.queue.shift();
    if (id === undefined) return;
    this.source.emitted++;
    this.collector.emit([id, Source.words(id).join(' ')], id);
  }

  override ack(id: unknown): void {
    this.source.acks.set(id as number, (this.source.acks.get(id as number) ?? 0) + 1);
  }

  override fail(id: unknown): void {
    this.source.fails++;
    this.queue.push(id as number);
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['id', 'sentence']);
  }
}

class Split extends BaseBasicBolt {
  execute(t: Tuple, c: BasicOutputCollector): void {
    for (const w of t.getStringByField('sentence').split(' ')) c.emit([w]);
  }
  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word']);
  }
}

/** What stateful bolts saw, shared by their task copies. */
class Probe {
  executedBeforeInit = 0;
  readonly initialStates: Record<string, number>[] = [];
  failPrepareAt = -1;
  failedPrepares = 0;
  rollbacks = 0;
  /** After each rollback, per task: the state then, and the state as of the last commit. */
  readonly afterRollback: { state: Record<string, number>; lastCommit: Record<string, number> }[] = [];
}

class Count extends BaseStatefulBolt<string, number> {
  private prepared: Record<number, Record<string, number>> = {};
  private lastCommit: Record<string, number> = {};
  private checkAfterRollback = false;

  constructor(private readonly probe: Probe) {
    super();
  }

  override initState(state: KeyValueState<string, number>): void {
    this.state = state;
    this.probe.initialStates.push(Object.fromEntries(state));
    this.lastCommit = Object.fromEntries(state);
  }

  execute(t: Tuple): void {
    if (this.state === undefined) this.probe.executedBeforeInit++;
    if (this.checkAfterRollback) {
      this.checkAfterRollback = false;
      this.probe.afterRollback.push({ state: Object.fromEntries(this.state), lastCommit: this.lastCommit });
    }
    const w = t.getStringByField('word');
    this.state.put(w, this.state.get(w, 0) + 1);
    this.collector.emit(t, [w]);
    this.collector.ack(t);
  }

  override prePrepare(txid: number): void {
    if (txid === this.probe.failPrepareAt && this.probe.failedPrepares++ === 0) throw new Error('disk full');
    this.prepared[txid] = Object.fromEntries(this.state);
  }

  override preCommit(txid: number): void {
    this.lastCommit = this.prepared[txid] ?? this.lastCommit;
    this.prepared = {};
  }

  override preRollback(): void {
    this.probe.rollbacks++;
    this.checkAfterRollback = true;
    this.prepared = {};
  }

  override declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declare(['word']);
  }
}

/** A plain bolt after the stateful one: checkpoints must flow through it too. */
class Sink extends BaseBasicBolt {
  execute(): void {}
}

const COUNT_TASKS = 2;

/** One of every kind of tuple value, nested ones included. */
const EVERY_VALUE: Record<string, Value> = {
  string: 'héllo wörld ✓',
  int: 42,
  float: -3.25,
  big: 2n ** 62n,
  yes: true,
  nothing: null,
  bytes: new Uint8Array([0, 1, 254, 255]),
  array: [1, 'two', [3, null], { four: 4 }],
  object: { a: 1, b: [true, 'x'], c: { d: new Uint8Array([9]) }, e: -(2n ** 50n) },
};

function topology(source: Source, probe: Probe) {
  const b = new TopologyBuilder();
  b.setSpout('spout', new SourceSpout(source));
  b.setBolt('split', Split, 2).shuffleGrouping('spout');
  b.setBolt('count', new Count(probe), COUNT_TASKS).fieldsGrouping('split', ['word']);
  b.setBolt('sink', Sink).shuffleGrouping('count');
  return b.createTopology({ 'topology.max.spout.pending': 200, 'topology.state.checkpoint.interval.ms': 100 });
}

/** The committed counts of every count task, summed (fields grouping: each word is in one task). */
async function committedCounts(config: Config, name: string): Promise<Map<string, number>> {
  const cfg = validateConfig(config);
  const out = new Map<string, number>();
  for (let i = 0; i < COUNT_TASKS; i++) {
    const state = await CheckpointedKeyValueState.open<string, number>(openStateStore(cfg, stateNamespace(cfg, name, 'count', i)));
    for (const [w, n] of state) out.set(w, (out.get(w) ?? 0) + n);
    await state.close();
  }
  return out;
}

function expectNoLostUpdate(counts: ReadonlyMap<string, number>, truth: ReadonlyMap<string, number>): void {
  for (const [w, n] of truth) expect(counts.get(w) ?? 0, `count of '${w}'`).toBeGreaterThanOrEqual(n);
}

function expectEveryMessageAckedOnce(source: Source): void {
  expect(source.acks.size).toBe(source.total);
  expect([...source.acks.values()].every((n) => n === 1)).toBe(true);
}

const sum = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);

/**
 * Until `check` holds: on simulated time, moves it one checkpoint interval (100 ms) at a time; on
 * real time (Redis state: the round trips are real I/O, which simulated time does not wait for), polls.
 */
async function advanceUntil(cluster: LocalCluster, check: () => boolean | Promise<boolean>, what: string, limitMs = 120_000): Promise<void> {
  if (!cluster.clock.simulated) return eventuallyAsync(check, what, 30_000, 20);
  for (let t = 0; !(await check()); t += 100) {
    if (t >= limitMs) throw new Error(`${what}: not after ${limitMs / 1000} s of simulated time`);
    await cluster.advanceTime(100);
  }
}

let redis: RunningServer;
let client: Redis;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});

afterAll(async () => {
  await client?.quit();
  await redis?.stop();
});

const providers = {
  memory: (): Config => ({ 'topology.state.provider': 'memory', 'topology.state.provider.config': { keyPrefix: `it${prefixes++}:` } }),
  redis: (): Config => ({ 'topology.state.provider': 'redis', 'topology.state.provider.config': { url: redis.url, keyPrefix: `it${prefixes++}:` } }),
};

describe.each(['memory', 'redis'] as const)('stateful bolts with %s state', (provider) => {
  it('commits the state every round: once every message is acked, the committed counts are exact', async () => {
    const source = new Source(3000);
    const probe = new Probe();
    const config = providers[provider]();
    const cluster = new LocalCluster({ simulatedTime: provider === 'memory' });
    await cluster.submitTopology('commit', config, topology(source, probe));
    if (provider === 'redis') {
      // The first rounds land in Redis with Storm's layout while the stream still runs.
      const ns = stateNamespace(validateConfig(config), 'commit', 'count', 0);
      await advanceUntil(cluster, async () => Number(await client.hget(`${ns}$txid`, 'commit')) >= 2, 'two commits in Redis');
      expect(source.allAcked).toBe(false);
      const raw = await client.hgetallBuffer(ns);
      expect(Object.keys(raw).length).toBeGreaterThan(0);
    }
    await advanceUntil(cluster, () => source.allAcked, 'every message acked');
    // Acks are released by commits: everything acked is in the committed state already.
    const counts = await committedCounts(config, 'commit');
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(Source.trueCounts(source.acks.keys())));
    expectEveryMessageAckedOnce(source);
    expect(source.fails).toBe(0);
    expect(probe.executedBeforeInit).toBe(0);
    // Checkpoints go on while a killed topology drains, so it drains.
    expect(await cluster.killTopology('commit', { waitMs: 5000 })).toBe(true);
  });

  it('rolls back after a failed prepare: held acks fail, the state returns to the last commit, messages replay', async () => {
    const source = new Source(3000);
    const probe = new Probe();
    probe.failPrepareAt = 3;
    const config = providers[provider]();
    const cluster = new LocalCluster({ simulatedTime: provider === 'memory' });
    await cluster.submitTopology('rollback', config, topology(source, probe));
    await advanceUntil(cluster, () => source.allAcked, 'every message acked');
    const summary = cluster.getTopologySummary('rollback');
    await cluster.killTopology('rollback', { waitMs: 5000 });

    expect(probe.failedPrepares).toBeGreaterThanOrEqual(1);
    expect(summary.errors.some((e) => /checkpoint PREPARE of txid 3: disk full/.test(e.message))).toBe(true);
    // Both count tasks rolled back (also the one whose prepare had succeeded).
    expect(probe.rollbacks).toBeGreaterThanOrEqual(COUNT_TASKS);
    expect(probe.afterRollback.length).toBeGreaterThanOrEqual(1);
    for (const { state, lastCommit } of probe.afterRollback) expect(state).toEqual(lastCommit);
    // The acks held for the failed round were failed, and those messages replayed.
    expect(source.fails).toBeGreaterThan(0);
    expect(source.emitted).toBe(source.total + source.fails);
    expectEveryMessageAckedOnce(source);
    expectNoLostUpdate(await committedCounts(config, 'rollback'), Source.trueCounts(source.acks.keys()));
  });

  it('recovers after a crash: the state comes back from the last commit and the spout replays the rest', async () => {
    const source = new Source(4000);
    const config = providers[provider]();
    const cluster = new LocalCluster({ simulatedTime: provider === 'memory' });
    const before = new Probe();
    await cluster.submitTopology('crash', config, topology(source, before));
    await advanceUntil(cluster, () => source.acks.size >= 500, 'some messages acked');
    expect(source.acks.size).toBeLessThan(source.total);
    // No drain: whatever is in flight or held is lost with the worker.
    await cluster.killTopology('crash', { waitMs: 0 });
    const ackedBeforeCrash = [...source.acks.keys()];
    const committed = await committedCounts(config, 'crash');
    // Nothing acked is missing from the committed state: its ack was released by a commit.
    expectNoLostUpdate(committed, Source.trueCounts(ackedBeforeCrash));

    const after = new Probe();
    await cluster.submitTopology('crash', config, topology(source, after));
    await advanceUntil(cluster, () => source.allAcked, 'every message acked after the restart');
    await cluster.killTopology('crash', { waitMs: 5000 });

    // Each task started from the last commit (or the commit rolled forward at recovery), not from zero.
    expect(after.initialStates).toHaveLength(COUNT_TASKS);
    const restored = new Map<string, number>();
    for (const s of after.initialStates) for (const [w, n] of Object.entries(s)) restored.set(w, (restored.get(w) ?? 0) + n);
    expect(sum(Object.fromEntries(restored))).toBeGreaterThan(0);
    expectNoLostUpdate(restored, committed);
    expectEveryMessageAckedOnce(source);
    expectNoLostUpdate(await committedCounts(config, 'crash'), Source.trueCounts(source.acks.keys()));
  });
});

describe('a topology split over two workers', () => {
  it('when one worker dies and restarts, the whole graph rolls back and its new tasks start from the last commit', async () => {
    const source = new Source(3000);
    const probe = new Probe();
    const b = new TopologyBuilder();
    b.setSpout('spout', new SourceSpout(source), 2);
    b.setBolt('split', Split, 2).shuffleGrouping('spout');
    b.setBolt('count', new Count(probe), COUNT_TASKS).fieldsGrouping('split', ['word']);
    b.setBolt('sink', Sink, 2).shuffleGrouping('count');
    const config = providers.memory();
    const topology = b.createTopology({
      ...config,
      'topology.acker.executors': 2,
      'topology.max.spout.pending': 100,
      'topology.state.checkpoint.interval.ms': 100,
      // Tuples sent to the dead worker are lost: they fail by timeout.
      'topology.message.timeout.secs': 1,
    });
    const workers: WorkerRuntime[] = [];
    // Serialized and delivered later, as between processes; to whichever worker runs now.
    const wire = (to: () => WorkerRuntime | undefined) => (task: number, t: TupleImpl) => {
      const copy = new TupleImpl(decodeValues(encodeValues(t.values as never)), t.fields, t.sourceComponent, t.sourceStreamId, t.sourceTask, [...t.anchors]);
      setImmediate(() => to()?.receive(task, copy));
    };
    const plan = new WorkerRuntime({ name: 'probe', topology }).plan;
    // The first task of each component (the checkpoint spout's only one among them) goes to worker A.
    const inA = new Set<number>();
    for (const tasks of plan.componentTasks.values()) if (tasks[0] !== undefined) inA.add(tasks[0]);
    const all = [...plan.taskToComponent.keys()];
    const startB = () => new WorkerRuntime({ name: 'two', topology, tasks: all.filter((t) => !inA.has(t)), remoteTransfer: wire(() => workers[0]) });
    workers.push(new WorkerRuntime({ name: 'two', topology, tasks: all.filter((t) => inA.has(t)), remoteTransfer: wire(() => workers[1]) }), startB());
    await workers[0]!.start();
    await workers[1]!.start();
    try {
      await eventually(() => source.acks.size >= 600, 'some messages acked', 20_000);
      expect(probe.initialStates).toHaveLength(COUNT_TASKS);
      // Worker B dies: its tasks, their held acks and whatever was on the way to it are gone.
      const dead = workers[1]!;
      workers.length = 1;
      await dead.stop();
      await new Promise((r) => setTimeout(r, 300));
      workers.push(startB());
      await workers[1]!.start();
      await eventually(() => source.allAcked, 'every message acked after the restart', 30_000);
    } finally {
      for (const w of workers) await w.stop();
    }
    // B's new count task started from the last commit; the round it missed failed and A's count task rolled back.
    expect(probe.initialStates).toHaveLength(COUNT_TASKS + 1);
    expect(probe.rollbacks).toBeGreaterThanOrEqual(1);
    for (const { state, lastCommit } of probe.afterRollback) expect(state).toEqual(lastCommit);
    expectEveryMessageAckedOnce(source);
    expectNoLostUpdate(await committedCounts(config, 'two'), Source.trueCounts(source.acks.keys()));
  });
});

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A worker process running stateful word count with Redis state, over a durable source: the
 * message ids acked are appended to a file (a committed consumer offset, in effect), and a new
 * process replays every id not in it. Exits when every message is acked.
 */
const CRASH_WORKER = `
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { BaseBasicBolt, BaseRichSpout, BaseStatefulBolt, LocalCluster, TopologyBuilder } from ${JSON.stringify(path.join(ROOT, 'src/index.ts'))};
const [url, prefix, log, total] = process.argv.slice(2);
const words = (id) => ['w' + (id % 13), 'v' + ((id * 7) % 17), 'all'];
const acked = () => new Set(existsSync(log) ? readFileSync(log, 'utf8').split('\\n').filter(Boolean).map(Number) : []);
class Spout extends BaseRichSpout {
  open(...a) { super.open(...a); const done = acked(); this.queue = []; for (let i = 0; i < Number(total); i++) if (!done.has(i)) this.queue.push(i); this.left = this.queue.length; }
  nextTuple() { const id = this.queue.shift(); if (id !== undefined) this.collector.emit([words(id).join(' ')], id); }
  ack(id) { appendFileSync(log, id + '\\n'); if (--this.left === 0) { console.log('all acked'); process.exit(0); } }
  fail(id) { this.queue.push(id); }
  declareOutputFields(d) { d.declare(['sentence']); }
}
class Split extends BaseBasicBolt {
  execute(t, c) { for (const w of t.getStringByField('sentence').split(' ')) c.emit([w]); }
  declareOutputFields(d) { d.declare(['word']); }
}
class Count extends BaseStatefulBolt {
  execute(t) { const w = t.getStringByField('word'); this.state.put(w, this.state.get(w, 0) + 1); this.collector.ack(t); }
}
const b = new TopologyBuilder();
b.setSpout('spout', Spout);
b.setBolt('split', Split, 2).shuffleGrouping('spout');
b.setBolt('count', Count, ${COUNT_TASKS}).fieldsGrouping('split', ['word']);
const t = b.createTopology({
  'topology.max.spout.pending': 200,
  'topology.state.checkpoint.interval.ms': 100,
  'topology.state.provider': 'redis',
  'topology.state.provider.config': { url, keyPrefix: prefix },
});
await new LocalCluster().submitTopology('sigkill', {}, t);
`;

function runWorker(script: string, args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('a worker killed with SIGKILL', () => {
  it('loses no update: a new worker restores the last commit from Redis and the source replays the rest', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'squall-stateful-'));
    try {
      const script = path.join(dir, 'worker.mjs');
      writeFileSync(script, CRASH_WORKER);
      const log = path.join(dir, 'acked.log');
      const total = 4000;
      const prefix = `sigkill${prefixes++}:`;
      const args = [redis.url, prefix, log, String(total)];
      const ackedIds = (): number[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number) : []);

      const first = runWorker(script, args);
      await eventually(() => ackedIds().length >= 800, `some acks from the first worker (${first.output()})`, 30_000);
      first.child.kill('SIGKILL');
      await first.exited;
      const ackedBeforeCrash = ackedIds();
      expect(ackedBeforeCrash.length).toBeLessThan(total);
      const config: Config = { 'topology.state.provider': 'redis', 'topology.state.provider.config': { url: redis.url, keyPrefix: prefix } };
      expectNoLostUpdate(await committedCounts(config, 'sigkill'), Source.trueCounts(ackedBeforeCrash));

      const second = runWorker(script, args);
      expect(await second.exited, second.output()).toBe(0);
      const ids = ackedIds();
      expect(ids).toHaveLength(total);
      expect(new Set(ids).size).toBe(total);
      expectNoLostUpdate(await committedCounts(config, 'sigkill'), Source.trueCounts(ids));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('state providers', () => {
  it('round-trips every tuple value type through Redis, with the documented layout', async () => {
    const config = validateConfig(providers.redis());
    const ns = stateNamespace(config, 'types', 'bolt', 0);
    const state = await CheckpointedKeyValueState.open<string, Value>(openStateStore(config, ns));
    for (const [k, v] of Object.entries(EVERY_VALUE)) state.put(k, v);
    state.put('doomed', 1);
    await state.prepareCommit(1);
    await state.commit(1);
    state.delete('doomed');
    await state.prepareCommit(2);
    expect(await client.hget(`${ns}$txid`, 'prepare')).toBe('2');
    expect((await client.hgetallBuffer(`${ns}$prepare`)) as object).not.toEqual({});
    await state.commit(2);
    await state.close();

    expect(await client.hgetall(`${ns}$txid`)).toEqual({ commit: '2' });
    expect(await client.exists(`${ns}$prepare`)).toBe(0);
    // Fields and values are the values codec's bytes: readable by any msgpack library.
    const [, items] = await client.hscanBuffer(ns, 0, 'COUNT', 1000);
    const decoded: Record<string, Value> = {};
    for (let i = 0; i < items.length; i += 2) decoded[decodeKey(items[i]!) as string] = decodeValue(items[i + 1]!);
    expect(decoded).toEqual(EVERY_VALUE);

    const reloaded = await CheckpointedKeyValueState.open<string, Value>(openStateStore(config, ns));
    expect(Object.fromEntries(reloaded)).toEqual(EVERY_VALUE);
    await reloaded.close();
  });

  it('keeps memory state for the life of the process, per topology, component and task', async () => {
    const config = validateConfig(providers.memory());
    const ns = stateNamespace(config, 'topo', 'bolt', 3);
    expect(ns).toMatch(/^it\d+:topo:bolt:3$/);
    const a = await CheckpointedKeyValueState.open<string, number>(new MemoryStateStore(ns));
    a.put('x', 1);
    await a.prepareCommit(1);
    await a.commit(1);
    expect(MemoryStateStore.namespaces()).toContain(ns);
    const b = await CheckpointedKeyValueState.open<string, number>(openStateStore(config, ns));
    expect(b.get('x')).toBe(1);
    MemoryStateStore.clear(ns);
    expect((await CheckpointedKeyValueState.open<string, number>(openStateStore(config, ns))).size).toBe(0);
  });

  it('reports a clear error when Redis cannot be reached', async () => {
    const source = new Source(10);
    const t = topology(source, new Probe());
    const cluster = new LocalCluster();
    const config: Config = { 'topology.state.provider': 'redis', 'topology.state.provider.config': { url: 'redis://127.0.0.1:1' } };
    await expect(cluster.submitTopology('no-redis', config, t)).rejects.toThrow(/loading in Redis at redis:\/\/127.0.0.1:1 failed/);
  });
});

describe('stateful bolts in the testing kit', () => {
  it('completeTopology runs a topology with a stateful bolt to the end', async () => {
    const probe = new Probe();
    const b = new TopologyBuilder();
    b.setSpout('spout', new SourceSpout(new Source(0)));
    b.setBolt('split', Split).shuffleGrouping('spout');
    b.setBolt('count', new Count(probe)).fieldsGrouping('split', ['word']);
    const t = b.createTopology({ 'topology.state.checkpoint.interval.ms': 50, ...providers.memory() });
    const { emitted } = await completeTopology(t, {
      mockedSources: { spout: [[1, 'a b a'], [2, 'b c']] },
      topologyName: 'complete-stateful',
    });
    expect(emitted.count?.default?.map((v) => v[0]).sort()).toEqual(['a', 'a', 'b', 'b', 'c']);
  });

  it('passes every emit overload of a stateful bolt through to the collector', async () => {
    class Emitter extends BaseStatefulBolt {
      execute(t: Tuple): void {
        const w = t.getStringByField('word');
        const sink = this.context.getComponentTasks('direct-sink')[0]!;
        this.collector.emit([w]);
        this.collector.emit(t, [w]);
        this.collector.emit('side', [w]);
        this.collector.emit('side', t, [w]);
        this.collector.emitDirect(sink, 'direct', [w]);
        this.collector.emitDirect(sink, 'direct', t, [w]);
        this.collector.ack(t);
      }
      override declareOutputFields(d: OutputFieldsDeclarer): void {
        d.declare(['w']);
        d.declareStream('side', ['w']);
        d.declareStream('direct', ['w'], true);
      }
    }
    const b = new TopologyBuilder();
    b.setSpout('spout', new SourceSpout(new Source(0)));
    b.setBolt('split', Split).shuffleGrouping('spout');
    b.setBolt('emitter', Emitter).shuffleGrouping('split');
    b.setBolt('sink', Sink).shuffleGrouping('emitter').shuffleGrouping('emitter', 'side');
    b.setBolt('direct-sink', Sink).directGrouping('emitter', 'direct');
    const t = b.createTopology({ 'topology.state.checkpoint.interval.ms': 50, ...providers.memory() });
    const { emitted } = await completeTopology(t, { mockedSources: { spout: [[1, 'a b']] }, topologyName: 'overloads' });
    expect(emitted.emitter?.default).toEqual([['a'], ['a'], ['b'], ['b']]);
    expect(emitted.emitter?.side).toEqual([['a'], ['a'], ['b'], ['b']]);
    expect(emitted.emitter?.direct).toEqual([['a'], ['a'], ['b'], ['b']]);
  });

  it('runs the stateful-word-count example on mocked sentences: exact counts, all committed', async () => {
    const sentences = [['the cow jumped over the moon'], ['the moon'], ['a cow']];
    const config = { 'topology.state.checkpoint.interval.ms': 50, ...providers.memory() };
    const { emitted } = await completeTopology(statefulWordCount().withConfig(config), {
      mockedSources: { sentences },
      topologyName: 'example',
    });
    const latest = new Map<string, number>();
    for (const [word, count] of emitted.count?.default ?? []) latest.set(word as string, Math.max(count as number, latest.get(word as string) ?? 0));
    const expected = { the: 3, cow: 2, jumped: 1, over: 1, moon: 2, a: 1 };
    expect(Object.fromEntries(latest)).toEqual(expected);
    expect(Object.fromEntries(await committedCounts(config, 'example'))).toEqual(expected);
  });
});
