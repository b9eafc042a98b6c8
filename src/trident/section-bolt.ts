import type { Anchors, Bolt, OutputCollector, OutputFieldsDeclarer, TopologyContext } from '../api/index.js';
import { TridentError } from './errors.js';
import type { TopologyConfig } from '../config/index.js';
import type { Tuple, Value } from '../tuple/index.js';
import { spoutContext } from './coordinator.js';
import { openMetadataStore, type MetadataStore } from './metadata.js';
import {
  BATCH_STREAM,
  COMMIT_STREAM,
  COORD_STREAM,
  SUCCESS_STREAM,
  TX_FIELDS,
  batchValues,
  type Node,
  type Section,
} from './nodes.js';
import type { TridentCollector } from './operations.js';
import { createProcessor, type BatchContext, type Processor, type ProcessorEnv } from './processors.js';
import type { Emitter } from './spout.js';
import type { State } from './state.js';

/** A section as compiled: its nodes, where its data comes from and goes, and whether it commits. */
export interface SectionPlan {
  readonly section: Section;
  /** Nodes whose state is written in the batch's commit: the section waits for `$commit`. */
  readonly committer: boolean;
  /** Outgoing data streams per node id, with the fields they carry (the node's). */
  readonly edges: ReadonlyMap<number, readonly { readonly stream: string; readonly fields: readonly string[] }[]>;
  /** Incoming data stream id -> the head node it feeds. */
  readonly inputs: ReadonlyMap<string, Node>;
  /** Whether any section downstream receives this one's coordination tuples. */
  readonly coordinates: boolean;
}

interface Tracker extends BatchContext {
  received: number;
  expected: number;
  reports: number;
  /** Coordination tuples, acked when the batch is done here (so its tree stays open until then). */
  held: Tuple[];
  commit: Tuple | null;
  ready: boolean;
  failed: boolean;
  dropped: boolean;
}

/**
 * Runs one section of a Trident topology in one task (Storm's `TridentBoltExecutor` around a
 * `SubtopologyBolt`, or around the spout's emitter). Data tuples carry `[txid, attempt, ...]`
 * and go through the section's processors as they arrive; a task knows it has the whole batch
 * when every upstream task has sent its coordination tuple `[txid, attempt, count]` and it has
 * received that many tuples. It then finishes the batch (aggregators emit, states are written),
 * tells each downstream task how many tuples it sent it, and acks the coordination tuples. A
 * committer section acks them as soon as it has the batch, and finishes when `$commit` arrives.
 */
export class TridentSectionBolt implements Bolt {
  private collector!: OutputCollector;
  private readonly procs: Processor[] = [];
  private readonly byNode = new Map<number, Processor>();
  private finishers: Processor[] = [];
  private readonly trackers = new Map<number, Tracker>();
  /** The last attempt of each recent txid that finished in this task. */
  private readonly finished = new Map<number, number>();
  private expectedReports = 0;
  private coordTargets: number[] = [];
  private chain: Promise<void> = Promise.resolve();
  private emitter: Emitter | undefined;
  private store: MetadataStore | undefined;

  constructor(private readonly plan: SectionPlan) {}

  async prepare(config: TopologyConfig, context: TopologyContext, collector: OutputCollector): Promise<void> {
    this.collector = collector;
    const tasks = context.getComponentTasks(context.thisComponentId).length;
    const env: ProcessorEnv = {
      config,
      context: { topologyName: context.topologyName, partitionIndex: context.thisTaskIndex, numPartitions: tasks },
      reportError: (e) => collector.reportError(e),
    };
    const open = async (node: Node): Promise<State> => {
      const spec = node.spec;
      if (spec.kind !== 'persist' && spec.kind !== 'stateQuery') throw new TridentError(`node ${node.id} has no state`);
      return spec.state.factory.makeState({
        topologyName: context.topologyName,
        stateName: spec.state.name,
        partitionIndex: context.thisTaskIndex,
        numPartitions: tasks,
        config,
        forQuery: spec.kind === 'stateQuery',
      });
    };
    const nodes = this.plan.section.nodes;
    nodes.forEach((n, i) => {
      const p = createProcessor(i, n, open);
      this.procs.push(p);
      this.byNode.set(n.id, p);
    });
    for (const p of this.procs) {
      for (const child of p.node.children) {
        const cp = this.byNode.get(child.id);
        if (cp !== undefined && child.section === this.plan.section) p.outs.push((b, v) => cp.execute(b, v));
      }
      for (const { stream } of this.plan.edges.get(p.node.id) ?? []) p.outs.push((b, v) => this.emitData(stream, b, v));
    }
    for (const p of this.procs) await p.prepare(env);
    this.finishers = this.procs.filter((p) => p.finishBatch !== undefined);
    for (const [component, streams] of context.getThisSources()) {
      if (streams.has(COORD_STREAM)) this.expectedReports += context.getComponentTasks(component).length;
    }
    for (const component of context.getThisTargets().get(COORD_STREAM)?.keys() ?? []) this.coordTargets.push(...context.getComponentTasks(component));
    const head = this.plan.section.head;
    if (head !== null && head.spec.kind === 'spout') {
      this.store = await openMetadataStore(config);
      this.emitter = await head.spec.spout.getEmitter(
        spoutContext(this.store, config, context, head.spec.spoutId, context.thisTaskIndex, tasks),
      );
    }
  }

  private emitData(stream: string, batch: BatchContext, values: readonly Value[]): void {
    const tasks = this.collector.emit(stream, batch.anchor, batchValues(batch.txid, batch.attempt, values));
    const counts = batch.counts;
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i] as number;
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
  }

  /** The tracker of `txid` at `attempt`; null when the tuple belongs to an older, failed attempt. */
  private tracker(txid: number, attempt: number): Tracker | null {
    // A late tuple of an attempt that already finished here must not start it again.
    if ((this.finished.get(txid) ?? -1) >= attempt) return null;
    const tr = this.trackers.get(txid);
    if (tr !== undefined) {
      if (tr.attempt === attempt) return tr;
      if (tr.attempt > attempt) return null;
      this.drop(tr);
    }
    const fresh: Tracker = {
      txid,
      attempt,
      anchor: null,
      states: [],
      counts: new Map(),
      received: 0,
      expected: 0,
      reports: 0,
      held: [],
      commit: null,
      ready: false,
      failed: false,
      dropped: false,
    };
    this.trackers.set(txid, fresh);
    return fresh;
  }

  /** Forgets an attempt superseded by a newer one (its tree has failed already). */
  private drop(tr: Tracker): void {
    tr.dropped = true;
    for (const t of tr.held) this.collector.fail(t);
    if (tr.commit !== null) this.collector.fail(tr.commit);
    tr.held = [];
    tr.commit = null;
    if (this.trackers.get(tr.txid) === tr) this.trackers.delete(tr.txid);
    this.markFinished(tr);
  }

  execute(input: Tuple): void {
    const stream = input.sourceStreamId;
    const values = input.values;
    const txid = values[0] as number;
    const attempt = values[1] as number;
    if (stream === BATCH_STREAM) return this.onBatch(input, txid, attempt, values[2] as Value);
    if (stream === SUCCESS_STREAM) return this.onSuccess(input, txid, attempt);
    const tr = this.tracker(txid, attempt);
    if (tr === null) {
      this.collector.ack(input);
      return;
    }
    if (stream === COORD_STREAM) {
      tr.reports++;
      tr.expected += values[2] as number;
      tr.held.push(input);
    } else if (stream === COMMIT_STREAM) {
      tr.commit = input;
    } else {
      this.onData(input, tr);
    }
    this.check(tr);
  }

  private onData(input: Tuple, tr: Tracker): void {
    tr.received++;
    const head = this.plan.inputs.get(input.sourceStreamId);
    const proc = head === undefined ? undefined : this.byNode.get(head.id);
    if (tr.failed || proc === undefined) {
      this.collector.fail(input);
      tr.failed = true;
      return;
    }
    tr.anchor = input;
    try {
      proc.execute(tr, input.values.slice(2));
    } catch (err) {
      // The batch cannot succeed any more: fail it now rather than at its timeout.
      this.collector.reportError(err);
      tr.failed = true;
      this.collector.fail(input);
      return;
    }
    this.collector.ack(input);
  }

  private check(tr: Tracker): void {
    if (tr.dropped) return;
    if (tr.failed && tr.commit !== null) {
      this.drop(tr);
      return;
    }
    if (!tr.ready) {
      // A spout section has the batch when its emitter is done (see onBatch).
      if (this.emitter !== undefined) return;
      if (tr.reports < this.expectedReports || tr.received < tr.expected) return;
      tr.ready = true;
      if (tr.failed) {
        this.drop(tr);
        return;
      }
      if (!this.plan.committer) {
        this.finish(tr, tr.held);
        tr.held = [];
        return;
      }
      // The batch is all here: let its tree complete so the master may send the commit.
      for (const t of tr.held) this.collector.ack(t);
      tr.held = [];
    }
    if (this.plan.committer) this.checkCommit(tr);
  }

  private checkCommit(tr: Tracker): void {
    if (!tr.ready || tr.commit === null) return;
    const commit = tr.commit;
    tr.commit = null;
    this.finish(tr, [commit]);
  }

  private onBatch(input: Tuple, txid: number, attempt: number, meta: Value): void {
    const emitter = this.emitter;
    const tr = emitter === undefined ? null : this.tracker(txid, attempt);
    if (emitter === undefined || tr === null) {
      this.collector.ack(input);
      return;
    }
    const head = this.plan.section.head as Node;
    const proc = this.byNode.get(head.id) as Processor;
    const collector: TridentCollector = {
      emit: (values) => {
        if (tr.failed) return;
        tr.anchor = input;
        try {
          proc.execute(tr, values);
        } catch (err) {
          // An operation failed: the batch fails, but the spout's emit goes on undisturbed, so
          // it records the batch's metadata as it would have.
          this.collector.reportError(err);
          tr.failed = true;
        }
      },
      reportError: (e) => this.collector.reportError(e),
    };
    // Batches are emitted one after another, in txid order as the coordinator sent them.
    this.chain = this.chain.then(async () => {
      if (tr.dropped) {
        this.collector.fail(input);
        return;
      }
      try {
        await emitter.emitBatch({ txid, attempt }, meta, collector);
      } catch (err) {
        this.collector.reportError(err);
        this.collector.fail(input);
        this.drop(tr);
        return;
      }
      if (tr.failed) {
        this.collector.fail(input);
        this.drop(tr);
        return;
      }
      if (!this.plan.committer) {
        await this.runFinish(tr, [input]);
        return;
      }
      tr.ready = true;
      this.collector.ack(input);
      this.check(tr);
    });
  }

  private onSuccess(input: Tuple, txid: number, attempt: number): void {
    const emitter = this.emitter;
    this.chain = this.chain.then(async () => {
      try {
        await emitter?.success?.({ txid, attempt });
      } catch (err) {
        this.collector.reportError(err);
      }
      this.collector.ack(input);
    });
  }

  private finish(tr: Tracker, anchors: readonly Tuple[]): void {
    this.chain = this.chain.then(() => this.runFinish(tr, anchors));
  }

  private async runFinish(tr: Tracker, anchors: readonly Tuple[]): Promise<void> {
    try {
      if (tr.dropped || tr.failed) throw new TridentError(`batch ${tr.txid} attempt ${tr.attempt} failed`);
      tr.anchor = anchors as Anchors;
      for (const p of this.finishers) {
        const r = p.finishBatch?.(tr);
        if (r !== undefined) await r;
      }
      for (const task of this.coordTargets) {
        this.collector.emitDirect(task, COORD_STREAM, anchors, [tr.txid, tr.attempt, tr.counts.get(task) ?? 0]);
      }
      for (const a of anchors) this.collector.ack(a);
    } catch (err) {
      if (!tr.dropped) this.collector.reportError(err);
      for (const a of anchors) this.collector.fail(a);
    } finally {
      if (this.trackers.get(tr.txid) === tr) this.trackers.delete(tr.txid);
      this.markFinished(tr);
    }
  }

  private markFinished(tr: Tracker): void {
    this.finished.set(tr.txid, tr.attempt);
    // Txids far behind the newest cannot see tuples any more: keep the map small.
    if (this.finished.size > 1000) for (const tx of this.finished.keys()) if (tx < tr.txid - 500) this.finished.delete(tx);
  }

  async cleanup(): Promise<void> {
    await this.chain.catch(() => undefined);
    for (const p of this.procs) await p.cleanup();
    await this.emitter?.close?.();
    await this.store?.close();
  }

  declareOutputFields(d: OutputFieldsDeclarer): void {
    for (const edges of this.plan.edges.values()) for (const e of edges) d.declareStream(e.stream, [...TX_FIELDS, ...e.fields]);
    if (this.plan.coordinates) d.declareStream(COORD_STREAM, [...TX_FIELDS, 'count'], true);
  }
}
