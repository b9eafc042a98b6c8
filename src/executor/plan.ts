import type { Topology } from '../api/index.js';
import { ackerCount, type TopologyConfig } from '../config/index.js';
import {
  computeTaskIds,
  splitIntoExecutors,
  systemTopology,
  type ComponentSpec,
  type GroupingSpec,
  type TopologySpec,
} from '../protocol/index.js';
import { Fields } from '../tuple/index.js';
import { SquallError } from '../common/index.js';

/**
 * Everything derived once from a topology before it runs: the system topology (with ackers),
 * task ids, executors, and the Fields of every stream. Shared by every task of a worker.
 */
export class TopologyPlan {
  readonly spec: TopologySpec;
  readonly componentTasks: ReadonlyMap<string, readonly number[]>;
  readonly taskToComponent: ReadonlyMap<number, string>;
  readonly ackers: number;
  private readonly fields = new Map<string, Fields>();

  constructor(
    readonly name: string,
    readonly topology: Topology,
    readonly config: TopologyConfig,
  ) {
    this.ackers = ackerCount(config);
    this.spec = systemTopology(topology.spec, this.ackers);
    this.componentTasks = computeTaskIds(this.spec);
    const t2c = new Map<number, string>();
    for (const [c, tasks] of this.componentTasks) for (const t of tasks) t2c.set(t, c);
    this.taskToComponent = t2c;
    for (const c of Object.values(this.spec.components)) {
      for (const [sid, s] of Object.entries(c.streams)) this.fields.set(`${c.id}\u0000${sid}`, new Fields(s.fields));
    }
  }

  component(id: string): ComponentSpec {
    const c = this.spec.components[id];
    if (c === undefined) throw new SquallError('INVALID_ARGUMENT', `No component '${id}' in topology '${this.name}'`);
    return c;
  }

  tasksOf(component: string): readonly number[] {
    return this.componentTasks.get(component) ?? [];
  }

  /** Fields of a declared stream (shared instance: tuples point at it). */
  streamFields(component: string, stream: string): Fields | undefined {
    return this.fields.get(`${component}\u0000${stream}`);
  }

  /** The executors of a component: task groups, as the scheduler places them. */
  executorsOf(component: string): number[][] {
    return splitIntoExecutors(this.tasksOf(component), this.component(component).parallelism);
  }

  /** Every executor of the topology as (component, tasks). */
  allExecutors(): { component: string; tasks: number[] }[] {
    const out: { component: string; tasks: number[] }[] = [];
    for (const id of [...this.componentTasks.keys()].sort()) {
      for (const tasks of this.executorsOf(id)) out.push({ component: id, tasks });
    }
    return out;
  }

  /** Subscribers of `component`'s streams: stream -> subscriber -> grouping. */
  targetsOf(component: string): Map<string, Map<string, GroupingSpec>> {
    const out = new Map<string, Map<string, GroupingSpec>>();
    for (const c of Object.values(this.spec.components)) {
      for (const input of c.inputs) {
        if (input.component !== component) continue;
        let m = out.get(input.stream);
        if (m === undefined) out.set(input.stream, (m = new Map<string, GroupingSpec>()));
        m.set(c.id, input.grouping);
      }
    }
    return out;
  }

  /** What `component` subscribes to: source -> stream -> grouping. */
  sourcesOf(component: string): Map<string, Map<string, GroupingSpec>> {
    const out = new Map<string, Map<string, GroupingSpec>>();
    for (const input of this.component(component).inputs) {
      let m = out.get(input.component);
      if (m === undefined) out.set(input.component, (m = new Map<string, GroupingSpec>()));
      m.set(input.stream, input.grouping);
    }
    return out;
  }

  /** The effective configuration of a component: topology config overridden by the component's. */
  componentConfig(component: string): TopologyConfig {
    return { ...this.config, ...this.component(component).config } as TopologyConfig;
  }
}
