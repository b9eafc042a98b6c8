import { TopologyBuilder, copyComponent, type Topology } from '../api/index.js';
import { InvalidTopologyError } from '../common/index.js';
import type { Config } from '../config/index.js';
import type { Value } from '../tuple/index.js';
import { MasterBatchCoordinator, TridentSpoutCoordinator } from './coordinator.js';
import { IncompatibleStateError } from './errors.js';
import {
  BATCH_STREAM,
  COMMIT_STREAM,
  COORD_STREAM,
  MASTER_COORDINATOR,
  SUCCESS_STREAM,
  edgeStream,
  spoutCoordinatorId,
  type Node,
  type NodeSpec,
  type RepartitionType,
  type Section,
  type StateSpec,
} from './nodes.js';
import {
  isCombiner,
  isReducer,
  type Aggregator,
  type AnyAggregator,
  type CombinerAggregator,
  type ConsumerLike,
  type FilterLike,
  type FlatMapLike,
  type FunctionLike,
  type MapLike,
  type QueryFunction,
  type ReducerAggregator,
  type StateUpdater,
  type TridentCollector,
} from './operations.js';
import { TridentSectionBolt, type SectionPlan } from './section-bolt.js';
import type { TridentSpout } from './spout.js';
import { keyString, type MapState, type State, type StateFactory } from './state.js';
import { FieldIndex, TridentTupleView, type TridentTuple } from './tuple.js';

function problem(message: string): InvalidTopologyError {
  return new InvalidTopologyError([{ message: `Trident: ${message}` }]);
}

function checkInput(fields: readonly string[], input: readonly string[], what: string): void {
  for (const f of input) if (!fields.includes(f)) throw problem(`${what}: no field '${f}' in the stream's fields [${fields.join(', ')}]`);
}

function checkNew(fields: readonly string[], added: readonly string[], what: string): void {
  const seen = new Set(fields);
  for (const f of added) {
    if (seen.has(f)) throw problem(`${what}: field '${f}' is already in the stream [${fields.join(', ')}]`);
    seen.add(f);
  }
}

/** Makes a per-task aggregator from any of the three kinds (Storm's adapters). */
function aggregatorFactory(agg: AnyAggregator): () => Aggregator<unknown> {
  const a = agg as Partial<Aggregator<unknown>>;
  if (typeof a.aggregate === 'function' && typeof a.complete === 'function') return () => copyComponent(agg as Aggregator<unknown>);
  if (isCombiner(agg)) {
    return () => {
      const c = copyComponent(agg);
      return {
        init: () => c.zero(),
        aggregate: (state: unknown, tuple: TridentTuple) => c.combine(state as Value, c.init(tuple)),
        complete: (state: unknown, collector: TridentCollector) => collector.emit([state as Value]),
      };
    };
  }
  if (isReducer(agg)) {
    return () => {
      const r = copyComponent(agg);
      return {
        init: () => r.init(),
        aggregate: (state: unknown, tuple: TridentTuple) => r.reduce(state as Value, tuple),
        complete: (state: unknown, collector: TridentCollector) => collector.emit([state as Value]),
      };
    };
  }
  throw problem('an aggregator needs init/aggregate/complete (Aggregator), init/combine/zero (CombinerAggregator) or init/reduce (ReducerAggregator)');
}

/**
 * Folds a batch's partial aggregates into the map state, key by key (Storm's
 * `MapCombinerAggStateUpdater`): tuples are `[...group, partial]`; emits `[...group, newValue]`.
 */
export class MapCombinerAggStateUpdater implements StateUpdater<MapState<Value>> {
  constructor(
    private readonly agg: CombinerAggregator<Value>,
    private readonly groupSize: number,
  ) {}

  async updateState(state: MapState<Value>, tuples: readonly TridentTuple[], collector: TridentCollector): Promise<void> {
    const g = this.groupSize;
    const agg = this.agg;
    const groups = new Map<string, { key: Value[]; value: Value }>();
    for (const t of tuples) {
      const key = t.values.slice(0, g) as Value[];
      const k = keyString(key);
      const v = t.values[g] as Value;
      const e = groups.get(k);
      if (e === undefined) groups.set(k, { key, value: v });
      else e.value = agg.combine(e.value, v);
    }
    const entries = [...groups.values()];
    const results = await state.multiUpdate(
      entries.map((e) => e.key),
      entries.map((e) => (old: Value | null) => (old === null ? agg.combine(agg.zero(), e.value) : agg.combine(old, e.value))),
    );
    for (let i = 0; i < entries.length; i++) collector.emit([...(entries[i] as { key: Value[] }).key, results[i] as Value]);
  }
}

/** Reduces a batch's tuples into the map state, key by key (Storm's `MapReducerAggStateUpdater`). */
export class MapReducerAggStateUpdater implements StateUpdater<MapState<Value>> {
  constructor(
    private readonly agg: ReducerAggregator<Value>,
    private readonly groupSize: number,
    private readonly inputFields: readonly string[],
  ) {}

  async updateState(state: MapState<Value>, tuples: readonly TridentTuple[], collector: TridentCollector): Promise<void> {
    const g = this.groupSize;
    const schema = new FieldIndex(this.inputFields);
    const groups = new Map<string, { key: Value[]; tuples: TridentTuple[] }>();
    for (const t of tuples) {
      const key = t.values.slice(0, g) as Value[];
      const k = keyString(key);
      const view = new TridentTupleView(schema, t.values.slice(g));
      const e = groups.get(k);
      if (e === undefined) groups.set(k, { key, tuples: [view] });
      else e.tuples.push(view);
    }
    const entries = [...groups.values()];
    const agg = this.agg;
    const results = await state.multiUpdate(
      entries.map((e) => e.key),
      entries.map((e) => (old: Value | null) => e.tuples.reduce((acc, t) => agg.reduce(acc, t), old ?? agg.init())),
    );
    for (let i = 0; i < entries.length; i++) collector.emit([...(entries[i] as { key: Value[] }).key, results[i] as Value]);
  }
}

/**
 * A Trident topology (Storm's `TridentTopology`): streams of batches built with `newStream`,
 * compiled by `build()` into an ordinary topology of spouts and bolts.
 */
export class TridentTopology {
  private readonly nodes: Node[] = [];
  private readonly sections: Section[] = [];
  private readonly spoutIds = new Set<string>();
  private readonly stateNames = new Map<StateFactory, string>();
  private readonly usedStateNames = new Set<string>();

  /** A stream of the batches `spout` emits; `id` names the spout (and its emitter bolt). */
  newStream(id: string, spout: TridentSpout): Stream {
    if (typeof id !== 'string' || id.length === 0 || id.startsWith('$') || id.startsWith('__')) {
      throw problem(`stream ids must be non-empty and not start with '$' or '__', got ${JSON.stringify(id)}`);
    }
    if (this.spoutIds.has(id)) throw problem(`stream id '${id}' is used twice`);
    if (typeof spout?.getOutputFields !== 'function' || typeof spout.getEmitter !== 'function') {
      throw problem(`newStream('${id}'): not a Trident spout (it needs type, getOutputFields, getCoordinator and getEmitter)`);
    }
    this.spoutIds.add(id);
    const fields = [...spout.getOutputFields()];
    checkNew([], fields, `spout '${id}'`);
    return new Stream(this, this.addNode({ kind: 'spout', spoutId: id, spout }, [], fields, true));
  }

  /** A state queried with `stateQuery` but written by no stream of this topology (a lookup table). */
  newStaticState(factory: StateFactory): TridentState {
    return new TridentState(this, null, this.stateSpec(factory));
  }

  /** One stream of the tuples of all of `streams` (they must have as many fields; names come from the first). */
  merge(...streams: Stream[]): Stream {
    const first = streams[0];
    if (first === undefined) throw problem('merge needs at least one stream');
    for (const s of streams) {
      if (s.node.fields.length !== first.node.fields.length) {
        throw problem(`merge: streams have different fields: [${first.node.fields.join(', ')}] and [${s.node.fields.join(', ')}]`);
      }
    }
    return new Stream(this, this.addNode({ kind: 'merge' }, streams.map((s) => s.node), first.node.fields, true));
  }

  /** @internal */
  addNode(spec: NodeSpec, parents: readonly Node[], fields: readonly string[], newSection: boolean): Node {
    let section: Section;
    if (newSection || parents[0] === undefined) {
      section = { index: this.sections.length, head: null, nodes: [], parallelism: 1, name: undefined };
      this.sections.push(section);
    } else {
      section = parents[0].section;
    }
    const node: Node = { id: this.nodes.length, spec, parents, fields, section, children: [] };
    if (section.head === null) (section as { head: Node | null }).head = node;
    section.nodes.push(node);
    for (const p of parents) p.children.push(node);
    this.nodes.push(node);
    return node;
  }

  /** @internal The state spec of a factory: one name per factory, `state-<n>` unless it has one. */
  stateSpec(factory: StateFactory): StateSpec {
    if (typeof factory?.makeState !== 'function') throw problem('a state factory needs makeState(context)');
    let name = this.stateNames.get(factory);
    if (name === undefined) {
      name = factory.name ?? `state-${this.stateNames.size}`;
      if (this.usedStateNames.has(name)) throw problem(`two different states are named '${name}'`);
      if (!/^[-_.a-zA-Z0-9]+$/.test(name)) throw problem(`state names are letters, digits, '-', '_' and '.', got ${JSON.stringify(name)}`);
      this.stateNames.set(factory, name);
      this.usedStateNames.add(name);
    }
    return { factory, name };
  }

  /** Checks each state against the spouts that feed it (Storm's valid combinations). */
  private checkStates(): void {
    for (const n of this.nodes) {
      if (n.spec.kind !== 'persist') continue;
      const stateType = n.spec.state.factory.stateType ?? 'non-transactional';
      if (stateType === 'non-transactional') continue;
      for (const s of spoutsOf(n)) {
        if (s.spec.kind !== 'spout') continue;
        const spoutType = s.spec.spout.type;
        if (stateType === 'transactional' && spoutType !== 'transactional') {
          throw new IncompatibleStateError(
            s.spec.spoutId,
            spoutType,
            n.spec.state.name,
            stateType,
            spoutType === 'opaque'
              ? 'a replayed batch of an opaque spout may carry different tuples, which a transactional state would skip; use an opaque state (e.g. RedisMapState.opaque())'
              : 'use a transactional spout, or an opaque or non-transactional state',
          );
        }
        if (stateType === 'opaque' && spoutType === 'non-transactional') {
          throw new IncompatibleStateError(s.spec.spoutId, spoutType, n.spec.state.name, stateType, 'use a transactional or opaque spout, or a non-transactional state');
        }
      }
    }
  }

  /** Compiles the streams into a topology of spouts and bolts, validated as any topology. */
  build(config: Config = {}): Topology {
    const spoutNodes = this.nodes.filter((n) => n.spec.kind === 'spout');
    if (spoutNodes.length === 0) throw problem('the topology has no stream (call newStream)');
    this.checkStates();
    const builder = new TopologyBuilder();
    const spouts = new Map<string, TridentSpout>();
    for (const n of spoutNodes) if (n.spec.kind === 'spout') spouts.set(n.spec.spoutId, n.spec.spout);
    builder.setSpout(MASTER_COORDINATOR, () => new MasterBatchCoordinator(spouts), 1);
    for (const [id, spout] of spouts) {
      builder
        .setBolt(spoutCoordinatorId(id), () => new TridentSpoutCoordinator(id, spout), 1)
        .globalGrouping(MASTER_COORDINATOR, BATCH_STREAM)
        .globalGrouping(MASTER_COORDINATOR, SUCCESS_STREAM);
    }
    const ids = new Map<Section, string>();
    const taken = new Set<string>(spouts.keys());
    let b = 0;
    for (const s of this.sections) {
      const head = s.head;
      if (head?.spec.kind === 'spout') ids.set(s, head.spec.spoutId);
      else {
        let id = s.name ?? `b-${b++}`;
        while (s.name === undefined && taken.has(id)) id = `b-${b++}`;
        if (taken.has(id)) throw problem(`the name '${id}' is used twice`);
        taken.add(id);
        ids.set(s, id);
      }
    }
    for (const s of this.sections) {
      const edges = new Map<number, { stream: string; fields: readonly string[] }[]>();
      const inputs = new Map<string, Node>();
      for (const n of s.nodes) {
        for (const c of n.children) {
          if (c.section === s) continue;
          c.parents.forEach((p, i) => {
            if (p !== n) return;
            const list = edges.get(n.id) ?? [];
            list.push({ stream: edgeStream(c, i), fields: n.fields });
            edges.set(n.id, list);
          });
        }
      }
      const head = s.head as Node;
      if (head.spec.kind !== 'spout') head.parents.forEach((_p, i) => inputs.set(edgeStream(head, i), head));
      const plan: SectionPlan = {
        section: s,
        committer: s.nodes.some((n) => n.spec.kind === 'persist'),
        edges,
        inputs,
        coordinates: edges.size > 0,
      };
      const id = ids.get(s) as string;
      const d = builder.setBolt(id, () => new TridentSectionBolt(plan), s.parallelism);
      if (head.spec.kind === 'spout') {
        d.allGrouping(spoutCoordinatorId(head.spec.spoutId), BATCH_STREAM).allGrouping(MASTER_COORDINATOR, SUCCESS_STREAM);
      } else {
        const upstream = new Set<string>();
        head.parents.forEach((p, i) => {
          const from = ids.get(p.section) as string;
          upstream.add(from);
          const stream = edgeStream(head, i);
          const spec = head.spec;
          if (spec.kind !== 'repartition') d.shuffleGrouping(from, stream);
          else if (spec.type === 'fields') d.fieldsGrouping(from, stream, spec.fields);
          else if (spec.type === 'all') d.allGrouping(from, stream);
          else if (spec.type === 'global') d.globalGrouping(from, stream);
          else d.shuffleGrouping(from, stream);
        });
        for (const from of upstream) d.directGrouping(from, COORD_STREAM);
      }
      if (plan.committer) d.allGrouping(MASTER_COORDINATOR, COMMIT_STREAM);
    }
    return builder.createTopology(config);
  }
}

function spoutsOf(node: Node): Node[] {
  const out = new Set<Node>();
  const seen = new Set<Node>();
  const stack = [node];
  while (stack.length > 0) {
    const n = stack.pop() as Node;
    if (seen.has(n)) continue;
    seen.add(n);
    if (n.spec.kind === 'spout') out.add(n);
    stack.push(...n.parents);
  }
  return [...out];
}

/** A state in the topology: what `persistentAggregate` and `partitionPersist` return, or a static one. */
export class TridentState {
  /** @internal */
  constructor(
    private readonly topology: TridentTopology,
    private readonly node: Node | null,
    /** @internal */ readonly spec: StateSpec,
  ) {}

  /** The new values the state's updater emitted (for persistentAggregate: `[...group, value]`). */
  newValuesStream(): Stream {
    if (this.node === null) throw problem(`state '${this.spec.name}' is static: it has no new values stream`);
    return new Stream(this.topology, this.node);
  }

  /** Tasks that write the state. */
  parallelismHint(n: number): this {
    if (this.node !== null) setParallelism(this.node.section, n);
    return this;
  }
}

function setParallelism(section: Section, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw problem(`parallelism must be an integer of at least 1, got ${n}`);
  section.parallelism = n;
}

type Aggregation = AnyAggregator;

/** A stream of batches (Storm's `Stream`): each operation returns a new stream. */
export class Stream {
  /** @internal */
  constructor(
    /** @internal */ readonly topology: TridentTopology,
    /** @internal */ readonly node: Node,
  ) {}

  getOutputFields(): readonly string[] {
    return this.node.fields;
  }

  private add(spec: NodeSpec, fields: readonly string[], newSection = false): Stream {
    return new Stream(this.topology, this.topology.addNode(spec, [this.node], fields, newSection));
  }

  /** Names the bolt this part of the stream runs in. */
  name(name: string): this {
    if (this.node.section.head?.spec.kind !== 'spout') this.node.section.name = name;
    return this;
  }

  /** Tasks for the operations since the last repartition (or the spout). */
  parallelismHint(n: number): this {
    setParallelism(this.node.section, n);
    return this;
  }

  /**
   * With `functionFields`: runs the function on `inputFields` and appends what it emits (a tuple
   * per emit). Without: `fn` is a filter on `inputFields`.
   */
  each(inputFields: readonly string[], fn: FunctionLike, functionFields: readonly string[]): Stream;
  each(inputFields: readonly string[], filter: FilterLike): Stream;
  each(inputFields: readonly string[], op: FunctionLike | FilterLike, functionFields?: readonly string[]): Stream {
    checkInput(this.node.fields, inputFields, 'each');
    if (functionFields === undefined) return this.add({ kind: 'filter', input: [...inputFields], op: op as FilterLike }, this.node.fields);
    checkNew(this.node.fields, functionFields, 'each');
    return this.add({ kind: 'each', input: [...inputFields], op: op as FunctionLike }, [...this.node.fields, ...functionFields]);
  }

  /** Keeps the tuples the filter accepts (on all fields, or on `inputFields`). */
  filter(filter: FilterLike): Stream;
  filter(inputFields: readonly string[], filter: FilterLike): Stream;
  filter(a: readonly string[] | FilterLike, b?: FilterLike): Stream {
    const [input, op] = Array.isArray(a) ? [a as readonly string[], b as FilterLike] : [this.node.fields, a as FilterLike];
    checkInput(this.node.fields, input, 'filter');
    return this.add({ kind: 'filter', input: [...input], op }, this.node.fields);
  }

  /** One tuple out per tuple in; `outputFields` when the fields change. */
  map(fn: MapLike, outputFields?: readonly string[]): Stream {
    if (outputFields !== undefined) checkNew([], outputFields, 'map');
    return this.add({ kind: 'map', op: fn }, outputFields ?? this.node.fields);
  }

  /** Any number of tuples out per tuple in. */
  flatMap(fn: FlatMapLike, outputFields?: readonly string[]): Stream {
    if (outputFields !== undefined) checkNew([], outputFields, 'flatMap');
    return this.add({ kind: 'flatMap', op: fn }, outputFields ?? this.node.fields);
  }

  /** Sees every tuple and passes it on. */
  peek(fn: ConsumerLike): Stream {
    return this.add({ kind: 'peek', op: fn }, this.node.fields);
  }

  /** Keeps only `fields`. */
  project(fields: readonly string[]): Stream {
    checkInput(this.node.fields, fields, 'project');
    checkNew([], fields, 'project');
    return this.add({ kind: 'project' }, [...fields]);
  }

  /** Aggregates each batch in each partition; the stream becomes what the aggregator emits. */
  partitionAggregate(inputFields: readonly string[], agg: Aggregation, functionFields: readonly string[]): Stream;
  partitionAggregate(agg: Aggregation, functionFields: readonly string[]): Stream;
  partitionAggregate(a: readonly string[] | Aggregation, b: Aggregation | readonly string[], c?: readonly string[]): Stream {
    const [input, agg, out] = Array.isArray(a) ? [a as readonly string[], b as Aggregation, c ?? []] : [this.node.fields, a as Aggregation, b as readonly string[]];
    return this.aggregateNode(input, agg, out, null);
  }

  /** @internal */
  aggregateNode(input: readonly string[], agg: Aggregation, out: readonly string[], groupFields: readonly string[] | null): Stream {
    checkInput(this.node.fields, input, 'aggregate');
    if (groupFields !== null) checkInput(this.node.fields, groupFields, 'groupBy');
    const fields = [...(groupFields ?? []), ...out];
    checkNew([], fields, 'aggregate');
    return this.add({ kind: 'aggregate', input: [...input], groupFields: groupFields === null ? null : [...groupFields], aggregator: aggregatorFactory(agg) }, fields);
  }

  /** Aggregates each whole batch (over all partitions) into one tuple. */
  aggregate(inputFields: readonly string[], agg: Aggregation, functionFields: readonly string[]): Stream;
  aggregate(agg: Aggregation, functionFields: readonly string[]): Stream;
  aggregate(a: readonly string[] | Aggregation, b: Aggregation | readonly string[], c?: readonly string[]): Stream {
    const [input, agg, out] = Array.isArray(a) ? [a as readonly string[], b as Aggregation, c ?? []] : [this.node.fields, a as Aggregation, b as readonly string[]];
    if (isCombiner(agg)) {
      // Partial aggregates per partition first, as Storm does: only one tuple per partition crosses.
      const partial = this.aggregateNode(input, agg, out, null);
      return partial.global().aggregateNode(out, { init: (t: TridentTuple) => t.getValue(0), combine: (x, y) => agg.combine(x, y), zero: () => agg.zero() }, out, null);
    }
    return this.global().aggregateNode(input, agg, out, null);
  }

  /** Groups by `fields`: what follows (aggregate, persistentAggregate, stateQuery) works per group. */
  groupBy(fields: readonly string[]): GroupedStream {
    checkInput(this.node.fields, fields, 'groupBy');
    return new GroupedStream(this, [...fields]);
  }

  /** Aggregates every batch into a map state under one global key `[]`, exactly once per batch. */
  persistentAggregate(factory: StateFactory, inputFields: readonly string[], agg: CombinerAggregator<Value> | ReducerAggregator<Value>, functionFields: readonly string[]): TridentState;
  persistentAggregate(factory: StateFactory, agg: CombinerAggregator<Value> | ReducerAggregator<Value>, functionFields: readonly string[]): TridentState;
  persistentAggregate(factory: StateFactory, a: unknown, b: unknown, c?: readonly string[]): TridentState {
    const [input, agg, out] = Array.isArray(a)
      ? [a as readonly string[], b as CombinerAggregator<Value> | ReducerAggregator<Value>, c ?? []]
      : [this.node.fields, a as CombinerAggregator<Value> | ReducerAggregator<Value>, b as readonly string[]];
    return new GroupedStream(this, []).persistentAggregate(factory, input, agg, out);
  }

  /** Reads a state per batch: `fn.batchRetrieve` once, then `fn.execute` per tuple, appending `functionFields`. */
  stateQuery(state: TridentState, inputFields: readonly string[], fn: QueryFunction<State, unknown> | QueryFunction<MapState<Value>, unknown>, functionFields: readonly string[]): Stream {
    checkInput(this.node.fields, inputFields, 'stateQuery');
    checkNew(this.node.fields, functionFields, 'stateQuery');
    return this.add(
      { kind: 'stateQuery', input: [...inputFields], state: state.spec, op: fn as QueryFunction<State, unknown> },
      [...this.node.fields, ...functionFields],
    );
  }

  /** Writes each batch into a state with `updater`, in the batch's commit; partition-local. */
  partitionPersist(factory: StateFactory, inputFields: readonly string[], updater: StateUpdater<State> | StateUpdater<MapState<Value>>, functionFields: readonly string[] = []): TridentState {
    checkInput(this.node.fields, inputFields, 'partitionPersist');
    checkNew([], functionFields, 'partitionPersist');
    const spec = this.topology.stateSpec(factory);
    const node = this.topology.addNode(
      { kind: 'persist', input: [...inputFields], state: spec, updater: updater as StateUpdater<State> },
      [this.node],
      [...functionFields],
      false,
    );
    return new TridentState(this.topology, node, spec);
  }

  private repartition(type: RepartitionType, fields: readonly string[] = []): Stream {
    return this.add({ kind: 'repartition', type, fields: [...fields] }, this.node.fields, true);
  }

  /** Spreads tuples evenly over the next operations' tasks. */
  shuffle(): Stream {
    return this.repartition('shuffle');
  }

  /** Tuples with equal `fields` go to the same task. */
  partitionBy(fields: readonly string[]): Stream {
    checkInput(this.node.fields, fields, 'partitionBy');
    return this.repartition('fields', fields);
  }

  /** Every task gets every tuple. */
  broadcast(): Stream {
    return this.repartition('all');
  }

  /** Every tuple goes to one task. */
  global(): Stream {
    return this.repartition('global');
  }
}

/** A stream grouped by fields (Storm's `GroupedStream`). */
export class GroupedStream {
  constructor(
    private readonly stream: Stream,
    readonly groupFields: readonly string[],
  ) {}

  /** The stream, ungrouped. */
  toStream(): Stream {
    return this.stream;
  }

  private partitioned(): Stream {
    return this.groupFields.length === 0 ? this.stream.global() : this.stream.partitionBy(this.groupFields);
  }

  /** Aggregates each batch per group; emits `[...group, ...functionFields]`. */
  aggregate(inputFields: readonly string[], agg: Aggregation, functionFields: readonly string[]): Stream;
  aggregate(agg: Aggregation, functionFields: readonly string[]): Stream;
  aggregate(a: readonly string[] | Aggregation, b: Aggregation | readonly string[], c?: readonly string[]): Stream {
    const [input, agg, out] = Array.isArray(a) ? [a as readonly string[], b as Aggregation, c ?? []] : [this.stream.getOutputFields(), a as Aggregation, b as readonly string[]];
    return this.partitioned().aggregateNode(input, agg, out, this.groupFields);
  }

  /** Aggregates each batch per group within each partition, without repartitioning. */
  partitionAggregate(inputFields: readonly string[], agg: Aggregation, functionFields: readonly string[]): Stream {
    return this.stream.aggregateNode(inputFields, agg, functionFields, this.groupFields);
  }

  /**
   * Aggregates into a map state keyed by the group, exactly once per batch with a transactional
   * or opaque state. A combiner aggregator is applied in each partition before the hop, so only
   * one tuple per group and partition crosses the network.
   */
  persistentAggregate(factory: StateFactory, inputFields: readonly string[], agg: CombinerAggregator<Value> | ReducerAggregator<Value>, functionFields: readonly string[]): TridentState;
  persistentAggregate(factory: StateFactory, agg: CombinerAggregator<Value> | ReducerAggregator<Value>, functionFields: readonly string[]): TridentState;
  persistentAggregate(factory: StateFactory, a: unknown, b: unknown, c?: readonly string[]): TridentState {
    const [input, agg, out] = Array.isArray(a)
      ? [a as readonly string[], b as CombinerAggregator<Value> | ReducerAggregator<Value>, c ?? []]
      : [[] as readonly string[], a as CombinerAggregator<Value> | ReducerAggregator<Value>, b as readonly string[]];
    if (out.length !== 1) throw problem(`persistentAggregate emits one value per group: give one function field, got [${out.join(', ')}]`);
    const g = this.groupFields;
    checkNew(g, out, 'persistentAggregate');
    if (isCombiner(agg)) {
      const partial = this.stream.aggregateNode(input, agg, out, g);
      const partitioned = g.length === 0 ? partial.global() : partial.partitionBy(g);
      return partitioned.partitionPersist(factory, [...g, ...out], new MapCombinerAggStateUpdater(agg, g.length) as StateUpdater<MapState<Value>>, [...g, ...out]);
    }
    if (isReducer(agg)) {
      checkInput(this.stream.getOutputFields(), input, 'persistentAggregate');
      return this.partitioned().partitionPersist(factory, [...g, ...input], new MapReducerAggStateUpdater(agg, g.length, input) as StateUpdater<MapState<Value>>, [...g, ...out]);
    }
    throw problem('persistentAggregate needs a CombinerAggregator (init/combine/zero) or a ReducerAggregator (init/reduce)');
  }

  /** Partitions by the group, then queries the state (see {@link Stream.stateQuery}). */
  stateQuery(state: TridentState, inputFields: readonly string[], fn: QueryFunction<State, unknown> | QueryFunction<MapState<Value>, unknown>, functionFields: readonly string[]): Stream {
    return this.partitioned().stateQuery(state, inputFields, fn, functionFields);
  }
}
