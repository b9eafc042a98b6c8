import type { Topology } from '../api/index.js';
import {
  AlreadyAliveError,
  NotAliveError,
  SimulatedClock,
  SquallError,
  realClock,
  silentLogger,
  type Clock,
  type Logger,
} from '../common/index.js';
import type { Config } from '../config/index.js';
import { WorkerRuntime, type ComponentSummary, type ReportedError } from '../executor/index.js';

export interface SubmitOptions {
  /** Start with spouts deactivated. */
  readonly inactive?: boolean;
  /** Directory of the topology's resources (multilang scripts). */
  readonly resourcesDir?: string;
}

export interface KillOptions {
  /** Milliseconds to wait for in-flight tuples after deactivating; default: the topology's setting or its message timeout. */
  readonly waitMs?: number;
}

export interface TopologySummary {
  readonly topology: string;
  readonly status: 'ACTIVE' | 'INACTIVE';
  readonly uptime_secs: number;
  readonly components: Record<string, ComponentSummary>;
  readonly errors: readonly ReportedError[];
}

export interface LocalClusterOptions {
  readonly logger?: Logger;
  /**
   * Run on simulated time (Storm's `withSimulatedTimeLocalCluster`): the topologies' clock stands
   * still until {@link LocalCluster.advanceTime}, so message timeouts, tick tuples, windows and
   * checkpoints happen exactly when a test says. @defaultValue false
   */
  readonly simulatedTime?: boolean;
}

/**
 * Runs topologies inside this process with no server (Storm's `LocalCluster`): for development,
 * tests and `squall local`. Each topology runs as one worker with every task.
 */
export class LocalCluster {
  private readonly topologies = new Map<string, WorkerRuntime>();
  private readonly logger: Logger;
  /** The time every topology of this cluster runs on: its own simulated clock, or the real one. */
  readonly clock: Clock;

  constructor(options: LocalClusterOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.clock = options.simulatedTime === true ? new SimulatedClock() : realClock;
  }

  /**
   * Moves this cluster's simulated time forward by `ms`: every timer that falls due fires in
   * order (message timeouts, ticks, checkpoints...), and after each one the topologies run until
   * they are quiet, so when the promise resolves everything that time made happen has happened.
   * `advanceTime(0)` just waits for quiet.
   */
  advanceTime(ms: number): Promise<void> {
    if (!(this.clock instanceof SimulatedClock)) {
      return Promise.reject(new SquallError('SIMULATED_TIME', 'advanceTime: this LocalCluster runs on real time; create it with { simulatedTime: true }'));
    }
    return this.clock.advanceTime(ms);
  }

  /**
   * Starts `topology` under `name`. `config` is merged over the configuration the topology was
   * created with. Resolves once every spout is open and every bolt prepared.
   */
  async submitTopology(name: string, config: Config, topology: Topology, options: SubmitOptions = {}): Promise<void> {
    if (this.topologies.has(name)) throw new AlreadyAliveError(name);
    const merged = Object.keys(config).length === 0 ? topology : topology.withConfig(config);
    const runtime = new WorkerRuntime({
      name,
      topology: merged,
      logger: this.logger,
      clock: this.clock,
      ...(options.resourcesDir === undefined ? {} : { resourcesDir: options.resourcesDir }),
    });
    this.topologies.set(name, runtime);
    try {
      await runtime.start(options.inactive !== true);
    } catch (err) {
      this.topologies.delete(name);
      await runtime.stop().catch(() => undefined);
      throw err;
    }
  }

  private get(name: string): WorkerRuntime {
    const r = this.topologies.get(name);
    if (r === undefined) throw new NotAliveError(name);
    return r;
  }

  activate(name: string): void {
    this.get(name).activate();
  }

  deactivate(name: string): void {
    this.get(name).deactivate();
  }

  /**
   * Deactivates the spouts, waits for in-flight tuples to complete (up to the wait), then stops
   * every task. Resolves with whether everything in flight completed.
   */
  async killTopology(name: string, options: KillOptions = {}): Promise<boolean> {
    const runtime = this.get(name);
    const config = runtime.config;
    const waitMs = options.waitMs ?? config['topology.kill.wait.ms'] ?? config['topology.message.timeout.secs'] * 1000;
    const drained = await runtime.drain(waitMs);
    await runtime.stop();
    this.topologies.delete(name);
    return drained;
  }

  /** Waits until the topology has nothing in flight (or the timeout passes), without stopping spouts. */
  async waitForIdle(name: string, timeoutMs: number): Promise<boolean> {
    const runtime = this.get(name);
    if (this.clock instanceof SimulatedClock) {
      await this.clock.settle();
      return runtime.inFlight() === 0;
    }
    const deadline = this.clock.hrNow() + timeoutMs;
    while (runtime.inFlight() > 0) {
      if (this.clock.hrNow() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 2));
    }
    return true;
  }

  getTopologySummary(name: string, includeSystem = false): TopologySummary {
    const r = this.get(name);
    return {
      topology: name,
      status: r.isActive ? 'ACTIVE' : 'INACTIVE',
      uptime_secs: Math.round(r.uptimeSeconds() * 1000) / 1000,
      components: r.summary(includeSystem),
      errors: [...r.errors],
    };
  }

  getTopologyNames(): string[] {
    return [...this.topologies.keys()];
  }

  /** The runtime of a running topology, for tooling that needs more than the summary. */
  getRuntime(name: string): WorkerRuntime {
    return this.get(name);
  }

  /** Kills every topology without waiting. */
  async shutdown(): Promise<void> {
    for (const name of [...this.topologies.keys()]) await this.killTopology(name, { waitMs: 0 });
  }
}

