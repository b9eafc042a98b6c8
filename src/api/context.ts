import type { Clock, Logger } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import type { GroupingSpec, TopologySpec } from '../protocol/index.js';
import type { Fields, Tuple, Values } from '../tuple/index.js';

/** Hooks into a task's life, Storm's `ITaskHook`: every method is optional. */
export interface TaskHook {
  prepare?(config: TopologyConfig, context: TopologyContext): void;
  emit?(info: { stream: string; values: Values; outTasks: readonly number[]; messageId?: unknown }): void;
  /** `completeLatencyMs` is -1 for trees outside the latency sample (`topology.stats.sample.rate`). */
  spoutAck?(info: { messageId: unknown; completeLatencyMs: number }): void;
  spoutFail?(info: { messageId: unknown; reason: 'failed' | 'timeout' }): void;
  boltExecute?(info: { tuple: Tuple }): void;
  boltAck?(info: { tuple: Tuple }): void;
  boltFail?(info: { tuple: Tuple }): void;
  cleanup?(): void;
}

/** What a task knows about the topology and its place in it (Storm's `TopologyContext`). */
export interface TopologyContext {
  readonly topologyName: string;
  readonly thisComponentId: string;
  readonly thisTaskId: number;
  /** Position of this task among its component's tasks, from 0. */
  readonly thisTaskIndex: number;
  /** Tasks that run in this worker (every task in local mode). */
  readonly thisWorkerTasks: readonly number[];
  /** Directory of the topology's resources (multilang scripts, binaries), if it has one. */
  readonly resourcesDir: string | undefined;
  /** The topology as it runs, system components included. */
  readonly spec: TopologySpec;
  /** Where the runtime logs: components log here too, to appear with the topology's own lines. */
  readonly logger: Logger;
  /**
   * The time the topology runs on (Storm's `Time`): the real clock, or a `LocalCluster`'s simulated
   * one. Components that read the time or set timers use it, so tests can move time themselves.
   */
  readonly clock: Clock;
  getComponentId(taskId: number): string | undefined;
  getComponentTasks(componentId: string): readonly number[];
  getComponentIds(): readonly string[];
  getComponentOutputFields(componentId: string, streamId?: string): Fields;
  getThisStreams(): readonly string[];
  /** The streams this component subscribes to, as `component -> stream -> grouping`. */
  getThisSources(): ReadonlyMap<string, ReadonlyMap<string, GroupingSpec>>;
  /** Who subscribes to this component, as `stream -> component -> grouping`. */
  getThisTargets(): ReadonlyMap<string, ReadonlyMap<string, GroupingSpec>>;
  addTaskHook(hook: TaskHook): void;
}
