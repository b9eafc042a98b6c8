import type { Bolt, OutputCollector, OutputFieldsDeclarer, Spout, SpoutOutputCollector, TopologyContext } from '../api/index.js';
import { LatencyHistogram, describe, realClock, type Clock, type Timer } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import type { Tuple, Value } from '../tuple/index.js';
import { TridentError } from './errors.js';
import { keyToken, openMetadataStore, type MetadataStore } from './metadata.js';
import { BATCH_STREAM, COMMIT_STREAM, SUCCESS_STREAM } from './nodes.js';
import type { BatchCoordinator, TridentSpout, TridentSpoutContext } from './spout.js';

/** Keys of one spout's metadata under `<topology>.<spout>.`. */
export class ScopedMetadata implements MetadataStore {
  constructor(
    private readonly store: MetadataStore,
    private readonly prefix: string,
  ) {}
  get(key: string): Promise<Value | null> {
    return this.store.get(this.prefix + key);
  }
  put(key: string, value: Value): Promise<void> {
    return this.store.put(this.prefix + key, value);
  }
  delete(key: string): Promise<void> {
    return this.store.delete(this.prefix + key);
  }
  close(): Promise<void> {
    return this.store.close();
  }
}

export function spoutContext(
  store: MetadataStore,
  config: TopologyConfig,
  context: TopologyContext,
  spoutId: string,
  partitionIndex: number,
  numPartitions: number,
): TridentSpoutContext {
  return {
    topologyName: context.topologyName,
    spoutId,
    partitionIndex,
    numPartitions,
    config,
    metadata: new ScopedMetadata(store, `${keyToken(context.topologyName)}.${keyToken(spoutId)}.`),
  };
}

/** What the master coordinator measured, per topology, for tools and benchmarks. */
export interface TridentStats {
  /** Batches committed. */
  committed: number;
  /** Batch attempts that failed (and were retried with every later batch). */
  failedAttempts: number;
  /** From emitting a batch's `$commit` to its ack: the state writes of every committer. */
  readonly commitLatency: LatencyHistogram;
  /** From a batch's first emit to its commit's ack, retries included. */
  readonly batchLatency: LatencyHistogram;
}

const stats = new Map<string, TridentStats>();

/** The batch layer's counters for a topology running in this process. */
export function tridentStats(topologyName: string): TridentStats {
  let s = stats.get(topologyName);
  if (s === undefined) {
    s = { committed: 0, failedAttempts: 0, commitLatency: new LatencyHistogram(), batchLatency: new LatencyHistogram() };
    stats.set(topologyName, s);
  }
  return s;
}

/** How long the master coordinator waits to try again after its state could not be stored. */
const STORE_RETRY_MS = 1000;

type TxStatus = 'PROCESSING' | 'PROCESSED' | 'COMMITTING';

interface ActiveTx {
  readonly txid: number;
  readonly attempt: number;
  status: TxStatus;
  commitStart: number;
}

interface TxMessage {
  readonly txid: number;
  readonly attempt: number;
  readonly commit: boolean;
}

/**
 * Storm's `MasterBatchCoordinator`, the one spout of a Trident topology. Emits `$batch` for up to
 * `topology.max.spout.pending` txids (1 when null), at most one new batch per
 * `topology.trident.batch.emit.interval.millis`; a batch whose tuple tree completes is processed;
 * only the lowest txid in flight (`currTx`) may then commit (`$commit`, tracked); when its commit
 * completes, `$success` goes out and `currTx` advances. A failed batch or commit drops that txid
 * and every later one in flight: they are emitted again, same txids, new attempt ids. `currTx` and
 * the attempt ids are stored in the metadata store before the batches they cover are emitted.
 */
export class MasterBatchCoordinator implements Spout {
  private collector!: SpoutOutputCollector;
  private store!: MetadataStore;
  private key = '';
  private currTx = 1;
  private readonly attempts = new Map<number, number>();
  private readonly active = new Map<number, ActiveTx>();
  private readonly firstEmit = new Map<number, number>();
  private maxPending = 1;
  private intervalMs = 0;
  private lastEmit = -Infinity;
  private clock: Clock = realClock;
  private wakeTimer: Timer | undefined;
  private activeSpout = true;
  /** Waiting for the store to record attempt ids before emitting their batches. */
  private starting = false;
  private writes: Promise<void> = Promise.resolve();
  /** After a failed write, no new batch starts before this time (clock.hrNow()): NATS may be away. */
  private retryAt = 0;
  private coordinators: BatchCoordinator[] = [];
  private stats!: TridentStats;

  constructor(private readonly spouts: ReadonlyMap<string, TridentSpout>) {}

  async open(config: TopologyConfig, context: TopologyContext, collector: SpoutOutputCollector): Promise<void> {
    this.collector = collector;
    this.clock = context.clock;
    this.maxPending = config['topology.max.spout.pending'] ?? 1;
    this.intervalMs = config['topology.trident.batch.emit.interval.millis'];
    this.store = await openMetadataStore(config);
    this.key = `${keyToken(context.topologyName)}.coordinator`;
    this.stats = tridentStats(context.topologyName);
    const saved = (await this.store.get(this.key)) as { currTx?: unknown; attempts?: unknown } | null;
    if (saved !== null && typeof saved.currTx === 'number') {
      this.currTx = saved.currTx;
      if (Array.isArray(saved.attempts)) {
        for (const pair of saved.attempts as [number, number][]) this.attempts.set(pair[0], pair[1]);
      }
    }
    for (const [id, spout] of this.spouts) this.coordinators.push(spout.getCoordinator(spoutContext(this.store, config, context, id, 0, 1)));
  }

  /**
   * Records currTx and the attempts in flight; writes happen one after another, each with the
   * latest data. Each write waits for the one before to settle, not to succeed: chained on a
   * rejected write, every later write would fail without being tried, and no batch would ever
   * start again after NATS came back.
   */
  private persist(): Promise<void> {
    const write = this.writes
      .catch(() => undefined)
      .then(() => {
        const attempts: [number, number][] = [];
        for (const [tx, a] of this.attempts) if (tx >= this.currTx) attempts.push([tx, a]);
        return this.store.put(this.key, { currTx: this.currTx, attempts });
      });
    this.writes = write;
    return write;
  }

  nextTuple(): void {
    this.sync();
  }

  /**
   * Under simulated time, a timer at the end of the batch interval: the clock stops there and the
   * executor asks for a tuple again. Real time needs none, the executor asks every few milliseconds.
   */
  private wakeAfter(ms: number): void {
    if (!this.clock.simulated || this.wakeTimer !== undefined) return;
    this.wakeTimer = this.clock.setTimeout(() => (this.wakeTimer = undefined), ms).unref();
  }

  private isReady(txid: number): boolean {
    for (const c of this.coordinators) if (c.isReady !== undefined && !c.isReady(txid)) return false;
    return true;
  }

  private sync(): void {
    if (!this.activeSpout) return;
    const cur = this.active.get(this.currTx);
    if (cur !== undefined && cur.status === 'PROCESSED') {
      cur.status = 'COMMITTING';
      cur.commitStart = this.clock.hrNow();
      const msg: TxMessage = { txid: cur.txid, attempt: cur.attempt, commit: true };
      this.collector.emit(COMMIT_STREAM, [cur.txid, cur.attempt], msg);
    }
    if (this.starting) return;
    const now = this.clock.hrNow();
    const wait = Math.max(this.lastEmit + this.intervalMs, this.retryAt) - now;
    if (wait > 0) {
      this.wakeAfter(wait);
      return;
    }
    let txid = -1;
    for (let tx = this.currTx; tx < this.currTx + this.maxPending; tx++) {
      if (!this.active.has(tx)) {
        txid = tx;
        break;
      }
    }
    if (txid < 0 || !this.isReady(txid)) return;
    const attempt = (this.attempts.get(txid) ?? -1) + 1;
    this.attempts.set(txid, attempt);
    const status: ActiveTx = { txid, attempt, status: 'PROCESSING', commitStart: 0 };
    this.active.set(txid, status);
    this.lastEmit = this.clock.hrNow();
    if (!this.firstEmit.has(txid)) this.firstEmit.set(txid, this.lastEmit);
    this.starting = true;
    // The attempt id is durable before anyone sees it, so a restarted coordinator never reuses one.
    this.persist().then(
      () => {
        this.starting = false;
        if (this.active.get(txid) !== status) return;
        const msg: TxMessage = { txid, attempt, commit: false };
        this.collector.emit(BATCH_STREAM, [txid, attempt], msg);
      },
      (err: unknown) => {
        this.starting = false;
        if (this.active.get(txid) === status) this.active.delete(txid);
        this.retryAt = this.clock.hrNow() + STORE_RETRY_MS;
        this.collector.reportError(new TridentError(`storing the coordinator state failed; batch ${txid} waits and is tried again in ${STORE_RETRY_MS} ms: ${describe(err)}`, { cause: err }));
      },
    );
  }

  ack(messageId: unknown): void {
    const m = messageId as TxMessage;
    const st = this.active.get(m.txid);
    if (st === undefined || st.attempt !== m.attempt) return;
    if (!m.commit) {
      if (st.status === 'PROCESSING') st.status = 'PROCESSED';
    } else if (st.status === 'COMMITTING') {
      const now = this.clock.hrNow();
      this.stats.commitLatency.record(now - st.commitStart);
      const first = this.firstEmit.get(m.txid);
      if (first !== undefined) this.stats.batchLatency.record(now - first);
      this.stats.committed++;
      this.firstEmit.delete(m.txid);
      this.active.delete(m.txid);
      this.attempts.delete(m.txid);
      this.currTx = m.txid + 1;
      this.collector.emit(SUCCESS_STREAM, [m.txid, m.attempt]);
      for (const c of this.coordinators) void Promise.resolve(c.success?.(m.txid)).catch((err: unknown) => this.collector.reportError(err));
      this.persist().catch((err: unknown) => this.collector.reportError(new TridentError(`storing the current txid failed: ${describe(err)}`, { cause: err })));
    }
    this.sync();
  }

  fail(messageId: unknown): void {
    const m = messageId as TxMessage;
    const st = this.active.get(m.txid);
    if (st !== undefined && st.attempt === m.attempt) {
      this.stats.failedAttempts++;
      // Later batches may have read state or metadata this one was to write: they go again too.
      for (const tx of [...this.active.keys()]) if (tx >= m.txid) this.active.delete(tx);
    }
    this.sync();
  }

  activate(): void {
    this.activeSpout = true;
  }

  deactivate(): void {
    this.activeSpout = false;
  }

  async close(): Promise<void> {
    this.clock.clear(this.wakeTimer);
    for (const c of this.coordinators) await c.close?.();
    await this.writes.catch(() => undefined);
    await this.store.close();
  }

  declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declareStream(BATCH_STREAM, ['$tx', '$attempt']);
    d.declareStream(COMMIT_STREAM, ['$tx', '$attempt']);
    d.declareStream(SUCCESS_STREAM, ['$tx', '$attempt']);
  }
}

/**
 * Storm's `TridentSpoutCoordinator`: one task per spout. For each `$batch` it asks the spout's
 * coordinator for the batch's metadata (the stored one on a replay), stores it under the txid,
 * and sends `[txid, attempt, meta]` to every emitter task. On `$success` it drops the metadata
 * no later batch needs.
 */
export class TridentSpoutCoordinator implements Bolt {
  private collector!: OutputCollector;
  private store!: MetadataStore;
  private coordinator!: BatchCoordinator;
  private md!: MetadataStore;
  private chain: Promise<void> = Promise.resolve();
  private readonly recent = new Map<number, Value>();

  constructor(
    private readonly spoutId: string,
    private readonly spout: TridentSpout,
  ) {}

  async prepare(config: TopologyConfig, context: TopologyContext, collector: OutputCollector): Promise<void> {
    this.collector = collector;
    this.store = await openMetadataStore(config);
    const ctx = spoutContext(this.store, config, context, this.spoutId, 0, 1);
    this.md = ctx.metadata;
    this.coordinator = this.spout.getCoordinator(ctx);
  }

  execute(input: Tuple): void {
    const txid = input.values[0] as number;
    const attempt = input.values[1] as number;
    const batch = input.sourceStreamId === BATCH_STREAM;
    // One batch after another: metadata of txid n is the start of txid n + 1.
    this.chain = this.chain.then(async () => {
      try {
        if (batch) await this.initialize(input, txid, attempt);
        else await this.success(txid);
        this.collector.ack(input);
      } catch (err) {
        this.collector.reportError(err);
        this.collector.fail(input);
      }
    });
  }

  private async meta(txid: number): Promise<Value | null> {
    return this.recent.get(txid) ?? (await this.md.get(`meta.${txid}`));
  }

  private async initialize(input: Tuple, txid: number, attempt: number): Promise<void> {
    const curr = await this.md.get(`meta.${txid}`);
    const prev = txid > 1 ? await this.meta(txid - 1) : null;
    const meta = await this.coordinator.initializeTransaction(txid, prev, curr);
    if (meta !== curr) await this.md.put(`meta.${txid}`, meta);
    this.recent.set(txid, meta);
    this.collector.emit(BATCH_STREAM, input, [txid, attempt, meta]);
  }

  private async success(txid: number): Promise<void> {
    await this.coordinator.success?.(txid);
    for (const tx of [...this.recent.keys()]) if (tx < txid) this.recent.delete(tx);
    // The committed batch's metadata is the previous one of the next batch: keep it.
    if (txid > 1) await this.md.delete(`meta.${txid - 1}`);
  }

  async cleanup(): Promise<void> {
    await this.chain;
    await this.coordinator.close?.();
    await this.store.close();
  }

  declareOutputFields(d: OutputFieldsDeclarer): void {
    d.declareStream(BATCH_STREAM, ['$tx', '$attempt', '$meta']);
  }
}
