import type { MultilangFaultKind } from './errors.js';

/** A metric a subprocess updates with `{"command": "metrics", "name", "params"}`. */
export interface ShellMetric {
  /** How many updates arrived. */
  readonly updates: number;
  /** The `params` of the latest update. */
  readonly last: unknown;
  /** The sum of the numeric `params` (non-numbers add nothing). */
  readonly sum: number;
}

/** A subprocess that was started. */
export interface ShellProcessRecord {
  readonly task: number;
  readonly pid: number | undefined;
  readonly startedAt: number;
}

/** A fault that killed a subprocess. */
export interface ShellFaultRecord {
  readonly task: number;
  readonly pid: number | undefined;
  readonly kind: MultilangFaultKind;
  readonly message: string;
  readonly time: number;
}

const KEEP = 100;

/**
 * What the subprocesses of one multilang component did, over all its tasks: metrics, starts,
 * faults. One instance is shared by the task copies of a component (read it from the instance
 * given to the builder: `bolt.stats`).
 */
export class ShellComponentStats {
  private readonly byName = new Map<string, { updates: number; last: unknown; sum: number }>();
  /** Subprocesses that completed their handshake (latest {@link KEEP}). */
  readonly processes: ShellProcessRecord[] = [];
  /** Faults (latest {@link KEEP}). */
  readonly faults: ShellFaultRecord[] = [];
  /** Subprocesses started after a fault. */
  restarts = 0;
  /** Messages received after the handshakes (a `batch` counts once). */
  messages = 0;
  /** `log` messages received. */
  logs = 0;
  /** `error` messages received. */
  reportedErrors = 0;

  recordMetric(name: string, params: unknown): void {
    let m = this.byName.get(name);
    if (m === undefined) this.byName.set(name, (m = { updates: 0, last: undefined, sum: 0 }));
    m.updates++;
    m.last = params;
    if (typeof params === 'number' && Number.isFinite(params)) m.sum += params;
  }

  metric(name: string): ShellMetric | undefined {
    const m = this.byName.get(name);
    return m === undefined ? undefined : { ...m };
  }

  /** Every metric by name. */
  metrics(): Record<string, ShellMetric> {
    return Object.fromEntries([...this.byName].map(([k, m]) => [k, { ...m }]));
  }

  recordStart(task: number, pid: number | undefined): void {
    this.processes.push({ task, pid, startedAt: Date.now() });
    if (this.processes.length > KEEP) this.processes.shift();
  }

  recordFault(task: number, pid: number | undefined, kind: MultilangFaultKind, message: string): void {
    this.faults.push({ task, pid, kind, message, time: Date.now() });
    if (this.faults.length > KEEP) this.faults.shift();
  }

  /** Pids of the subprocesses started, oldest first. */
  get pids(): (number | undefined)[] {
    return this.processes.map((p) => p.pid);
  }
}
