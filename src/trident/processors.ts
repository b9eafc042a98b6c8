import { copyComponent, type Anchors } from '../api/index.js';
import type { TopologyConfig } from '../config/index.js';
import type { Value, Values } from '../tuple/index.js';
import type { Node } from './nodes.js';
import type {
  Aggregator,
  Filter,
  FlatMapFunction,
  MapFunction,
  Consumer,
  Operation,
  QueryFunction,
  StateUpdater,
  TridentCollector,
  TridentFunction,
  TridentOperationContext,
} from './operations.js';
import type { State } from './state.js';
import { FieldIndex, TridentTupleView, project, projection, type TridentTuple } from './tuple.js';

/** One batch as one task sees it. */
export interface BatchContext {
  readonly txid: number;
  readonly attempt: number;
  /** What emits are anchored to right now: the input tuple, or the batch's held tuples at its end. */
  anchor: Anchors;
  /** Per-processor state for this batch, by processor index. */
  readonly states: unknown[];
  /** Tuples sent to each downstream task in this batch, for the coordination tuples. */
  readonly counts: Map<number, number>;
}

export type Outlet = (batch: BatchContext, values: readonly Value[]) => void;

export interface ProcessorEnv {
  readonly config: TopologyConfig;
  readonly context: TridentOperationContext;
  reportError(error: unknown): void;
}

/** A node at run time, in one task. Children and outgoing streams are its outlets. */
export abstract class Processor {
  readonly outs: Outlet[] = [];

  constructor(
    readonly index: number,
    readonly node: Node,
  ) {}

  protected emit(batch: BatchContext, values: readonly Value[]): void {
    const outs = this.outs;
    for (let i = 0; i < outs.length; i++) (outs[i] as Outlet)(batch, values);
  }

  abstract execute(batch: BatchContext, values: readonly Value[]): void;
  finishBatch?(batch: BatchContext): void | Promise<void>;
  prepare(_env: ProcessorEnv): void | Promise<void> {}
  cleanup(): void | Promise<void> {}
}

/** A user operation instance for one task: objects copied, as Storm deserializes one per task. */
function instance<T extends object>(op: T): T {
  return typeof op === 'function' ? op : copyComponent(op);
}

function prepareOp(op: unknown, env: ProcessorEnv): void {
  if (typeof op === 'object' && op !== null) (op as Operation).prepare?.(env.config, env.context);
}

function cleanupOp(op: unknown): void {
  if (typeof op === 'object' && op !== null) (op as Operation).cleanup?.();
}

/** A collector whose emits append to (or replace) the current input, set before each call. */
class AppendingCollector implements TridentCollector {
  batch!: BatchContext;
  input: readonly Value[] = [];

  constructor(
    private readonly out: (batch: BatchContext, values: readonly Value[]) => void,
    private readonly append: boolean,
    private readonly env: ProcessorEnv,
  ) {}

  emit(values: Values): void {
    this.out(this.batch, this.append ? [...this.input, ...values] : values);
  }

  reportError(error: unknown): void {
    this.env.reportError(error);
  }
}

function parentSchema(node: Node): FieldIndex {
  return new FieldIndex(node.parents[0]?.fields ?? []);
}

/** Passes tuples on: section heads (repartition, merge). */
export class PassThrough extends Processor {
  execute(batch: BatchContext, values: readonly Value[]): void {
    this.emit(batch, values);
  }
}

export class EachProcessor extends Processor {
  private fn!: (tuple: TridentTuple, collector: TridentCollector) => void;
  private op: unknown;
  private positions: number[] = [];
  private inputSchema!: FieldIndex;
  private collector!: AppendingCollector;

  override prepare(env: ProcessorEnv): void {
    const spec = this.node.spec;
    if (spec.kind !== 'each') return;
    this.positions = projection(parentSchema(this.node), spec.input);
    this.inputSchema = new FieldIndex(spec.input);
    const op = instance(spec.op);
    this.op = op;
    prepareOp(op, env);
    this.fn = typeof op === 'function' ? op : (t, c) => (op as TridentFunction).execute(t, c);
    this.collector = new AppendingCollector((b, v) => this.emit(b, v), true, env);
  }

  execute(batch: BatchContext, values: readonly Value[]): void {
    const c = this.collector;
    c.batch = batch;
    c.input = values;
    this.fn(new TridentTupleView(this.inputSchema, project(values, this.positions)), c);
  }

  override cleanup(): void {
    cleanupOp(this.op);
  }
}

export class FilterProcessor extends Processor {
  private keep!: (tuple: TridentTuple) => boolean;
  private op: unknown;
  private positions: number[] = [];
  private inputSchema!: FieldIndex;

  override prepare(env: ProcessorEnv): void {
    const spec = this.node.spec;
    if (spec.kind !== 'filter') return;
    this.positions = projection(parentSchema(this.node), spec.input);
    this.inputSchema = new FieldIndex(spec.input);
    const op = instance(spec.op);
    this.op = op;
    prepareOp(op, env);
    this.keep = typeof op === 'function' ? op : (t) => (op as Filter).isKeep(t);
  }

  execute(batch: BatchContext, values: readonly Value[]): void {
    if (this.keep(new TridentTupleView(this.inputSchema, project(values, this.positions)))) this.emit(batch, values);
  }

  override cleanup(): void {
    cleanupOp(this.op);
  }
}

/** map, flatMap and peek: the operation sees the whole tuple. */
export class TupleOpProcessor extends Processor {
  private schema!: FieldIndex;
  private op: unknown;
  private run!: (batch: BatchContext, values: readonly Value[], tuple: TridentTuple) => void;

  override prepare(env: ProcessorEnv): void {
    const spec = this.node.spec;
    this.schema = parentSchema(this.node);
    if (spec.kind !== 'map' && spec.kind !== 'flatMap' && spec.kind !== 'peek') return;
    const op = instance(spec.op);
    this.op = op;
    prepareOp(op, env);
    if (spec.kind === 'map') {
      const f = typeof op === 'function' ? (op as (t: TridentTuple) => Values) : (t: TridentTuple) => (op as MapFunction).execute(t);
      this.run = (b, _v, t) => this.emit(b, f(t));
    } else if (spec.kind === 'flatMap') {
      const f = typeof op === 'function' ? (op as (t: TridentTuple) => Iterable<Values>) : (t: TridentTuple) => (op as FlatMapFunction).execute(t);
      this.run = (b, _v, t) => {
        for (const out of f(t)) this.emit(b, out);
      };
    } else {
      const f = typeof op === 'function' ? (op as (t: TridentTuple) => void) : (t: TridentTuple) => (op as Consumer).accept(t);
      this.run = (b, v, t) => {
        f(t);
        this.emit(b, v);
      };
    }
  }

  execute(batch: BatchContext, values: readonly Value[]): void {
    this.run(batch, values, new TridentTupleView(this.schema, values));
  }

  override cleanup(): void {
    cleanupOp(this.op);
  }
}

export class ProjectProcessor extends Processor {
  private positions: number[] = [];

  override prepare(): void {
    this.positions = projection(parentSchema(this.node), this.node.fields);
  }

  execute(batch: BatchContext, values: readonly Value[]): void {
    this.emit(batch, project(values, this.positions));
  }
}

interface Group {
  readonly key: Values;
  state: unknown;
}

/** partitionAggregate, per batch and partition; grouped after groupBy (one state per group). */
export class AggregateProcessor extends Processor {
  private agg!: Aggregator<unknown>;
  private positions: number[] = [];
  private groupPositions: number[] | null = null;
  private inputSchema!: FieldIndex;
  private collector!: AppendingCollector;

  override prepare(env: ProcessorEnv): void {
    const spec = this.node.spec;
    if (spec.kind !== 'aggregate') return;
    const schema = parentSchema(this.node);
    this.positions = projection(schema, spec.input);
    this.groupPositions = spec.groupFields === null ? null : projection(schema, spec.groupFields);
    this.inputSchema = new FieldIndex(spec.input);
    this.agg = spec.aggregator();
    prepareOp(this.agg, env);
    // Grouped results are the group's key followed by what the aggregator emits.
    this.collector = new AppendingCollector((b, v) => this.emit(b, v), this.groupPositions !== null, env);
  }

  private groups(batch: BatchContext): Map<string, Group> {
    let g = batch.states[this.index] as Map<string, Group> | undefined;
    if (g === undefined) batch.states[this.index] = g = new Map();
    return g;
  }

  execute(batch: BatchContext, values: readonly Value[]): void {
    const c = this.collector;
    c.batch = batch;
    const tuple = new TridentTupleView(this.inputSchema, project(values, this.positions));
    const tx = { txid: batch.txid, attempt: batch.attempt };
    if (this.groupPositions === null) {
      let st = batch.states[this.index] as { state: unknown } | undefined;
      if (st === undefined) batch.states[this.index] = st = { state: this.agg.init(tx, c) };
      const next = this.agg.aggregate(st.state, tuple, c);
      if (next !== undefined) st.state = next;
      return;
    }
    const key = project(values, this.groupPositions);
    const k = key.length === 1 && typeof key[0] === 'string' ? key[0] : JSON.stringify(key, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    const groups = this.groups(batch);
    let g = groups.get(k);
    c.input = key;
    if (g === undefined) groups.set(k, (g = { key, state: this.agg.init(tx, c) }));
    const next = this.agg.aggregate(g.state, tuple, c);
    if (next !== undefined) g.state = next;
  }

  override finishBatch(batch: BatchContext): void {
    const c = this.collector;
    c.batch = batch;
    if (this.groupPositions === null) {
      const st = batch.states[this.index] as { state: unknown } | undefined;
      // An aggregation of an empty batch still completes, as in Storm (a count of 0).
      const state = st === undefined ? this.agg.init({ txid: batch.txid, attempt: batch.attempt }, c) : st.state;
      this.agg.complete(state, c);
      return;
    }
    const groups = batch.states[this.index] as Map<string, Group> | undefined;
    if (groups === undefined) return;
    for (const g of groups.values()) {
      c.input = g.key;
      this.agg.complete(g.state, c);
    }
  }

  override cleanup(): void {
    cleanupOp(this.agg);
  }
}

/** A state a processor opened for its task. */
export type StateOpener = (node: Node) => Promise<State>;

/**
 * What stateQuery and partitionPersist share: the state opened for the task, the input fields
 * projected into tuples, an operation prepared and cleaned up with the task, and the batch
 * collected until its end.
 */
abstract class StateProcessor<Op extends object, Item> extends Processor {
  protected state!: State;
  protected op!: Op;
  protected positions: number[] = [];
  protected inputSchema!: FieldIndex;
  protected collector!: AppendingCollector;

  constructor(
    index: number,
    node: Node,
    private readonly open: StateOpener,
  ) {
    super(index, node);
  }

  /** The node's input fields and operation, and whether the collector keeps the input values. */
  protected abstract describeNode(): { input: readonly string[]; op: Op; keepInput: boolean } | undefined;
  protected abstract item(values: readonly Value[]): Item;

  override async prepare(env: ProcessorEnv): Promise<void> {
    const d = this.describeNode();
    if (d === undefined) return;
    this.positions = projection(parentSchema(this.node), d.input);
    this.inputSchema = new FieldIndex(d.input);
    this.op = instance(d.op);
    prepareOp(this.op, env);
    this.collector = new AppendingCollector((b, v) => this.emit(b, v), d.keepInput, env);
    this.state = await this.open(this.node);
  }

  execute(batch: BatchContext, values: readonly Value[]): void {
    let list = batch.states[this.index] as Item[] | undefined;
    if (list === undefined) batch.states[this.index] = list = [];
    list.push(this.item(values));
  }

  protected collected(batch: BatchContext): Item[] | undefined {
    const list = batch.states[this.index] as Item[] | undefined;
    return list === undefined || list.length === 0 ? undefined : list;
  }

  protected tupleOf(values: readonly Value[]): TridentTuple {
    return new TridentTupleView(this.inputSchema, project(values, this.positions));
  }

  override async cleanup(): Promise<void> {
    cleanupOp(this.op);
    await this.state?.close?.();
  }
}

/** stateQuery: collects the batch, reads the state once at its end, emits per tuple. */
export class StateQueryProcessor extends StateProcessor<QueryFunction<State, unknown>, readonly Value[]> {
  protected describeNode() {
    const spec = this.node.spec;
    return spec.kind === 'stateQuery' ? { input: spec.input, op: spec.op, keepInput: true } : undefined;
  }

  protected item(values: readonly Value[]): readonly Value[] {
    return values;
  }

  override async finishBatch(batch: BatchContext): Promise<void> {
    const list = this.collected(batch);
    if (list === undefined) return;
    const tuples = list.map((v) => this.tupleOf(v));
    const results = await this.op.batchRetrieve(this.state, tuples);
    const c = this.collector;
    c.batch = batch;
    for (let i = 0; i < tuples.length; i++) {
      c.input = list[i] as readonly Value[];
      this.op.execute(tuples[i] as TridentTuple, results[i], c);
    }
  }
}

/**
 * partitionPersist (and so persistentAggregate): collects the batch; at its end, which for this
 * section is the batch's commit, writes it into the state between beginCommit and commit.
 */
export class PersistProcessor extends StateProcessor<StateUpdater<State>, TridentTuple> {
  protected describeNode() {
    const spec = this.node.spec;
    return spec.kind === 'persist' ? { input: spec.input, op: spec.updater, keepInput: false } : undefined;
  }

  protected item(values: readonly Value[]): TridentTuple {
    return this.tupleOf(values);
  }

  override async finishBatch(batch: BatchContext): Promise<void> {
    // As in Storm: a batch that brought this partition nothing does not touch the state.
    const list = this.collected(batch);
    if (list === undefined) return;
    this.collector.batch = batch;
    await this.state.beginCommit(batch.txid);
    await this.op.updateState(this.state, list, this.collector);
    await this.state.commit(batch.txid);
  }
}

export function createProcessor(index: number, node: Node, open: StateOpener): Processor {
  switch (node.spec.kind) {
    case 'spout':
    case 'repartition':
    case 'merge':
      return new PassThrough(index, node);
    case 'each':
      return new EachProcessor(index, node);
    case 'filter':
      return new FilterProcessor(index, node);
    case 'map':
    case 'flatMap':
    case 'peek':
      return new TupleOpProcessor(index, node);
    case 'project':
      return new ProjectProcessor(index, node);
    case 'aggregate':
      return new AggregateProcessor(index, node);
    case 'stateQuery':
      return new StateQueryProcessor(index, node, open);
    case 'persist':
      return new PersistProcessor(index, node, open);
  }
}
