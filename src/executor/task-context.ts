import type { TaskHook, TopologyContext } from '../api/index.js';
import type { Clock, Logger } from '../common/index.js';
import type { GroupingSpec, TopologySpec } from '../protocol/index.js';
import type { Fields } from '../tuple/index.js';
import { DEFAULT_STREAM } from '../tuple/index.js';
import type { TopologyPlan } from './plan.js';
import { SquallError } from '../common/index.js';

export class TaskContext implements TopologyContext {
  readonly hooks: TaskHook[] = [];
  readonly thisTaskIndex: number;
  readonly spec: TopologySpec;

  constructor(
    private readonly plan: TopologyPlan,
    readonly thisComponentId: string,
    readonly thisTaskId: number,
    readonly thisWorkerTasks: readonly number[],
    readonly resourcesDir: string | undefined,
    readonly logger: Logger,
    readonly clock: Clock,
  ) {
    this.thisTaskIndex = plan.tasksOf(thisComponentId).indexOf(thisTaskId);
    this.spec = plan.spec;
  }

  get topologyName(): string {
    return this.plan.name;
  }

  getComponentId(taskId: number): string | undefined {
    return this.plan.taskToComponent.get(taskId);
  }

  getComponentTasks(componentId: string): readonly number[] {
    return this.plan.tasksOf(componentId);
  }

  getComponentIds(): readonly string[] {
    return [...this.plan.componentTasks.keys()];
  }

  getComponentOutputFields(componentId: string, streamId: string = DEFAULT_STREAM): Fields {
    const f = this.plan.streamFields(componentId, streamId);
    if (f === undefined) throw new SquallError('INVALID_ARGUMENT', `Component '${componentId}' declares no stream '${streamId}'`);
    return f;
  }

  getThisStreams(): readonly string[] {
    return Object.keys(this.plan.component(this.thisComponentId).streams);
  }

  getThisSources(): ReadonlyMap<string, ReadonlyMap<string, GroupingSpec>> {
    return this.plan.sourcesOf(this.thisComponentId);
  }

  getThisTargets(): ReadonlyMap<string, ReadonlyMap<string, GroupingSpec>> {
    return this.plan.targetsOf(this.thisComponentId);
  }

  addTaskHook(hook: TaskHook): void {
    this.hooks.push(hook);
  }
}
