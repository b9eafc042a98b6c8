import type { TopologyConfig } from '../config/index.js';
import type { Value, Values } from '../tuple/index.js';
import { TridentError } from './errors.js';
import type { MetadataStore } from './metadata.js';
import type { TransactionAttempt, TridentCollector } from './operations.js';

/**
 * What a replayed batch contains (Storm's spout kinds): `transactional`, exactly the same tuples;
 * `opaque`, every tuple in exactly one successful batch, but a replay may differ; `non-transactional`,
 * no promise.
 */
export type SpoutType = 'transactional' | 'opaque' | 'non-transactional';

export interface TridentSpoutContext {
  readonly topologyName: string;
  readonly spoutId: string;
  /** This emitter task's index, from 0 (always 0 for the coordinator). */
  readonly partitionIndex: number;
  readonly numPartitions: number;
  readonly config: TopologyConfig;
  /** Durable metadata scoped to this spout (partition offsets and the like). */
  readonly metadata: MetadataStore;
}

/**
 * Decides what each batch covers (Storm's `ITridentSpout.BatchCoordinator`). Runs in one task;
 * what it returns is stored per txid before the batch is emitted, and handed back as `currMeta`
 * when the txid is replayed.
 */
export interface BatchCoordinator {
  initializeTransaction(txid: number, prevMeta: Value | null, currMeta: Value | null): Value | Promise<Value>;
  /** The batch `txid` committed. */
  success?(txid: number): void | Promise<void>;
  /** Whether to start batch `txid` now (asked by the master coordinator). */
  isReady?(txid: number): boolean;
  close?(): void | Promise<void>;
}

/** Emits the tuples of a batch, in every emitter task (Storm's `ITridentSpout.Emitter`). */
export interface Emitter {
  emitBatch(tx: TransactionAttempt, meta: Value, collector: TridentCollector): void | Promise<void>;
  success?(tx: TransactionAttempt): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** A Trident spout (Storm's `ITridentSpout`). */
export interface TridentSpout {
  readonly type: SpoutType;
  getOutputFields(): readonly string[];
  getCoordinator(context: TridentSpoutContext): BatchCoordinator;
  getEmitter(context: TridentSpoutContext): Emitter | Promise<Emitter>;
}

interface RangeMeta {
  readonly start: number;
  readonly end: number;
}

function rangeOf(meta: Value | null): RangeMeta | null {
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return null;
  const m = meta as { start?: unknown; end?: unknown };
  return typeof m.start === 'number' && typeof m.end === 'number' ? { start: m.start, end: m.end } : null;
}

/** Emits positions `[start, end)` of `at(i)`, split over the emitter tasks by position. */
function emitRange(meta: Value, context: TridentSpoutContext, at: (i: number) => Values | undefined, collector: TridentCollector): void {
  const r = rangeOf(meta);
  if (r === null) return;
  for (let i = r.start; i < r.end; i++) {
    if (i % context.numPartitions !== context.partitionIndex) continue;
    const v = at(i);
    if (v !== undefined) collector.emit([...v]);
  }
}

/**
 * A fixed list of tuples cut into batches of `batchSize` (Storm's `FixedBatchSpout`); with
 * `cycle` it starts over at the end. Transactional: a batch is a range of positions, so a replay,
 * also after a restart, emits exactly the same tuples.
 */
export class FixedBatchSpout implements TridentSpout {
  readonly type = 'transactional' as const;
  private cycle = false;
  private readonly tuples: readonly Values[];

  constructor(
    private readonly fields: readonly string[],
    private readonly batchSize: number,
    ...tuples: Values[]
  ) {
    this.tuples = tuples;
  }

  setCycle(cycle: boolean): this {
    this.cycle = cycle;
    return this;
  }

  getOutputFields(): readonly string[] {
    return this.fields;
  }

  getCoordinator(): BatchCoordinator {
    return {
      initializeTransaction: (_txid, prev, curr) => {
        const stored = rangeOf(curr);
        if (stored !== null) return curr as Value;
        const start = rangeOf(prev)?.end ?? 0;
        const end = this.cycle ? start + this.batchSize : Math.min(start + this.batchSize, this.tuples.length);
        return { start, end };
      },
    };
  }

  getEmitter(context: TridentSpoutContext): Emitter {
    const n = this.tuples.length;
    return { emitBatch: (_tx, meta, collector) => emitRange(meta, context, (i) => (n === 0 ? undefined : this.tuples[i % n]), collector) };
  }
}

export interface FeederBatchSpoutOptions {
  /** `transactional` (a replay emits the same tuples) or `opaque` (a replay takes what is there now). @defaultValue "transactional" */
  readonly type?: 'transactional' | 'opaque';
  /** Most tuples per batch. @defaultValue 1000 */
  readonly maxBatchSize?: number;
}

/**
 * Tuples fed by a program or a test (Storm's `FeederBatchSpout`), kept in an in-process log that
 * outlives topologies (local mode only). Transactional by default: a batch is a fixed range of the
 * log. Opaque: a replayed txid starts where the previous batch ended and takes up to
 * `maxBatchSize` of what the log holds now, so it may carry more tuples than its first attempt.
 */
export class FeederBatchSpout implements TridentSpout {
  readonly type: 'transactional' | 'opaque';
  private readonly log: Values[] = [];
  private readonly maxBatchSize: number;

  constructor(
    private readonly fields: readonly string[],
    options: FeederBatchSpoutOptions = {},
  ) {
    this.type = options.type ?? 'transactional';
    this.maxBatchSize = options.maxBatchSize ?? 1000;
  }

  /** Appends tuples; they go out in the next batches. */
  feed(tuples: readonly Values[]): void {
    for (const t of tuples) this.log.push([...t]);
  }

  /** Tuples fed so far. */
  get size(): number {
    return this.log.length;
  }

  getOutputFields(): readonly string[] {
    return this.fields;
  }

  getCoordinator(): BatchCoordinator {
    return {
      initializeTransaction: (_txid, prev, curr) => {
        const stored = rangeOf(curr);
        if (stored !== null && this.type === 'transactional') return curr as Value;
        const start = rangeOf(prev)?.end ?? 0;
        return { start, end: Math.min(start + this.maxBatchSize, this.log.length) };
      },
    };
  }

  getEmitter(context: TridentSpoutContext): Emitter {
    return { emitBatch: (_tx, meta, collector) => emitRange(meta, context, (i) => this.log[i], collector) };
  }
}

/**
 * A source split into partitions, each read from an offset (Storm's `IPartitionedTridentSpout`):
 * the partitions come from one place, each emitter task takes its share of them.
 */
export interface PartitionedSource {
  /** The partitions (the same list at every call, unless partitions are added). */
  getPartitions(): readonly string[] | Promise<readonly string[]>;
  /**
   * Emits the next batch of `partition`, starting after what `lastMeta` (the partition's previous
   * batch, null at the first batch) covered; returns the metadata of what it emitted. The
   * partitions are fixed for the topology's life.
   */
  emitNewPartitionBatch(tx: TransactionAttempt, collector: TridentCollector, partition: string, lastMeta: Value | null): Promise<Value>;
  /** Emits exactly the batch `meta` describes again (transactional replays). */
  emitPartitionBatch(tx: TransactionAttempt, collector: TridentCollector, partition: string, meta: Value): Promise<void>;
  close?(): void | Promise<void>;
}

/**
 * Turns a {@link PartitionedSource} into a Trident spout, keeping each partition's batch metadata
 * (its offsets) per txid in the metadata store. Transactional: a txid whose metadata is stored is
 * re-emitted exactly. Opaque: a replayed txid reads again from where the partition's previous
 * batch ended.
 */
export class PartitionedTridentSpout implements TridentSpout {
  constructor(
    readonly type: 'transactional' | 'opaque',
    private readonly fields: readonly string[],
    private readonly source: (context: TridentSpoutContext) => PartitionedSource,
  ) {}

  getOutputFields(): readonly string[] {
    return this.fields;
  }

  getCoordinator(context: TridentSpoutContext): BatchCoordinator {
    let source: PartitionedSource | undefined;
    return {
      initializeTransaction: async () => {
        source ??= this.source(context);
        return [...(await source.getPartitions())];
      },
      close: () => source?.close?.(),
    };
  }

  getEmitter(context: TridentSpoutContext): Emitter {
    const source = this.source(context);
    const md = context.metadata;
    const key = (partition: string, txid: number): string => `p.${partition}.${txid}`;
    /** The newest metadata per partition, to skip a store read per batch. */
    const last = new Map<string, { txid: number; meta: Value }>();
    const lastMeta = async (partition: string, txid: number): Promise<Value | null> => {
      const l = last.get(partition);
      if (l !== undefined && l.txid === txid) return l.meta;
      return md.get(key(partition, txid));
    };
    return {
      emitBatch: async (tx, meta, collector) => {
        const partitions = Array.isArray(meta) ? (meta as readonly Value[]).filter((p): p is string => typeof p === 'string') : [];
        for (let i = 0; i < partitions.length; i++) {
          if (i % context.numPartitions !== context.partitionIndex) continue;
          const p = partitions[i] as string;
          const stored = this.type === 'transactional' ? await lastMeta(p, tx.txid) : null;
          if (stored !== null) {
            await source.emitPartitionBatch(tx, collector, p, stored);
            continue;
          }
          const prev = tx.txid > 1 ? await lastMeta(p, tx.txid - 1) : null;
          if (tx.txid > 1 && prev === null) {
            // The previous batch never stored where it ended (it failed before): this one cannot
            // know where to start. It fails, and goes again after the previous one is replayed.
            throw new TridentError(`partition '${p}' has no metadata for batch ${tx.txid - 1}: batch ${tx.txid} cannot start`);
          }
          const next = await source.emitNewPartitionBatch(tx, collector, p, prev);
          // Stored before the batch can complete: a commit of this txid implies its offsets are known.
          await md.put(key(p, tx.txid), next);
          last.set(p, { txid: tx.txid, meta: next });
        }
      },
      success: async (tx) => {
        // The committed batch's metadata is the start of the next one: keep it, drop the one before.
        for (const p of last.keys()) await md.delete(key(p, tx.txid - 1));
      },
      close: () => source.close?.(),
    };
  }
}
