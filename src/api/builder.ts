import { SquallError, InvalidTopologyError, describe, type TopologyProblem } from '../common/index.js';
import { validateConfig, type Config, type TopologyConfig } from '../config/index.js';
import {
  validateTopologySpec,
  type ComponentSpec,
  type GroupingSpec,
  type InputSpec,
  type StreamSpec,
  type TopologySpec,
} from '../protocol/index.js';
import { DEFAULT_STREAM } from '../tuple/index.js';
import { toFactory, type ComponentDefinition } from './component-factory.js';
import {
  StreamDeclarations,
  isBasicBolt,
  type BasicBolt,
  type Bolt,
  type CustomStreamGrouping,
  type Spout,
} from './components.js';
import { checkWindowedBolt, isWindowedBolt, probeWindowedBolt, type WindowedBolt } from './windowing/index.js';
import { isStatefulBolt, validateCheckpointing } from './stateful-bolt.js';

type CustomGroupingDefinition = CustomStreamGrouping | (() => CustomStreamGrouping);

interface ComponentEntry {
  readonly id: string;
  readonly kind: 'spout' | 'bolt';
  readonly factory: () => Spout | Bolt | BasicBolt;
  readonly parallelism: number;
  tasks: number | undefined;
  readonly inputs: InputSpec[];
  readonly config: Record<string, unknown>;
}

/** Settings every component can take (Storm's `ComponentConfigurationDeclarer`). */
export class ComponentDeclarer<Self> {
  constructor(protected readonly entry: ComponentEntry) {}

  /** Tasks for the component, fixed for the topology's life; defaults to the parallelism. */
  setNumTasks(tasks: number): Self {
    this.entry.tasks = tasks;
    return this as unknown as Self;
  }

  addConfiguration(key: string, value: unknown): Self {
    this.entry.config[key] = value;
    return this as unknown as Self;
  }

  addConfigurations(config: Config): Self {
    Object.assign(this.entry.config, config);
    return this as unknown as Self;
  }

  setDebug(debug: boolean): Self {
    return this.addConfiguration('topology.debug', debug);
  }

  setMaxSpoutPending(max: number | null): Self {
    return this.addConfiguration('topology.max.spout.pending', max);
  }

  setTickFrequency(seconds: number | null): Self {
    return this.addConfiguration('topology.tick.tuple.freq.secs', seconds);
  }
}

export class SpoutDeclarer extends ComponentDeclarer<SpoutDeclarer> {}

/** Subscriptions of a bolt: one grouping method per Storm grouping, each on any declared stream. */
export class BoltDeclarer extends ComponentDeclarer<BoltDeclarer> {
  constructor(
    entry: ComponentEntry,
    private readonly customGroupings: Map<string, CustomGroupingDefinition>,
  ) {
    super(entry);
  }

  private subscribe(component: string, stream: string | undefined, grouping: GroupingSpec): this {
    this.entry.inputs.push({ component, stream: stream ?? DEFAULT_STREAM, grouping });
    return this;
  }

  /** Tuples spread evenly over the bolt's tasks. */
  shuffleGrouping(component: string, stream?: string): this {
    return this.subscribe(component, stream, { type: 'shuffle' });
  }

  /** Tuples with equal values in `fields` always go to the same task. */
  fieldsGrouping(component: string, fields: readonly string[]): this;
  fieldsGrouping(component: string, stream: string, fields: readonly string[]): this;
  fieldsGrouping(component: string, a: string | readonly string[], b?: readonly string[]): this {
    const [stream, fields] = typeof a === 'string' ? [a, b ?? []] : [undefined, a];
    return this.subscribe(component, stream, { type: 'fields', fields: [...fields] });
  }

  /** Every task gets every tuple. */
  allGrouping(component: string, stream?: string): this {
    return this.subscribe(component, stream, { type: 'all' });
  }

  /** Every tuple goes to the bolt's lowest task. */
  globalGrouping(component: string, stream?: string): this {
    return this.subscribe(component, stream, { type: 'global' });
  }

  /** No preference: a random task. */
  noneGrouping(component: string, stream?: string): this {
    return this.subscribe(component, stream, { type: 'none' });
  }

  /** The emitter picks the task with `emitDirect`; the stream must be declared direct. */
  directGrouping(component: string, stream?: string): this {
    return this.subscribe(component, stream, { type: 'direct' });
  }

  /** Tasks in the emitter's worker if there are any, otherwise shuffle. */
  localOrShuffleGrouping(component: string, stream?: string): this {
    return this.subscribe(component, stream, { type: 'localOrShuffle' });
  }

  /** Like fields grouping, but each key may go to two tasks, balancing skewed keys. */
  partialKeyGrouping(component: string, fields: readonly string[]): this;
  partialKeyGrouping(component: string, stream: string, fields: readonly string[]): this;
  partialKeyGrouping(component: string, a: string | readonly string[], b?: readonly string[]): this {
    const [stream, fields] = typeof a === 'string' ? [a, b ?? []] : [undefined, a];
    return this.subscribe(component, stream, { type: 'partialKey', fields: [...fields] });
  }

  /** The grouping decides: an instance (copied per emitting task) or a factory. */
  customGrouping(component: string, grouping: CustomGroupingDefinition): this;
  customGrouping(component: string, stream: string, grouping: CustomGroupingDefinition): this;
  customGrouping(component: string, a: string | CustomGroupingDefinition, b?: CustomGroupingDefinition): this {
    const [stream, grouping] = typeof a === 'string' ? [a, b] : [undefined, a];
    if (grouping === undefined) throw new SquallError('INVALID_TOPOLOGY', `Bolt '${this.entry.id}': customGrouping needs a grouping`);
    const name = `${this.entry.id}<-${component}:${stream ?? DEFAULT_STREAM}`;
    this.customGroupings.set(name, grouping);
    return this.subscribe(component, stream, { type: 'custom', name });
  }
}

/**
 * A validated topology, ready to submit: the plain-data spec plus the factories that make each
 * task's component instance.
 */
export class Topology {
  constructor(
    readonly spec: TopologySpec,
    readonly config: TopologyConfig,
    private readonly factories: ReadonlyMap<string, () => Spout | Bolt | BasicBolt>,
    private readonly customGroupings: ReadonlyMap<string, CustomGroupingDefinition>,
  ) {}

  /** The same topology with `config` merged over its configuration (validated again). */
  withConfig(config: Config): Topology {
    const merged = validateConfig({ ...this.config, ...config });
    validateCheckpointing(this.spec, merged);
    return new Topology(this.spec, merged, this.factories, this.customGroupings);
  }

  /**
   * The same topology with other executor counts (a rebalance): tasks stay as submitted, so each
   * count must lie between 1 and the component's tasks.
   */
  withExecutors(executors: Readonly<Record<string, number>>): Topology {
    const components = { ...this.spec.components };
    for (const [id, n] of Object.entries(executors)) {
      const c = components[id];
      if (c === undefined) throw new SquallError('INVALID_TOPOLOGY', `No component '${id}' in this topology`);
      if (!Number.isInteger(n) || n < 1 || n > c.tasks) throw new SquallError('INVALID_TOPOLOGY', `Component '${id}': executors must be 1 to ${c.tasks}, got ${n}`);
      components[id] = { ...c, parallelism: n };
    }
    return new Topology({ ...this.spec, components }, this.config, this.factories, this.customGroupings);
  }

  /**
   * The same topology with a component's implementation replaced (same id, same streams and
   * subscriptions); the testing kit uses it to mock spouts.
   */
  withComponent(id: string, definition: ComponentDefinition<Spout | Bolt | BasicBolt>): Topology {
    if (!this.factories.has(id)) throw new SquallError('INVALID_ARGUMENT', `No component '${id}' in this topology`);
    const factories = new Map(this.factories);
    factories.set(id, toFactory(definition as ComponentDefinition<object>) as () => Spout | Bolt | BasicBolt);
    return new Topology(this.spec, this.config, factories, this.customGroupings);
  }

  /** A fresh component instance for one task. */
  createComponent(id: string): Spout | Bolt | BasicBolt {
    const f = this.factories.get(id);
    if (f === undefined) throw new SquallError('INVALID_ARGUMENT', `No component '${id}' in this topology`);
    return f();
  }

  createCustomGrouping(name: string): CustomStreamGrouping {
    const def = this.customGroupings.get(name);
    if (def === undefined) throw new SquallError('INVALID_ARGUMENT', `No custom grouping '${name}' in this topology`);
    return toFactory<CustomStreamGrouping>(def)();
  }
}

/** Builds a topology of spouts and bolts (Storm's `TopologyBuilder`). */
export class TopologyBuilder {
  private readonly entries = new Map<string, ComponentEntry>();
  private readonly customGroupings = new Map<string, CustomGroupingDefinition>();

  /**
   * Adds a spout. `spout` is an instance (each task gets its own copy), a class, or a factory.
   * `parallelism` is the number of executors.
   */
  setSpout(id: string, spout: ComponentDefinition<Spout>, parallelism = 1): SpoutDeclarer {
    return new SpoutDeclarer(this.add(id, 'spout', spout, parallelism));
  }

  /** Adds a bolt, rich ({@link Bolt}), basic ({@link BasicBolt}) or windowed ({@link WindowedBolt}); see {@link setSpout}. */
  setBolt(id: string, bolt: ComponentDefinition<Bolt | BasicBolt | WindowedBolt>, parallelism = 1): BoltDeclarer {
    // The executor recognises windowed bolts and wraps them (WindowedBoltExecutor).
    return new BoltDeclarer(this.add(id, 'bolt', bolt as ComponentDefinition<Bolt | BasicBolt>, parallelism), this.customGroupings);
  }

  private add(
    id: string,
    kind: 'spout' | 'bolt',
    def: ComponentDefinition<Spout | Bolt | BasicBolt>,
    parallelism: number,
  ): ComponentEntry {
    if (typeof id !== 'string') throw new InvalidTopologyError([{ message: `component ids must be strings, got ${typeof id}` }]);
    if (this.entries.has(id)) {
      throw new InvalidTopologyError([{ component: id, message: `the id is used twice (by a ${this.entries.get(id)?.kind} and a ${kind})` }]);
    }
    if (!Number.isInteger(parallelism) || parallelism < 1) {
      throw new InvalidTopologyError([{ component: id, message: `parallelism must be an integer of at least 1, got ${parallelism}` }]);
    }
    if (def === null || def === undefined || (typeof def !== 'object' && typeof def !== 'function')) {
      throw new InvalidTopologyError([{ component: id, message: `expected a ${kind} instance, class or factory, got ${String(def)}` }]);
    }
    const entry: ComponentEntry = {
      id,
      kind,
      factory: toFactory(def as ComponentDefinition<object>) as () => Spout | Bolt | BasicBolt,
      parallelism,
      tasks: undefined,
      inputs: [],
      config: {},
    };
    this.entries.set(id, entry);
    return entry;
  }

  /**
   * Validates the topology and its configuration and returns it, or throws
   * {@link InvalidTopologyError} listing every problem with the component, stream or field named.
   */
  createTopology(config: Config = {}): Topology {
    const topologyConfig = validateConfig(config);
    const problems: TopologyProblem[] = [];
    const components: Record<string, ComponentSpec> = {};
    const cap = topologyConfig['topology.max.task.parallelism'];
    for (const e of this.entries.values()) {
      const probe = this.probe(e, problems);
      const streams: Record<string, StreamSpec> = {};
      for (const [sid, s] of probe.streams) streams[sid] = { fields: s.fields.names, direct: s.direct };
      const componentConfig = { ...probe.config, ...e.config };
      if (probe.windowed !== undefined) problems.push(...checkWindowedBolt(e.id, probe.windowed, topologyConfig, componentConfig));
      try {
        validateConfig(Object.fromEntries(Object.entries(componentConfig).filter(([k]) => k.startsWith('topology.'))));
      } catch (err) {
        problems.push({ component: e.id, message: describe(err) });
      }
      // As in Storm: the cap applies to executors and tasks, and no component has more executors than tasks.
      const requestedTasks = e.tasks ?? e.parallelism;
      const tasks = cap === null ? requestedTasks : Math.min(requestedTasks, cap);
      const parallelism = Math.min(cap === null ? e.parallelism : Math.min(e.parallelism, cap), tasks);
      components[e.id] = {
        id: e.id,
        kind: e.kind,
        parallelism,
        tasks,
        streams,
        inputs: e.inputs.map((i) => ({ ...i })),
        config: componentConfig,
        ...(probe.stateful === true ? { stateful: true } : {}),
      };
    }
    const spec: TopologySpec = { version: 1, components };
    problems.push(...validateTopologySpec(spec));
    if (problems.length > 0) throw new InvalidTopologyError(problems);
    validateCheckpointing(spec, topologyConfig);
    // A stateful bolt brings the checkpoint spout: systemTopology wires it (the spec keeps only the
    // flag) and the runtime makes its instances, as it does the ackers'.
    const factories = new Map([...this.entries.values()].map((e) => [e.id, e.factory]));
    return new Topology(spec, topologyConfig, factories, new Map(this.customGroupings));
  }

  /** Makes one instance to check its shape and read its declarations, as Storm does at build time. */
  private probe(
    e: ComponentEntry,
    problems: TopologyProblem[],
  ): { streams: StreamDeclarations['streams']; config: Config; windowed?: WindowedBolt; stateful?: boolean } {
    const declarations = new StreamDeclarations(e.id);
    let instance: Spout | Bolt | BasicBolt;
    try {
      instance = e.factory();
    } catch (err) {
      if (err instanceof InvalidTopologyError) problems.push(...inComponent(e.id, err));
      else problems.push({ component: e.id, message: `creating the component failed: ${describe(err)}` });
      return { streams: declarations.streams, config: {} };
    }
    if (typeof instance !== 'object' || instance === null) {
      problems.push({ component: e.id, message: `the factory returned ${String(instance)}, not a ${e.kind}` });
      return { streams: declarations.streams, config: {} };
    }
    const looksLike =
      e.kind === 'spout'
        ? typeof (instance as Spout).nextTuple === 'function' && typeof (instance as Spout).open === 'function'
        : typeof (instance as Bolt).execute === 'function' &&
          (isBasicBolt(instance) || typeof (instance as Bolt).prepare === 'function');
    if (!looksLike) {
      const needs = e.kind === 'spout' ? 'open() and nextTuple()' : 'prepare() and execute() (or extend BaseBasicBolt)';
      problems.push({ component: e.id, message: `is not a ${e.kind}: it needs ${needs}` });
    }
    try {
      instance.declareOutputFields?.(declarations);
    } catch (err) {
      if (err instanceof InvalidTopologyError) problems.push(...inComponent(e.id, err));
      else problems.push({ component: e.id, message: `declareOutputFields failed: ${describe(err)}` });
    }
    let config: Config = {};
    try {
      config = instance.getComponentConfiguration?.() ?? {};
    } catch (err) {
      problems.push({ component: e.id, message: `getComponentConfiguration failed: ${describe(err)}` });
    }
    const stateful = isStatefulBolt(instance);
    if (isWindowedBolt(instance)) {
      // Declares the late-tuple stream and adds the tick frequency its windows run on.
      config = probeWindowedBolt(e.id, instance, declarations, config, problems);
      return { streams: declarations.streams, config, windowed: instance, ...(stateful ? { stateful: true } : {}) };
    }
    if (stateful) return { streams: declarations.streams, config, stateful: true };
    return { streams: declarations.streams, config };
  }
}

/** A component's own refusal (bad options) as problems naming the component. */
function inComponent(component: string, err: InvalidTopologyError): TopologyProblem[] {
  return err.problems.map((p) => ({ ...p, component: p.component ?? component }));
}
