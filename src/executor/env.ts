import type { AckerBolt } from '../acker/index.js';
import type { Topology } from '../api/index.js';
import type { Clock, Logger } from '../common/index.js';
import type { TopologyConfig } from '../config/index.js';
import { TaskEmitter, type Transfer } from './emitter.js';
import type { TopologyPlan } from './plan.js';
import { TaskStats } from './stats.js';
import { TaskContext } from './task-context.js';

/** What an executor needs from the worker it runs in. */
export interface ExecutorEnv {
  readonly plan: TopologyPlan;
  readonly topology: Topology;
  readonly transfer: Transfer;
  readonly logger: Logger;
  /** Every timer and timestamp of the worker's executors and components. */
  readonly clock: Clock;
  /** Tasks that run in this worker. */
  readonly workerTasks: readonly number[];
  readonly localTasks: ReadonlySet<number>;
  readonly resourcesDir: string | undefined;
  /** Called for every error a component reports or throws. */
  onError(component: string, task: number, error: unknown): void;
  /** Asks the worker loop to run soon (after async work completed outside it). */
  wake(): void;
  /** The acker of `task` when that acker task runs in this worker. */
  readonly localAcker: (task: number) => AckerBolt | undefined;
}

/** What every task of an executor starts with: its context, its counters and its emitter. */
export function createTaskParts(
  env: ExecutorEnv,
  config: TopologyConfig,
  component: string,
  task: number,
): { context: TaskContext; stats: TaskStats; emitter: TaskEmitter } {
  const context = new TaskContext(env.plan, component, task, env.workerTasks, env.resourcesDir, env.logger, env.clock);
  const stats = new TaskStats();
  const emitter = new TaskEmitter(
    env.plan,
    env.topology,
    component,
    task,
    context,
    env.transfer,
    stats,
    {
      debug: config['topology.debug'],
      trySerialize: config['topology.testing.always.try.serialize'],
      logger: env.logger,
      localAcker: env.localAcker,
    },
    env.localTasks,
  );
  return { context, stats, emitter };
}
