import type { AckerBolt } from '../acker/index.js';
import type { Topology } from '../api/index.js';
import type { Logger } from '../common/index.js';
import type { Transfer } from './emitter.js';
import type { TopologyPlan } from './plan.js';

/** What an executor needs from the worker it runs in. */
export interface ExecutorEnv {
  readonly plan: TopologyPlan;
  readonly topology: Topology;
  readonly transfer: Transfer;
  readonly logger: Logger;
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
