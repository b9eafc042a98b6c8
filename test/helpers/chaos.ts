/**
 * The chaos suite's driver (test/chaos): a real cluster (nats-server, redis-server, two
 * coordinators, two supervisors) running two topologies at once — the acked one of
 * test/fixtures/cluster-chaos (ids from a Redis queue, a sink recording what it saw in Redis) and
 * the Trident word count of test/fixtures/cluster-trident (words from JetStream, counts in Redis) —
 * both fed at a steady rate while a schedule kills workers, supervisors, the leader and
 * nats-server. After each kill it measures, from the records in Redis, how long until both
 * topologies flow again, and for a dead leader how long until the standby holds the lease.
 */
import { randomInt } from 'node:crypto';
import * as path from 'node:path';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { ClusterState } from '../../src/cluster/index.js';
import { TopologyPlan } from 'squall/internal';
import { loadTopologyFile } from '../../src/worker/load-topology.js';
import { TestCluster, root, type ListingJson } from './cluster.js';
import { startNats, startRedis, type RunningServer } from './servers.js';
import { redisCounts } from './trident.js';
import { eventuallyAsync, sleep } from './wait.js';

export type KillKind = 'worker' | 'supervisor' | 'leader' | 'nats';
export type TopologyName = 'acked' | 'trident';

export interface ChaosOptions {
  /** Ids pushed onto the acked topology's queue per second while the schedule runs. */
  readonly idsPerSec: number;
  /** Words published to the Trident topology's stream per second while the schedule runs. */
  readonly wordsPerSec: number;
  /** The kills, in order. */
  readonly schedule: readonly KillKind[];
  /** Seeds the choice of victims, so a run can be repeated. */
  readonly seed: number;
  /** A kill not recovered from in this long is recorded as such and ends the schedule. */
  readonly recoveryLimitMs: number;
  /** How long the end may take to ack every id and count every word before the figures are read. */
  readonly drainLimitMs: number;
  /** Progress lines (one per kill). */
  readonly log?: (line: string) => void;
}

export interface KillRecord {
  readonly kind: KillKind;
  /** What was killed: `acked worker s1:43567`, `supervisor s2 (3 workers)`, `leader c1`, `nats-server`. */
  readonly target: string;
  /** Milliseconds since the run began. */
  readonly at: number;
  /**
   * Per topology, the longest delay (fed to sink, or published to counted) of what was fed in the
   * 3 s after the kill (for nats-server: after its restart); undefined: not within the limit.
   */
  readonly flowMs: Partial<Record<TopologyName, number | undefined>>;
  /** Worker kill: until the replacement process ran. Supervisor kill: until every worker was alive elsewhere. */
  readonly replacedMs?: number;
  /** Supervisor kill: from its restart until each topology ran on both supervisors again (undefined: not within 15 s). */
  readonly respreadMs?: number;
  /** Leader kill: until the standby held the lease. */
  readonly takeoverMs?: number;
  /** nats-server kill: how long it was down. */
  readonly downMs?: number;
}

export interface ChaosResult {
  readonly durationMs: number;
  readonly ids: number;
  /** Ids never acked, and ids the sink never saw: both must be empty. */
  readonly unacked: readonly string[];
  readonly unseen: readonly string[];
  /** Ids left on the queue or pending at the end. */
  readonly leftQueued: number;
  readonly leftPending: number;
  /** Times the sink saw an id again, and acks of an id already acked. */
  readonly duplicatesSeen: number;
  readonly duplicateAcks: number;
  /** Ids that went back on the queue after a failure or timeout, and those reclaimed from a dead spout. */
  readonly requeued: number;
  readonly reclaimed: number;
  readonly words: number;
  readonly tridentExpected: Record<string, number>;
  readonly tridentCounts: Record<string, number>;
  readonly kills: readonly KillRecord[];
}

const ACKED_FIXTURE = path.join(root, 'test/fixtures/cluster-chaos/topology.ts');
const TRIDENT_FIXTURE = path.join(root, 'test/fixtures/cluster-trident/topology.ts');
const WORDS = ['red', 'green', 'blue', 'cyan', 'magenta', 'yellow', 'black'];
const STREAM = 'chaoswords';
const KEYS = 'chaos';
/**
 * How long after a kill what was fed is watched: the recovery time of a kill is the longest delay,
 * from being fed to reaching the sink (acked topology) or the state (Trident), of anything fed
 * within this long after it. With no stall that is the normal latency; after a stall, about its
 * length (what was fed at the kill waits it out).
 */
const WATCH_MS = 3000;
const SLOTS = 4;
/** How long a returned supervisor is watched for work moving back onto it. */
const RESPREAD_WAIT_MS = 15_000;

interface Sample {
  readonly t: number;
  /** Words whose publication NATS confirmed, and the sum of the Trident counts in Redis. */
  readonly published: number;
  readonly trident: number;
}

/** Ids pushed onto the queue in one go: `[from, to)` at time `t`. */
interface Fed {
  readonly t: number;
  readonly from: number;
  readonly to: number;
}

/** A small seeded generator (mulberry32), so the victims of a run can be chosen again. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The longest time, over the samples taken in `[from, from + watchMs]`, until the Trident counts
 * reached what had been published at that sample; undefined while some have not been reached.
 * Trident commits batches in order, so the counts reach a published total only once every
 * earlier batch is in.
 */
export function tridentDelay(samples: readonly Sample[], from: number, watchMs = WATCH_MS): number | undefined {
  let worst = 0;
  let any = false;
  for (let i = 0; i < samples.length; i++) {
    const p = samples[i] as Sample;
    if (p.t < from) continue;
    if (p.t > from + watchMs) break;
    any = true;
    let j = i;
    while (j < samples.length && (samples[j] as Sample).trident < p.published) j++;
    if (j >= samples.length) return undefined;
    worst = Math.max(worst, (samples[j] as Sample).t - p.t);
  }
  const last = samples[samples.length - 1];
  return any && last !== undefined && last.t >= from + watchMs ? worst : undefined;
}

export class ChaosRun {
  private nats!: RunningServer;
  private redisServer!: RunningServer;
  cluster!: TestCluster;
  private redis!: Redis;
  private nc!: NatsConnection;
  private js!: JetStreamClient;
  private state!: ClusterState;
  private readonly random: () => number;
  private readonly samples: Sample[] = [];
  private readonly fed: Fed[] = [];
  private readonly kills: KillRecord[] = [];
  private began = 0;
  private feeding = false;
  private sampling = false;
  private ids = 0;
  private words = 0;
  private wordsPublished = 0;
  private feeder: Promise<void> | undefined;
  private publisher: Promise<void> | undefined;
  private sampler: Promise<void> | undefined;

  constructor(private readonly options: ChaosOptions) {
    this.random = seeded(options.seed);
  }

  private log(line: string): void {
    this.options.log?.(`[chaos +${((Date.now() - this.began) / 1000).toFixed(1)} s] ${line}`);
  }

  /** Starts the servers and the cluster and submits both topologies, not yet fed. */
  async start(): Promise<void> {
    this.began = Date.now();
    [this.nats, this.redisServer] = await Promise.all([startNats(), startRedis()]);
    this.redis = new Redis(this.redisServer.url, { maxRetriesPerRequest: null });
    this.redis.on('error', (err: Error) => this.log(`redis: ${err.message}`));
    this.nc = await connect({ servers: this.nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    await (await jetstreamManager(this.nc)).streams.add({ name: STREAM, subjects: [`${STREAM}.*`] });
    this.js = jetstream(this.nc, { timeout: 2000 });
    const c = (this.cluster = new TestCluster(this.nats.url, 'chaos', {
      SQUALL_TEST_REDIS: this.redisServer.url,
      SQUALL_TEST_NATS: this.nats.url,
      SQUALL_TEST_STREAM: STREAM,
      SQUALL_CHAOS_KEYS: KEYS,
    }));
    c.startCoordinator('c1');
    c.startCoordinator('c2');
    await c.startSupervisor('s1', SLOTS);
    await c.startSupervisor('s2', SLOTS);
    await eventuallyAsync(async () => {
      const l = await c.listJson().catch(() => undefined);
      return l !== undefined && l.supervisors.length === 2 && typeof l.leader === 'string' && l.leader.length > 0;
    }, 'two supervisors and a leader', 60_000);
    // The coordinators made the buckets, with the test configuration's TTLs.
    this.state = await ClusterState.connect({ servers: this.nats.url, bucketPrefix: 'chaos', heartbeatTtlMs: 4000, leaseTtlMs: 3000 });
    for (const [name, file] of [['acked', ACKED_FIXTURE], ['trident', TRIDENT_FIXTURE]] as const) {
      const r = await c.run('submit', file, '--name', name, '--workers', '2');
      if (r.code !== 0) throw new Error(`submit ${name} failed (${r.code}): ${r.stderr}`);
    }
    await this.healthy();
    this.log('cluster up, both topologies running');
  }

  /** Feeds both topologies, runs the schedule, stops feeding and waits for everything to drain. */
  async run(): Promise<ChaosResult> {
    const fedFrom = Date.now();
    this.feeding = true;
    this.sampling = true;
    this.sampler = this.sample();
    this.feeder = this.feedIds(fedFrom);
    this.publisher = this.publishWords(fedFrom);
    // Flowing before the first kill.
    await sleep(WATCH_MS);
    for (const kind of this.options.schedule) {
      const listing = await this.healthy();
      await sleep(500 + this.random() * 1500);
      const record = await this.kill(kind, listing);
      this.kills.push(record);
      this.log(`${record.target}: ${describeKill(record)}`);
      // Later kills would measure nothing on a cluster that did not recover from this one.
      if (Object.values(record.flowMs).some((ms) => ms === undefined)) {
        this.log(`not recovered: the schedule stops after ${this.kills.length} of ${this.options.schedule.length} kills`);
        break;
      }
    }
    this.feeding = false;
    await Promise.all([this.feeder, this.publisher]);
    this.log(`fed ${this.ids} ids and ${this.words} words; draining`);
    return this.drain(fedFrom);
  }

  private async feedIds(from: number): Promise<void> {
    while (this.feeding) {
      const due = Math.floor(((Date.now() - from) * this.options.idsPerSec) / 1000);
      if (due > this.ids) {
        const batch: string[] = [];
        for (let i = this.ids; i < due; i++) batch.push(String(i));
        const t = Date.now();
        await this.redis.rpush(`${KEYS}:queue`, ...batch);
        this.fed.push({ t, from: this.ids, to: due });
        this.ids = due;
      }
      await sleep(100);
    }
  }

  /** Publishes words with their number as the message id: a retried publish is stored once. */
  private async publishWords(from: number): Promise<void> {
    while (this.feeding) {
      this.words = Math.max(this.words, Math.floor(((Date.now() - from) * this.options.wordsPerSec) / 1000));
      await this.publishDue();
      await sleep(100);
    }
    await this.publishDue();
  }

  private async publishDue(): Promise<void> {
    while (this.wordsPublished < this.words) {
      const end = Math.min(this.words, this.wordsPublished + 200);
      const pending: Promise<unknown>[] = [];
      for (let i = this.wordsPublished; i < end; i++) {
        pending.push(this.js.publish(`${STREAM}.${i % 3}`, new TextEncoder().encode(wordOf(i)), { msgID: `w${i}` }));
      }
      const outcomes = await Promise.allSettled(pending);
      if (outcomes.every((o) => o.status === 'fulfilled')) this.wordsPublished = end;
      // NATS away: publish the same numbers again once it is back.
      else await sleep(250);
    }
  }

  private async sample(): Promise<void> {
    while (this.sampling) {
      const t = Date.now();
      const published = this.wordsPublished;
      const counts = await redisCounts(this.redisServer.url, 'trident');
      this.samples.push({ t, published, trident: Object.values(counts).reduce((a, b) => a + b, 0) });
      await sleep(Math.max(0, 100 - (Date.now() - t)));
    }
  }

  /** Both topologies listed with all their workers alive, two supervisors and a leader. */
  private async healthy(): Promise<ListingJson> {
    let last: ListingJson | undefined;
    await eventuallyAsync(
      async () => {
        last = await this.cluster.listJson().catch(() => undefined);
        if (last === undefined || last.supervisors.length !== 2 || typeof last.leader !== 'string' || last.leader.length === 0) return false;
        return (['acked', 'trident'] as const).every((name) => {
          const t = last?.topologies.find((x) => x.name === name);
          return t !== undefined && t.workers.length === 2 && t.workers.every((w) => w.alive);
        });
      },
      'a healthy cluster',
      90_000,
      500,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last listing: ${JSON.stringify(last)}`);
    });
    return last as ListingJson;
  }

  private async kill(kind: KillKind, listing: ListingJson): Promise<KillRecord> {
    switch (kind) {
      case 'worker':
        return this.killWorker(listing);
      case 'supervisor':
        return this.killSupervisor();
      case 'leader':
        return this.killLeader();
      case 'nats':
        return this.killNats();
    }
  }

  private async killWorker(listing: ListingJson): Promise<KillRecord> {
    const workers = [...this.cluster.workerPids()].map(([pid, args]) => ({ pid, args, topology: /--topology (\S+)/.exec(args)?.[1], port: /--port (\d+)/.exec(args)?.[1] }));
    const victim = workers[Math.floor(this.random() * workers.length)];
    if (victim === undefined) throw new Error('no worker process to kill');
    const topology: TopologyName = victim.topology === 'trident' ? 'trident' : 'acked';
    const ran = await this.componentsOn(listing, topology, Number(victim.port));
    const at = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    let replacedMs: number | undefined;
    await eventuallyAsync(
      () => {
        const back = [...this.cluster.workerPids()].some(([pid, args]) => pid !== victim.pid && args.includes(`--port ${victim.port} `));
        if (back) replacedMs = Date.now() - at;
        return back;
      },
      `a worker on port ${victim.port} again`,
      this.options.recoveryLimitMs,
      50,
    ).catch(() => undefined);
    const flowMs = await this.flowAgain(at, [topology]);
    return { kind: 'worker', target: `${topology} worker :${victim.port} (${ran.join(', ')})`, at: at - this.began, flowMs, ...(replacedMs === undefined ? {} : { replacedMs }) };
  }

  /** The components with a task on the worker of `topology` at `port` (the Trident master's worker recovers differently). */
  private async componentsOn(listing: ListingJson, topology: TopologyName, port: number): Promise<string[]> {
    const tasks = listing.topologies.find((t) => t.name === topology)?.workers.find((w) => w.port === port)?.tasks ?? [];
    const { topology: loaded } = await loadTopologyFile(topology === 'acked' ? ACKED_FIXTURE : TRIDENT_FIXTURE);
    const t = loaded.withConfig({ 'topology.workers': 2 });
    const plan = new TopologyPlan(topology, t, t.config);
    return [...new Set(tasks.map((task) => plan.taskToComponent.get(task) ?? `task ${task}`))].filter((c) => !c.startsWith('__')).sort();
  }

  private async killSupervisor(): Promise<KillRecord> {
    const listing = await this.cluster.listJson();
    const load = (id: string): number => listing.topologies.reduce((n, t) => n + t.workers.filter((w) => w.supervisor === id).length, 0);
    // The busier one, so the kill moves work.
    const victim = load('s1') >= load('s2') ? 's1' : 's2';
    const survivor = victim === 's1' ? 's2' : 's1';
    const moved = load(victim);
    const at = Date.now();
    await this.cluster.kill(victim);
    let replacedMs: number | undefined;
    await eventuallyAsync(
      async () => {
        const l = await this.cluster.listJson().catch(() => undefined);
        const ok = l !== undefined && l.topologies.length === 2 && l.topologies.every((t) => t.workers.length === 2 && t.workers.every((w) => w.alive && w.supervisor === survivor));
        if (ok) replacedMs = Date.now() - at;
        return ok;
      },
      `every worker on ${survivor}`,
      this.options.recoveryLimitMs,
      200,
    ).catch(() => undefined);
    const flowMs = await this.flowAgain(at, ['acked', 'trident']);
    await this.cluster.startSupervisor(victim, SLOTS);
    // A coordinator that spreads work again onto a returning supervisor moves workers now; let that
    // happen before the next kill rather than during it.
    const back = Date.now();
    let respreadMs: number | undefined;
    await eventuallyAsync(
      async () => {
        const l = await this.cluster.listJson().catch(() => undefined);
        const ok = l !== undefined && l.topologies.every((t) => t.workers.every((w) => w.alive) && new Set(t.workers.map((w) => w.supervisor)).size === 2);
        if (ok) respreadMs = Date.now() - back;
        return ok;
      },
      'work spread again',
      RESPREAD_WAIT_MS,
      250,
    ).catch(() => undefined);
    return {
      kind: 'supervisor',
      target: `supervisor ${victim} (${moved} workers)`,
      at: at - this.began,
      flowMs,
      ...(replacedMs === undefined ? {} : { replacedMs }),
      ...(respreadMs === undefined ? {} : { respreadMs }),
    };
  }

  private async killLeader(): Promise<KillRecord> {
    const lease = await this.state.currentLeader();
    if (lease === undefined) throw new Error('no leader to kill');
    const at = Date.now();
    await this.cluster.kill(lease.id);
    let takeoverMs: number | undefined;
    await eventuallyAsync(
      async () => {
        const now = await this.state.currentLeader().catch(() => undefined);
        const ok = now !== undefined && now.id !== lease.id;
        if (ok) takeoverMs = Date.now() - at;
        return ok;
      },
      'the standby to take the lease',
      this.options.recoveryLimitMs,
      50,
    ).catch(() => undefined);
    const flowMs = await this.flowAgain(at, ['acked', 'trident']);
    this.cluster.startCoordinator(lease.id);
    return { kind: 'leader', target: `leader ${lease.id}`, at: at - this.began, flowMs, ...(takeoverMs === undefined ? {} : { takeoverMs }) };
  }

  private async killNats(): Promise<KillRecord> {
    const at = Date.now();
    const exited = new Promise((r) => this.nats.process.once('exit', r));
    this.nats.process.kill('SIGKILL');
    await exited;
    await sleep(1000);
    this.nats = await startNats({ port: this.nats.port, dir: this.nats.dir });
    const back = Date.now();
    const flowMs = await this.flowAgain(back, ['acked', 'trident']);
    return { kind: 'nats', target: 'nats-server', at: at - this.began, flowMs, downMs: back - at };
  }

  /**
   * Waits until what was fed in the {@link WATCH_MS} after `from` has come through (up to the
   * limit); per topology the longest delay in milliseconds, or undefined when it did not.
   */
  private async flowAgain(from: number, topologies: readonly TopologyName[]): Promise<Partial<Record<TopologyName, number | undefined>>> {
    const out: Partial<Record<TopologyName, number | undefined>> = {};
    const limit = from + this.options.recoveryLimitMs;
    await sleep(Math.max(0, from + WATCH_MS - Date.now()));
    for (const name of topologies) {
      let delay: number | undefined;
      const check = name === 'acked' ? async () => (delay = await this.ackedDelay(from)) !== undefined : () => (delay = tridentDelay(this.samples, from)) !== undefined;
      await eventuallyAsync(check, `${name} to flow`, Math.max(0, limit - Date.now()), 250).catch(() => undefined);
      out[name] = delay;
    }
    return out;
  }

  /** The longest time from the queue to the sink of the ids fed in the watch after `from`; undefined while some are not seen. */
  private async ackedDelay(from: number): Promise<number | undefined> {
    const batches = this.fed.filter((b) => b.t >= from && b.t <= from + WATCH_MS);
    let worst = 0;
    for (const b of batches) {
      if (b.to <= b.from) continue;
      const ids: string[] = [];
      for (let i = b.from; i < b.to; i++) ids.push(String(i));
      const first = await this.redis.hmget(`${KEYS}:first`, ...ids);
      for (const f of first) {
        if (f === null) return undefined;
        worst = Math.max(worst, Number(f) - b.t);
      }
    }
    return worst;
  }

  /** Waits until every id is acked and every word counted (or a limit passes), then reads the records. */
  private async drain(fedFrom: number): Promise<ChaosResult> {
    const k = (s: string): string => `${KEYS}:${s}`;
    const expected: Record<string, number> = {};
    for (let i = 0; i < this.words; i++) expected[wordOf(i)] = (expected[wordOf(i)] ?? 0) + 1;
    // A dead spout's ids are reclaimed after three message timeouts; allow for that and more.
    const until = Date.now() + this.options.drainLimitMs;
    // Empty queue and pending set too: a reclaimed id acked by its first tree may still wait there for a second run.
    const done = async (): Promise<boolean> => {
      const [acked, seen, queued, pending] = await Promise.all([this.redis.scard(k('acked')), this.redis.hlen(k('seen')), this.redis.llen(k('queue')), this.redis.zcard(k('pending'))]);
      return acked >= this.ids && seen >= this.ids && queued === 0 && pending === 0;
    };
    await eventuallyAsync(done, `${this.ids} ids acked and seen`, until - Date.now(), 500).catch(() => undefined);
    await eventuallyAsync(async () => Object.values(await redisCounts(this.redisServer.url, 'trident')).reduce((a, b) => a + b, 0) >= this.words, `${this.words} words counted`, Math.max(0, until - Date.now()), 500).catch(() => undefined);
    this.sampling = false;
    await this.sampler;
    const unacked: string[] = [];
    const unseen: string[] = [];
    for (let from = 0; from < this.ids; from += 5000) {
      const chunk: string[] = [];
      for (let i = from; i < Math.min(this.ids, from + 5000); i++) chunk.push(String(i));
      const [acked, seen] = await Promise.all([this.redis.smismember(k('acked'), ...chunk), this.redis.hmget(k('seen'), ...chunk)]);
      chunk.forEach((id, i) => {
        if (acked[i] !== 1) unacked.push(id);
        if (seen[i] === null) unseen.push(id);
      });
    }
    const seenCounts = await this.redis.hvals(k('seen'));
    const [acks, ackedSize, requeued, reclaimed, leftQueued, leftPending] = await Promise.all([
      this.redis.get(k('acks')),
      this.redis.scard(k('acked')),
      this.redis.get(k('requeued')),
      this.redis.get(k('reclaimed')),
      this.redis.llen(k('queue')),
      this.redis.zcard(k('pending')),
    ]);
    return {
      durationMs: Date.now() - fedFrom,
      ids: this.ids,
      unacked,
      unseen,
      leftQueued,
      leftPending,
      duplicatesSeen: seenCounts.reduce((n, v) => n + Number(v) - 1, 0),
      duplicateAcks: Number(acks ?? 0) - ackedSize,
      requeued: Number(requeued ?? 0),
      reclaimed: Number(reclaimed ?? 0),
      words: this.words,
      tridentExpected: expected,
      tridentCounts: await redisCounts(this.redisServer.url, 'trident'),
      kills: this.kills,
    };
  }

  logs(): string {
    return this.cluster?.logs() ?? '';
  }

  async stop(): Promise<void> {
    this.feeding = false;
    this.sampling = false;
    await Promise.allSettled([this.feeder, this.publisher, this.sampler]);
    this.cluster?.stop();
    await this.state?.close().catch(() => undefined);
    await this.nc?.close().catch(() => undefined);
    this.redis?.disconnect();
    await Promise.allSettled([this.nats?.stop(), this.redisServer?.stop()]);
  }
}

function wordOf(i: number): string {
  return WORDS[(i * 3) % WORDS.length] as string;
}

const secs = (ms: number | undefined): string => (ms === undefined ? 'not recovered' : `${(ms / 1000).toFixed(1)} s`);

export function describeKill(r: KillRecord): string {
  const parts = Object.entries(r.flowMs).map(([name, ms]) => `${name} flowing after ${secs(ms)}`);
  if (r.replacedMs !== undefined) parts.push(`${r.kind === 'worker' ? 'replacement worker' : 'work moved'} after ${secs(r.replacedMs)}`);
  if (r.kind === 'supervisor') parts.push(r.respreadMs === undefined ? 'not spread again within 15 s of its restart' : `spread again ${secs(r.respreadMs)} after its restart`);
  if (r.kind === 'leader') parts.push(`takeover ${secs(r.takeoverMs)}`);
  if (r.downMs !== undefined) parts.push(`down ${secs(r.downMs)}`);
  return parts.join(', ');
}

/** The figures of a run as a section of bench/RESULTS-chaos.md. */
export function resultsSection(r: ChaosResult, o: ChaosOptions, heading: string): string {
  const exact = JSON.stringify(sorted(r.tridentCounts)) === JSON.stringify(sorted(r.tridentExpected));
  const counted = Object.values(r.tridentCounts).reduce((a, b) => a + b, 0);
  const worst = (kind: KillKind, f: (k: KillRecord) => number | undefined, only?: TopologyName): string => {
    const of = r.kills.filter((k) => k.kind === kind && (only === undefined || only in k.flowMs));
    if (of.length === 0) return '–';
    const v = of.map(f);
    return v.some((x) => x === undefined) ? 'not recovered' : `${secs(Math.max(...(v as number[])))}`;
  };
  const flow = (k: KillRecord): number | undefined => {
    const v = Object.values(k.flowMs);
    return v.some((x) => x === undefined) ? undefined : Math.max(...(v as number[]));
  };
  const lines = [
    `## ${heading}`,
    '',
    `${r.kills.length} of ${o.schedule.length} scheduled kills over ${(r.durationMs / 1000).toFixed(0)} s (a kill not recovered from within ${o.recoveryLimitMs / 1000} s ends the schedule), ${o.idsPerSec} ids/s and ${o.wordsPerSec} words/s fed, seed ${o.seed}.`,
    '',
    '| figure | result | target |',
    '|---|---|---|',
    `| ids fed / acked / seen by the sink | ${r.ids} / ${r.ids - r.unacked.length} / ${r.ids - r.unseen.length} | all |`,
    `| ids lost (never acked or never seen) | **${new Set([...r.unacked, ...r.unseen]).size}** | 0 |`,
    `| left on the queue / pending at the end | ${r.leftQueued} / ${r.leftPending} | 0 / 0 |`,
    `| duplicates seen by the sink / duplicate acks | ${r.duplicatesSeen} / ${r.duplicateAcks} | recorded |`,
    `| ids requeued after a failure / reclaimed from a dead spout | ${r.requeued} / ${r.reclaimed} | recorded |`,
    `| Trident words fed / counted, counts exact | ${r.words} / ${counted}, **${exact ? 'exact' : 'NOT exact'}** | exact |`,
    `| worst flow-again after a worker kill: acked / Trident | ${worst('worker', flow, 'acked')} / ${worst('worker', flow, 'trident')} | < 3 s |`,
    `| worst takeover after a leader kill | ${worst('leader', (k) => k.takeoverMs)} | < 5 s |`,
    `| worst flow-again after a supervisor kill | ${worst('supervisor', flow)} | recorded |`,
    `| worst flow-again after a nats-server restart | ${worst('nats', flow)} | recovers, no manual step |`,
    '',
    '| # | at | killed | acked topology flowing | Trident flowing | other |',
    '|---|---|---|---|---|---|',
    ...r.kills.map((k, i) => {
      const other = [
        k.replacedMs === undefined ? undefined : `${k.kind === 'worker' ? 'replacement up' : 'work moved'} ${secs(k.replacedMs)}`,
        k.kind === 'supervisor' ? (k.respreadMs === undefined ? 'not spread again (15 s)' : `spread again ${secs(k.respreadMs)} after its restart`) : undefined,
        k.kind === 'leader' ? `takeover ${secs(k.takeoverMs)}` : undefined,
        k.downMs === undefined ? undefined : `down ${secs(k.downMs)}`,
      ].filter((x) => x !== undefined);
      const cell = (n: TopologyName): string => (n in k.flowMs ? secs(k.flowMs[n]) : '–');
      return `| ${i + 1} | ${(k.at / 1000).toFixed(0)} s | ${k.target} | ${cell('acked')} | ${cell('trident')} | ${other.join(', ')} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

function sorted(o: Record<string, number>): [string, number][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

/** A seed for a run that was not given one. */
export function randomSeed(): number {
  return randomInt(1, 2 ** 31);
}
