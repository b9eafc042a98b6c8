import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import type { Subscription } from '@nats-io/transport-node';
import { ClusterState, DEFAULT_LEASE_TTL_MS, describeSkipped, type ClusterConnectOptions, type Leadership } from '../cluster/index.js';
import {
  AlreadyAliveError,
  ConsoleLogger,
  InvalidTopologyError,
  NotAliveError,
  SquallError,
  PeriodicTask,
  realClock,
  type Clock,
  type Logger,
  type TopologyProblem,
} from '../common/index.js';
import { ackerCount, validateConfig, type TopologyConfig } from '../config/index.js';
import * as v from 'valibot';
import { TopologySpecSchema, validateTopologySpec, type TopologySpec } from '../protocol/index.js';
import { checkApiArgs, type ClusterListing, type TopologyListing } from '../protocol/api.js';
import { problemAt, type ApiRequest, type AssignmentRecord, type SupervisorHeartbeat, type TopologyRecord, type WorkerSlot } from '../protocol/cluster-records.js';
import { executorsOf, freeSlots, pickSlots, reassignLost, respread, spread, workersPerSupervisor } from './scheduler.js';

export class NoFreeSlotsError extends SquallError {
  constructor(message: string) {
    super('NO_FREE_SLOTS', message);
  }
}

export interface CoordinatorOptions {
  /** Time for the lease, timeouts and waits. @defaultValue the real clock */
  readonly clock?: Clock;
  /** Stable id of this coordinator; default host name plus a random suffix. */
  readonly id?: string;
  readonly host?: string;
  readonly cluster?: ClusterConnectOptions;
  /** A supervisor whose heartbeat has not changed for this long is dead. @defaultValue 10000 */
  readonly supervisorTimeoutMs?: number;
  /** How often the coordinator renews its lease and reconciles. @defaultValue 1000 */
  readonly tickMs?: number;
  readonly logger?: Logger;
}

export type { ClusterListing, TopologyListing } from '../protocol/api.js';

const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/;

/**
 * The coordinator (Storm's Nimbus). Every instance competes for the leader lease in NATS KV; the
 * leader serves the API, schedules, and reconciles each tick: kills and rebalances whose wait is
 * over, and work of supervisors that went quiet moved elsewhere. All of its state is in NATS, so a
 * new leader (or a restarted one) simply picks up from there.
 */
export class Coordinator {
  readonly id: string;
  private readonly host: string;
  private readonly logger: Logger;
  private state: ClusterState | undefined;
  private leadership: Leadership | undefined;
  private api: Subscription | undefined;
  private readonly loop: PeriodicTask;
  /** Renews the lease while leading, tries to take it while standing by: never behind a slow reconcile. */
  private readonly leaseLoop: PeriodicTask;
  /** Supervisor id -> last heartbeat revision seen and when (our clock). */
  private readonly seen = new Map<string, { revision: number; at: number }>();
  private leaderSince = 0;
  private readonly warned = new Set<string>();
  private readonly clock: Clock;

  constructor(private readonly options: CoordinatorOptions = {}) {
    this.host = options.host ?? os.hostname();
    this.id = options.id ?? `${this.host}-${randomBytes(3).toString('hex')}`;
    this.logger = options.logger ?? new ConsoleLogger('info');
    this.clock = options.clock ?? realClock;
    const warn = (m: string): void => this.logger.log('warn', `coordinator ${this.id}: ${m}`);
    this.loop = new PeriodicTask(() => this.lead(), options.tickMs ?? 1000, warn, undefined, this.clock);
    // Eight looks per lease: a lease released or expired is taken within an eighth of its TTL, and
    // the leader renews several times before its lease could run out.
    const leaseMs = options.cluster?.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    this.leaseLoop = new PeriodicTask(() => this.holdLease(), Math.max(50, leaseMs / 8), warn, leaseMs, this.clock);
  }

  get isLeader(): boolean {
    return this.leadership !== undefined;
  }

  async start(): Promise<void> {
    this.state = await ClusterState.connect({ ...this.options.cluster, name: `coordinator ${this.id}` });
    this.state.onSkippedRecord = (r) => this.logger.log('warn', `coordinator ${this.id}: skipping ${describeSkipped(r)}`);
    void this.watchConnection(this.state);
    await this.leaseLoop.start();
    await this.loop.start();
    if (!this.isLeader) this.logger.log('info', `coordinator ${this.id} stands by (another coordinator leads)`);
  }

  /** Stops, giving the lease up at once so that a standby takes over without waiting for it to expire. */
  async stop(): Promise<void> {
    await this.leaseLoop.stop();
    await this.loop.stop();
    this.api?.unsubscribe();
    await this.leadership?.release();
    this.leadership = undefined;
    await this.state?.close();
  }

  /** After NATS comes back, supervisors need a moment to heartbeat again before anyone counts as dead. */
  private async watchConnection(state: ClusterState): Promise<void> {
    for await (const s of state.connection.status()) {
      if (s.type === 'reconnect') {
        this.logger.log('info', 'reconnected to NATS');
        const now = this.clock.now();
        for (const v of this.seen.values()) v.at = now;
        this.leaderSince = Math.max(this.leaderSince, now);
      }
    }
  }

  private async holdLease(): Promise<void> {
    const state = this.state;
    if (state === undefined) return;
    if (this.leadership === undefined) {
      const won = await state.tryAcquireLeadership(this.id, this.host);
      if (won === undefined || this.leaseLoop.isStopped) {
        await won?.release();
        return;
      }
      this.leadership = won;
      this.leaderSince = this.clock.now();
      this.seen.clear();
      this.api = state.serveApi((request) => this.handle(request));
      this.logger.log('info', `coordinator ${this.id} leads`);
      void this.loop.runNow();
    } else {
      const held = this.leadership;
      // A renewal that outlived its run (NATS away) must not unseat a leadership won since.
      if ((await held.renew()) || this.leadership !== held) return;
      this.logger.log('warn', `coordinator ${this.id} lost the leadership`);
      this.api?.unsubscribe();
      this.api = undefined;
      this.leadership = undefined;
    }
  }

  private async lead(): Promise<void> {
    const state = this.state;
    if (state === undefined || this.leadership === undefined) return;
    await this.reconcile(state);
  }

  // --- reconciliation

  /** Supervisors whose heartbeat moved within the timeout (a new leader gives everyone the full timeout). */
  private async aliveSupervisors(state: ClusterState): Promise<SupervisorHeartbeat[]> {
    const now = this.clock.now();
    const timeout = this.options.supervisorTimeoutMs ?? 10_000;
    const out: SupervisorHeartbeat[] = [];
    for (const s of await state.liveSupervisors()) {
      const prev = this.seen.get(s.id);
      if (prev === undefined || prev.revision !== s.revision) this.seen.set(s.id, { revision: s.revision, at: now });
      const at = this.seen.get(s.id)?.at ?? now;
      if (now - at < timeout) out.push(s);
    }
    return out;
  }

  private graceOver(): boolean {
    return this.clock.now() - this.leaderSince >= (this.options.supervisorTimeoutMs ?? 10_000);
  }

  private async reconcile(state: ClusterState): Promise<void> {
    const supervisors = await this.aliveSupervisors(state);
    const alive = new Set(supervisors.map((s) => s.id));
    const topologies = await state.listTopologies();
    const assignments = new Map((await state.listAssignments()).map((a) => [a.topology, a]));
    const now = this.clock.now();
    // A topology or assignment whose record is malformed is left as it is, not taken for gone.
    const badTopologies = new Set(state.skippedRecords('topologies').map((r) => r.key));
    const badAssignments = new Set(state.skippedRecords('assignments').map((r) => r.key));
    for (const a of assignments.values()) {
      if (!topologies.some((t) => t.name === a.topology) && !badTopologies.has(a.topology)) {
        await state.deleteAssignment(a.topology);
        assignments.delete(a.topology);
      }
    }
    for (const t of topologies) {
      const current = assignments.get(t.name);
      if (t.status === 'KILLED' && (t.actAt ?? 0) <= now) {
        await state.deleteTopology(t.name);
        await state.deletePackage(t.packageId).catch(() => undefined);
        await state.deleteErrors(t.name).catch(() => undefined);
        assignments.delete(t.name);
        this.logger.log('info', `topology '${t.name}' killed`);
        continue;
      }
      if (t.status === 'REBALANCING' && (t.actAt ?? 0) <= now) {
        const others = [...assignments.values()].filter((a) => a.topology !== t.name);
        const workers = this.schedule(t, freeSlots(supervisors, others));
        if (workers.length === 0) continue; // nothing free at all: try again next tick
        const next: AssignmentRecord = { v: 1, topology: t.name, version: (current?.version ?? 0) + 1, workers };
        await state.putAssignment(next);
        assignments.set(t.name, next);
        await state.putTopology(withoutPending({ ...t, status: t.resumeStatus ?? 'ACTIVE' }));
        this.logger.log('info', `topology '${t.name}' rebalanced onto ${workers.length} worker(s)`);
        continue;
      }
      if (current === undefined) {
        if (badAssignments.has(t.name)) continue; // its workers run on; `squall rebalance` writes a new one
        const workers = this.schedule(t, freeSlots(supervisors, [...assignments.values()]));
        if (workers.length === 0) continue;
        const next: AssignmentRecord = { v: 1, topology: t.name, version: 1, workers };
        await state.putAssignment(next);
        assignments.set(t.name, next);
        continue;
      }
      if (!this.graceOver()) continue;
      if (current.workers.every((w) => alive.has(w.supervisor))) {
        if (t.status === 'ACTIVE' || t.status === 'INACTIVE') await this.evenOut(state, t, current, supervisors, assignments);
        continue;
      }
      const workers = reassignLost(current.workers, alive, freeSlots(supervisors, [...assignments.values()]));
      if (workers === undefined) {
        if (!this.warned.has(t.name)) this.logger.log('warn', `topology '${t.name}': its supervisors are gone and no slot is free; waiting for one`);
        this.warned.add(t.name);
        continue;
      }
      this.warned.delete(t.name);
      const lost = current.workers.filter((w) => !alive.has(w.supervisor)).map((w) => `${w.supervisor}:${w.port}`);
      const next: AssignmentRecord = { v: 1, topology: t.name, version: current.version + 1, workers };
      await state.putAssignment(next);
      assignments.set(t.name, next);
      this.logger.log('info', `topology '${t.name}': moved the work of ${lost.join(', ')} (supervisor gone)`);
    }
  }

  /**
   * Moves one worker of a topology whose supervisors run numbers of its workers more than one
   * apart, when the less loaded one has a free slot: after a dead supervisor's work moved, the
   * supervisor that comes back gets work again. One worker per tick, so it converges gently.
   */
  private async evenOut(
    state: ClusterState,
    t: TopologyRecord,
    current: AssignmentRecord,
    supervisors: readonly SupervisorHeartbeat[],
    assignments: Map<string, AssignmentRecord>,
  ): Promise<void> {
    const r = respread(current.workers, freeSlots(supervisors, [...assignments.values()]));
    if (r === undefined) return;
    const next: AssignmentRecord = { v: 1, topology: t.name, version: current.version + 1, workers: r.workers };
    await state.putAssignment(next);
    assignments.set(t.name, next);
    this.logger.log(
      'info',
      `topology '${t.name}' is unbalanced (${countsText(r.counts)}): moved its worker on ${r.from.supervisor}:${r.from.port} to the free slot ${r.to.supervisor}:${r.to.port}`,
    );
  }

  /** What `list` suggests for a topology that is unbalanced and that the coordinator cannot even out itself. */
  private hintFor(t: TopologyRecord, slots: readonly WorkerSlot[], supervisors: readonly SupervisorHeartbeat[], assignments: readonly AssignmentRecord[]): string | undefined {
    if (t.status !== 'ACTIVE' && t.status !== 'INACTIVE') return undefined;
    const requested = this.wantedWorkers(t, validateConfig(t.config));
    if (slots.length < requested) {
      return `runs on ${slots.length} of ${requested} requested workers (not enough slots were free): run \`squall rebalance ${t.name}\` once slots are free`;
    }
    const counts = workersPerSupervisor(slots, supervisors.map((s) => s.id));
    const values = [...counts.values()];
    if (Math.max(...values) - Math.min(...values) <= 1) return undefined;
    if (respread(slots, freeSlots(supervisors, assignments)) !== undefined) return undefined; // the next tick evens it out
    return `is unbalanced (${countsText(counts)}) and no less loaded supervisor has a free slot: free one there, or run \`squall rebalance ${t.name}\``;
  }

  /** A fresh placement of the whole topology on up to its requested number of free slots. */
  private schedule(t: TopologyRecord, free: ReturnType<typeof freeSlots>): WorkerSlot[] {
    const config = validateConfig(t.config);
    const executors = executorsOf(t.spec, config);
    return spread(executors, pickSlots(free, this.wantedWorkers(t, config, executors.length)));
  }

  /** The workers a topology asks for, at most one per executor. */
  private wantedWorkers(t: TopologyRecord, config: TopologyConfig, executors?: number): number {
    return Math.max(1, Math.min(t.workers ?? config['topology.workers'], executors ?? executorsOf(t.spec, config).length));
  }

  // --- the API

  private async handle(request: ApiRequest): Promise<unknown> {
    const state = this.state;
    if (state === undefined || this.leadership === undefined) throw new SquallError('CLUSTER', 'this coordinator is not the leader');
    const a = request.args;
    // Submit checks its own arguments, naming the topology's problems as an invalid topology.
    if (request.op !== 'submit') checkApiArgs(request.op, a);
    switch (request.op) {
      case 'submit':
        return this.submit(state, a);
      case 'list':
        return this.list(state);
      case 'kill':
        return this.kill(state, stringArg(a, 'name'), optionalNumber(a, 'waitSecs'));
      case 'activate':
      case 'deactivate':
        return this.setActive(state, stringArg(a, 'name'), request.op === 'activate');
      case 'rebalance':
        return this.rebalance(state, a);
    }
  }

  private async submit(state: ClusterState, a: Readonly<Record<string, unknown>>): Promise<unknown> {
    const name = stringArg(a, 'name');
    if (!NAME.test(name)) {
      throw new InvalidTopologyError([
        { message: `topology name '${name}' must be 1-100 characters of letters, digits, '.', '_' and '-' (not starting with '.')` },
      ]);
    }
    const checked = v.safeParse(TopologySpecSchema, a.spec);
    if (!checked.success) throw new InvalidTopologyError([{ message: `the submission's topology spec is malformed: ${problemAt('spec', checked.issues)}` }]);
    const spec = a.spec as TopologySpec;
    const problems = validateTopologySpec(spec);
    if (problems.length > 0) throw new InvalidTopologyError(problems);
    const packageId = stringArg(a, 'packageId');
    const requested = optionalNumber(a, 'workers');
    const rawConfig = (typeof a.config === 'object' && a.config !== null ? a.config : {}) as Record<string, unknown>;
    const validated = validateConfig({ ...rawConfig, ...(requested === undefined ? {} : { 'topology.workers': requested }) });
    // Ackers are fixed at submit, so a rebalance to another worker count keeps the task numbering.
    const config: TopologyConfig = { ...validated, 'topology.acker.executors': ackerCount(validated) };
    const existing = await state.getTopology(name);
    if (existing !== undefined) throw new AlreadyAliveError(name);
    const supervisors = await this.aliveSupervisors(state);
    const free = freeSlots(supervisors, await state.listAssignments());
    if (free.length === 0) {
      const total = supervisors.reduce((n, s) => n + s.slots.length, 0);
      throw new NoFreeSlotsError(
        supervisors.length === 0
          ? 'No supervisor is alive: start one with `squall supervisor` before submitting'
          : `No supervisor has a free slot: ${supervisors.length} supervisor(s), all ${total} slots in use; kill a topology or add supervisors`,
      );
    }
    const record: TopologyRecord = {
      v: 1,
      name,
      status: a.inactive === true ? 'INACTIVE' : 'ACTIVE',
      spec,
      config: config as unknown as Record<string, unknown>,
      packageId,
      submittedAt: this.clock.now(),
      workers: config['topology.workers'],
    };
    const workers = this.schedule(record, free);
    if (!(await state.createTopology(record))) throw new AlreadyAliveError(name);
    await state.putAssignment({ v: 1, topology: name, version: 1, workers });
    this.logger.log('info', `topology '${name}' submitted: ${workers.length} worker(s) on ${[...new Set(workers.map((w) => w.supervisor))].join(', ')}`);
    return { name, status: record.status, workers };
  }

  private async list(state: ClusterState): Promise<ClusterListing> {
    const supervisors = await this.aliveSupervisors(state);
    const assignments = await state.listAssignments();
    const [heartbeats, errors] = await Promise.all([state.liveWorkers(), state.componentErrors()]);
    const now = this.clock.now();
    const topologies: TopologyListing[] = [];
    for (const t of await state.listTopologies()) {
      const slots = assignments.find((a) => a.topology === t.name)?.workers ?? [];
      const beats = heartbeats.filter((h) => h.topology === t.name);
      let emitted = 0;
      let acked = 0;
      let failed = 0;
      for (const h of beats) {
        for (const [component, s] of Object.entries(h.stats)) {
          if (component.startsWith('__')) continue;
          emitted += s.emitted;
          acked += s.acked;
          failed += s.failed;
        }
      }
      const lastErrors: Record<string, string> = {};
      for (const e of errors) {
        if (e.topology !== t.name) continue;
        const last = e.errors.at(-1);
        if (last !== undefined) lastErrors[e.component] = `${last.message} (${last.task < 0 ? 'worker' : `task ${last.task}`} on ${last.host}:${last.port})`;
      }
      const hint = this.hintFor(t, slots, supervisors, assignments);
      topologies.push({
        name: t.name,
        ...(hint === undefined ? {} : { hint }),
        lastErrors,
        status: t.status,
        workersRequested: t.workers ?? slots.length,
        workers: slots.map((w) => ({ ...w, alive: beats.some((h) => h.supervisor === w.supervisor && h.port === w.port) })),
        tasks: slots.reduce((n, w) => n + w.tasks.length, 0),
        uptimeSecs: Math.round((now - t.submittedAt) / 1000),
        emitted,
        acked,
        failed,
      });
    }
    return {
      leader: this.id,
      supervisors: supervisors.map((s) => ({
        id: s.id,
        host: s.host,
        slots: s.slots.length,
        used: assignments.reduce((n, a) => n + a.workers.filter((w) => w.supervisor === s.id).length, 0),
      })),
      topologies,
      skipped: state.skippedRecords(),
    };
  }

  private async existing(state: ClusterState, name: string): Promise<TopologyRecord> {
    const t = await state.getTopology(name);
    if (t === undefined) throw new NotAliveError(name);
    return t;
  }

  private async kill(state: ClusterState, name: string, waitSecs: number | undefined): Promise<unknown> {
    const t = await this.existing(state, name);
    const wait = waitSecs ?? Number(t.config['topology.message.timeout.secs'] ?? 30);
    const actAt = this.clock.now() + wait * 1000;
    // Spouts stop now; the workers go once in-flight tuples had their time to finish.
    await state.putTopology({ ...t, status: 'KILLED', actAt });
    this.logger.log('info', `topology '${name}' deactivated; killing it in ${wait} s`);
    return { name, waitSecs: wait };
  }

  private async setActive(state: ClusterState, name: string, active: boolean): Promise<unknown> {
    const t = await this.existing(state, name);
    const status = active ? 'ACTIVE' : 'INACTIVE';
    if (t.status === 'KILLED') throw new SquallError('NOT_ALIVE', `Topology '${name}' is being killed`);
    if (t.status === 'REBALANCING') await state.putTopology({ ...t, resumeStatus: status });
    else await state.putTopology({ ...t, status });
    return { name, status };
  }

  private async rebalance(state: ClusterState, a: Readonly<Record<string, unknown>>): Promise<unknown> {
    const name = stringArg(a, 'name');
    const t = await this.existing(state, name);
    if (t.status === 'KILLED') throw new SquallError('NOT_ALIVE', `Topology '${name}' is being killed`);
    const workers = optionalNumber(a, 'workers');
    if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) {
      throw new SquallError('INVALID_CONFIG', `--workers must be a whole number of at least 1 (got ${workers})`);
    }
    const executors = (typeof a.executors === 'object' && a.executors !== null ? a.executors : {}) as Record<string, unknown>;
    const problems: TopologyProblem[] = [];
    const components = { ...t.spec.components };
    for (const [component, n] of Object.entries(executors)) {
      const c = components[component];
      if (c === undefined) {
        problems.push({ component, message: `no such component (components: ${Object.keys(components).sort().join(', ')})` });
      } else if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > c.tasks) {
        problems.push({ component, message: `executors must be a whole number from 1 to its ${c.tasks} task(s) (got ${String(n)}); tasks are fixed at submit` });
      } else {
        components[component] = { ...c, parallelism: n };
      }
    }
    if (problems.length > 0) throw new InvalidTopologyError(problems);
    const wait = optionalNumber(a, 'waitSecs') ?? Number(t.config['topology.message.timeout.secs'] ?? 30);
    const resumeStatus = t.status === 'REBALANCING' ? (t.resumeStatus ?? 'ACTIVE') : t.status;
    await state.putTopology({
      ...t,
      spec: { ...t.spec, components },
      status: 'REBALANCING',
      resumeStatus,
      workers: workers ?? t.workers ?? Number(t.config['topology.workers'] ?? 1),
      actAt: this.clock.now() + wait * 1000,
    });
    this.logger.log('info', `topology '${name}' rebalancing in ${wait} s`);
    return { name, waitSecs: wait };
  }
}

/** "s1: 2 workers, s2: 0 workers" */
function countsText(counts: ReadonlyMap<string, number>): string {
  return [...counts].map(([s, n]) => `${s}: ${n} worker${n === 1 ? '' : 's'}`).join(', ');
}

function withoutPending(t: TopologyRecord): TopologyRecord {
  const { actAt: _a, resumeStatus: _r, ...rest } = t;
  return rest;
}

function stringArg(a: Readonly<Record<string, unknown>>, key: string): string {
  const v = a[key];
  if (typeof v !== 'string' || v.length === 0) throw new SquallError('CLUSTER', `the request lacks '${key}'`);
  return v;
}

function optionalNumber(a: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const v = a[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new SquallError('CLUSTER', `'${key}' must be a non-negative number`);
  return v;
}
