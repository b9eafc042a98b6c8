import { lookup } from 'node:dns/promises';
import { mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClusterError, ClusterState, decodePackage, type ClusterConnectOptions } from '../cluster/index.js';
import { ConsoleLogger, describe, realClock, type Clock, type InvalidTupleError, type Logger, type Timer } from '../common/index.js';
import { natsAuthOptions } from '../config/index.js';
import { WorkerRuntime } from '../executor/index.js';
import type { AssignmentRecord, TopologyRecord, WorkerSlot } from '../protocol/cluster-records.js';
import type { TupleImpl } from '../tuple/index.js';
import { BatchReceiver, BatchSender, TransportError, curveKeyPair, type CurveKeyPair } from '../transport/index.js';
import { loadTopologyPackage } from './load-topology.js';
import { StreamTable, TupleBatch, decodeTupleBatch } from './tuple-batch.js';

export interface WorkerOptions {
  /** Time for the worker's polls, beats and its topology. @defaultValue the real clock */
  readonly clock?: Clock;
  readonly topology: string;
  readonly supervisor: string;
  readonly port: number;
  /** Where the topology package is unpacked. */
  readonly codeDir?: string;
  readonly cluster?: ClusterConnectOptions;
  readonly logger?: Logger;
  /** Host advertised in heartbeats. */
  readonly host?: string;
  /** How often the worker reads its assignment and status, and heartbeats. @defaultValue 1000 */
  readonly pollMs?: number;
  /** Called every second while the worker's event loop turns: the liveness beat a supervisor watches. */
  readonly onBeat?: () => void;
  /** Called once the worker has stopped because its slot was taken away. */
  readonly onRetired?: (reason: string) => void;
  /**
   * ZeroMQ CURVE on the data plane: this worker's port takes batches only from workers of its
   * topology, by the public keys they publish in their heartbeats. @defaultValue false
   */
  readonly curve?: boolean;
}

/** The component name under which a worker reports that it cannot start (`squall list` shows it). */
export const WORKER_COMPONENT = '__worker';

/** Batches held for one peer whose CURVE key is not known yet before producers must wait. */
const HELD_BATCHES = 64;

/** Where refused batches are reported (`squall list` shows it beside the components' errors). */
export const TRANSPORT_COMPONENT = '__transport';

/** The TCP endpoint to bind for `host` (a name is resolved to its address; ZeroMQ binds addresses). */
async function bindEndpoint(host: string, port: number): Promise<string> {
  let address: string;
  let family: number;
  try {
    ({ address, family } = await lookup(host));
  } catch (err) {
    throw new ClusterError(`cannot resolve this worker's advertised host '${host}' to bind port ${port}: ${describe(err)}`, { cause: err });
  }
  return family === 6 ? `tcp://[${address}]:${port}` : `tcp://${address}:${port}`;
}

function endpointOf(slot: WorkerSlot): string {
  return `tcp://${slot.host}:${slot.port}`;
}

/**
 * One worker process: reads its slot's tasks from the assignment, unpacks the topology package,
 * runs those tasks in a WorkerRuntime, and carries tuples for other workers' tasks over ZeroMQ,
 * batched per destination worker and flushed at the end of each event-loop turn (or when a batch
 * reaches `topology.transfer.batch.size`).
 */
export class Worker {
  private runtime: WorkerRuntime | undefined;
  private receiver: BatchReceiver | undefined;
  private readonly senders = new Map<string, BatchSender>();
  private readonly batches = new Map<string, TupleBatch>();
  private streams: StreamTable | undefined;
  private flushScheduled = false;
  private state: ClusterState | undefined;
  private endpointOfTask = new Map<number, string>();
  private myTasks = '';
  private status: TopologyRecord['status'] = 'INACTIVE';
  private assignmentVersion = 0;
  private pollTimer: Timer | undefined;
  private beatTimer: Timer | undefined;
  private polling = false;
  private stopping: Promise<void> | undefined;
  private startedAt = 0;
  /** How many of the runtime's reported errors went to the cluster already. */
  private errorsSent = 0;
  private logger: Logger = new ConsoleLogger('info');
  /** Batches refused on the port since the last report, and the last reason. */
  private refusedUnreported = 0;
  private lastRefusal = '';
  /** CURVE: this process's keypair (the secret never leaves it) and what it knows of its peers. */
  private curve: CurveKeyPair | undefined;
  /** Endpoint -> the slot there, to find the peer's heartbeat (and so its key). */
  private slotOfEndpoint = new Map<string, WorkerSlot>();
  /** Peer public keys by endpoint; client keys of this topology's workers ever seen. */
  private readonly serverKeys = new Map<string, string>();
  private readonly clientKeys = new Set<string>();
  /** Batches for peers whose key is not known yet, and peers whose handshake failed (restarted with a new key?). */
  private readonly held = new Map<string, Uint8Array[]>();
  /** Endpoint -> the peer's heartbeat time when first looked at after the failure (-1: not yet). */
  private readonly staleKeys = new Map<string, number>();
  private keyLookup: Promise<void> | undefined;
  private lastKeyLookup = 0;
  private readonly warnedPlainPeers = new Set<string>();

  private readonly clock: Clock;

  constructor(private readonly options: WorkerOptions) {
    this.clock = options.clock ?? realClock;
  }

  async start(): Promise<void> {
    const o = this.options;
    this.logger = o.logger ?? this.logger;
    const state = (this.state = await ClusterState.connect({ ...o.cluster, name: `worker ${o.supervisor}:${o.port}` }));
    try {
      await this.startWith(state);
    } catch (err) {
      // A worker that cannot start would only crash-loop in its supervisor's log: say why where
      // `squall list` shows it.
      await state
        .reportErrors(o.topology, WORKER_COMPONENT, [{ task: -1, host: o.host ?? os.hostname(), port: o.port, message: `worker cannot start: ${describe(err)}`, time: this.clock.now() }])
        .catch(() => undefined);
      await state.close().catch(() => undefined);
      throw err;
    }
  }

  private async startWith(state: ClusterState): Promise<void> {
    const o = this.options;
    const logger = this.logger;
    const record = await state.getTopology(o.topology);
    if (record === undefined) throw new ClusterError(`No topology named '${o.topology}' in the cluster`);
    const assignment = await state.getAssignment(o.topology);
    const mine = assignment?.workers.find((w) => w.supervisor === o.supervisor && w.port === o.port);
    if (assignment === undefined || mine === undefined) {
      throw new ClusterError(`Topology '${o.topology}' assigns nothing to ${o.supervisor}:${o.port}`);
    }
    const bytes = await state.getPackage(record.packageId);
    if (bytes === undefined) throw new ClusterError(`Package '${record.packageId}' of '${o.topology}' is missing from the object store`);
    const codeDir = o.codeDir ?? path.join(os.tmpdir(), 'squall-workers', `${o.topology}-${o.supervisor}-${o.port}`);
    mkdirSync(codeDir, { recursive: true });
    const loaded = await loadTopologyPackage(decodePackage(bytes), codeDir);
    // Executor counts come from the cluster's record: a rebalance may have changed them.
    const executors: Record<string, number> = {};
    for (const c of Object.values(record.spec.components)) executors[c.id] = c.parallelism;
    let topology = loaded.topology.withConfig(record.config).withExecutors(executors);
    // Trident's batch metadata must outlive a worker: in a cluster it goes to the cluster's NATS.
    if (topology.config['topology.trident.metadata.provider'] === 'memory') {
      topology = topology.withConfig({
        'topology.trident.metadata.provider': 'nats',
        'topology.trident.metadata.provider.config': {
          servers: [...state.servers],
          bucket: `${state.prefix}_trident_${o.topology.replace(/[^-_a-zA-Z0-9]/g, '_')}`,
          ...natsAuthOptions(o.cluster ?? {}),
          ...topology.config['topology.trident.metadata.provider.config'],
        },
      });
    }

    this.routeTo(assignment);
    this.myTasks = [...mine.tasks].sort((a, b) => a - b).join(',');
    this.assignmentVersion = assignment.version;
    this.status = record.status;
    const batchSize = topology.config['topology.transfer.batch.size'];
    const runtime = (this.runtime = new WorkerRuntime({
      name: o.topology,
      topology,
      tasks: mine.tasks,
      logger,
      clock: this.clock,
      resourcesDir: codeDir,
      remoteTransfer: (task, tuple) => this.transfer(this.endpointOfTask.get(task), task, tuple, batchSize),
      remoteBackpressured: () => {
        for (const s of this.senders.values()) if (s.isBackpressured) return true;
        for (const h of this.held.values()) if (h.length >= HELD_BATCHES) return true;
        return false;
      },
    }));
    const streams = (this.streams = new StreamTable(runtime.plan));
    const curve = (this.curve = o.curve === true ? curveKeyPair() : undefined);
    this.receiver = new BatchReceiver((batch) => decodeTupleBatch(batch, streams, (task, t) => runtime.receive(task, t)), {
      paused: () => runtime.inboundFull(),
      onRefused: (err) => this.refused(err),
      onRefusedPeer: (reason, address) => this.refused(new TransportError(`a client at ${address} may not deliver here (${reason})`)),
      ...(curve === undefined ? {} : { curve: { keys: curve, authorize: (key: string) => this.authorize(key) } }),
    });
    // Only the address the cluster advertises for this slot, not every interface of the machine.
    await this.receiver.bind(await bindEndpoint(mine.host, o.port));
    this.startedAt = this.clock.now();
    // Heartbeat before the spouts start: with CURVE, peers need this worker's public key.
    await this.heartbeat();
    await runtime.start(record.status === 'ACTIVE');
    logger.log('info', `worker ${o.supervisor}:${o.port} runs tasks ${mine.tasks.join(',')} of '${o.topology}'${curve === undefined ? '' : ' (CURVE on its port)'}`);
    this.pollTimer = this.clock.setInterval(() => void this.poll(), o.pollMs ?? 1000);
    // The liveness beat runs on its own timer: it says the event loop turns, even while a read
    // from NATS waits out an outage.
    const onBeat = o.onBeat;
    if (onBeat !== undefined) this.beatTimer = this.clock.setInterval(onBeat, Math.min(1000, o.pollMs ?? 1000));
  }

  /** Where each task of the topology lives now; peers that moved are reached at their new endpoint. */
  private routeTo(assignment: AssignmentRecord): void {
    const next = new Map<number, string>();
    const slots = new Map<string, WorkerSlot>();
    for (const w of assignment.workers) {
      slots.set(endpointOf(w), w);
      for (const t of w.tasks) next.set(t, endpointOf(w));
    }
    this.endpointOfTask = next;
    this.slotOfEndpoint = slots;
    for (const [endpoint, sender] of this.senders) {
      if (slots.has(endpoint)) continue;
      this.senders.delete(endpoint);
      this.batches.delete(endpoint);
      sender.close();
    }
    for (const endpoint of [...this.held.keys(), ...this.staleKeys.keys(), ...this.serverKeys.keys()]) {
      if (slots.has(endpoint)) continue;
      this.held.delete(endpoint);
      this.staleKeys.delete(endpoint);
      this.serverKeys.delete(endpoint);
    }
  }

  /** Follows the cluster: status changes (activate, deactivate, kill) and assignment changes. */
  private async poll(): Promise<void> {
    if (this.polling || this.stopping !== undefined) return;
    this.polling = true;
    const o = this.options;
    try {
      const state = this.state;
      const runtime = this.runtime;
      if (state === undefined || runtime === undefined) return;
      const [record, assignment] = await Promise.all([state.getTopology(o.topology), state.getAssignment(o.topology)]);
      const mine = assignment?.workers.find((w) => w.supervisor === o.supervisor && w.port === o.port);
      const tasks = mine === undefined ? '' : [...mine.tasks].sort((a, b) => a - b).join(',');
      if (record === undefined || assignment === undefined || mine === undefined || tasks !== this.myTasks) {
        const reason = record === undefined ? 'the topology is gone' : mine === undefined ? 'the slot was reassigned' : 'its tasks changed';
        this.retire(reason);
        return;
      }
      if (assignment.version !== this.assignmentVersion) {
        this.assignmentVersion = assignment.version;
        this.routeTo(assignment);
      }
      if (this.curve !== undefined && (this.held.size > 0 || this.staleKeys.size > 0)) await this.lookupKeys();
      if (record.status !== this.status) {
        this.status = record.status;
        if (record.status === 'ACTIVE') runtime.activate();
        else runtime.deactivate();
      }
      await this.heartbeat();
    } catch {
      // NATS unreachable for a moment: keep running on the last known plan, try again next poll.
    } finally {
      this.polling = false;
    }
  }

  private retire(reason: string): void {
    this.logger.log('info', `worker ${this.options.supervisor}:${this.options.port} of '${this.options.topology}' stops: ${reason}`);
    void this.stop().then(() => this.options.onRetired?.(reason));
  }

  private async heartbeat(): Promise<void> {
    const o = this.options;
    const runtime = this.runtime;
    if (this.state === undefined || runtime === undefined) return;
    const stats: Record<string, { emitted: number; acked: number; failed: number; executed: number }> = {};
    for (const [component, s] of Object.entries(runtime.summary(true))) {
      stats[component] = { emitted: s.emitted, acked: s.acked, failed: s.failed, executed: s.executed };
    }
    await this.sendErrors();
    await this.state.heartbeatWorker({
      v: 1,
      topology: o.topology,
      supervisor: o.supervisor,
      host: o.host ?? os.hostname(),
      port: o.port,
      pid: process.pid,
      tasks: this.myTasks.split(',').map(Number),
      startedAt: this.startedAt,
      time: this.clock.now(),
      stats,
      ...(this.curve === undefined ? {} : { curveKey: this.curve.publicKey }),
    });
  }

  private transfer(endpoint: string | undefined, task: number, tuple: TupleImpl, batchSize: number): void {
    if (endpoint === undefined) throw new ClusterError(`Task ${task} is not assigned to any worker`);
    let batch = this.batches.get(endpoint);
    if (batch === undefined) this.batches.set(endpoint, (batch = new TupleBatch(this.streams as StreamTable)));
    batch.add(task, tuple);
    if (batch.size >= batchSize) this.send(endpoint, batch.take(this.refusedValue));
    else if (!this.flushScheduled) {
      // Whatever the executors emit in this turn travels together.
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** A tuple for another worker whose values cannot be encoded: reported as its component's error. */
  private readonly refusedValue = (task: number, error: InvalidTupleError): void => {
    this.runtime?.reportError(error.component, task, error);
  };

  /** Sends one encoded batch to the worker at `endpoint`. */
  private send(endpoint: string, bytes: Uint8Array): void {
    let sender = this.senders.get(endpoint);
    if (sender === undefined) {
      const curve = this.curve;
      const serverKey = this.serverKeys.get(endpoint);
      if (curve !== undefined && serverKey === undefined) {
        // The peer's key is not known yet: hold its batches (as bytes) until a lookup finds it.
        const held = this.held.get(endpoint);
        if (held === undefined) this.held.set(endpoint, [bytes]);
        else held.push(bytes);
        void this.lookupKeys();
        return;
      }
      sender = new BatchSender(endpoint, {
        onPeerLost: (peer) => {
          this.logger.log('warn', `lost the connection to the worker at ${peer}; replaying the tuples in flight`);
          this.staleKeys.set(peer, -1);
          this.runtime?.failAllPending();
        },
        ...(curve === undefined || serverKey === undefined
          ? {}
          : { curve: { keys: curve, serverKey }, onHandshakeFailed: (peer: string) => this.staleKeys.set(peer, -1) }),
      });
      this.senders.set(endpoint, sender);
    }
    sender.send(bytes);
  }

  /**
   * CURVE: reads the public keys of this topology's workers from their heartbeats. Held batches go
   * to peers whose key is now known; a peer whose key changed (it restarted) gets a new sender.
   * One lookup at a time, at most every 200 ms however many batches or handshakes ask.
   */
  private lookupKeys(): Promise<void> {
    this.keyLookup ??= (async () => {
      try {
        const wait = this.lastKeyLookup + 200 - this.clock.now();
        if (wait > 0) await new Promise<void>((r) => this.clock.setTimeout(() => r(), wait));
        this.lastKeyLookup = this.clock.now();
        const state = this.state;
        if (state === undefined || this.stopping !== undefined) return;
        const bySlot = new Map<string, { key: string | undefined; time: number }>();
        for (const h of await state.liveWorkers()) {
          if (h.topology !== this.options.topology) continue;
          const key = typeof h.curveKey === 'string' ? h.curveKey : undefined;
          bySlot.set(`${h.supervisor}.${h.port}`, { key, time: h.time });
          if (key !== undefined) this.clientKeys.add(key);
        }
        for (const [endpoint, slot] of this.slotOfEndpoint) {
          const beat = bySlot.get(`${slot.supervisor}.${slot.port}`);
          if (beat === undefined) continue;
          const key = beat.key;
          if (key === undefined) {
            if (!this.warnedPlainPeers.has(endpoint)) {
              this.warnedPlainPeers.add(endpoint);
              this.logger.log('error', `the worker at ${endpoint} does not use CURVE (its supervisor has transport.curve off); tuples for it wait`);
            }
            continue;
          }
          const known = this.serverKeys.get(endpoint);
          const stale = this.staleKeys.get(endpoint);
          // The same key in a later heartbeat (by the peer's own clock): the same process, so the
          // failure was a passing one and the sender goes on as it is.
          if (known === key && stale !== undefined) {
            if (stale === -1) this.staleKeys.set(endpoint, beat.time);
            else if (beat.time > stale) this.staleKeys.delete(endpoint);
          }
          if (known !== key) {
            this.serverKeys.set(endpoint, key);
            this.staleKeys.delete(endpoint);
            const old = this.senders.get(endpoint);
            if (old !== undefined) {
              this.senders.delete(endpoint);
              old.close();
            }
          }
        }
        for (const [endpoint, batches] of this.held) {
          if (!this.serverKeys.has(endpoint)) continue;
          this.held.delete(endpoint);
          for (const bytes of batches) this.send(endpoint, bytes);
        }
      } catch (err) {
        this.logger.log('warn', `cannot read the workers' CURVE keys from NATS (trying again): ${describe(err)}`);
      } finally {
        this.keyLookup = undefined;
      }
    })();
    return this.keyLookup;
  }

  /** CURVE: may this client key deliver here? Only keys of this topology's workers may. */
  private async authorize(key: string): Promise<boolean> {
    if (this.clientKeys.has(key)) return true;
    await this.lookupKeys();
    return this.clientKeys.has(key);
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const [endpoint, batch] of this.batches) if (batch.size > 0) this.send(endpoint, batch.take(this.refusedValue));
  }

  /** Batches refused on this worker's port so far (garbage, or a peer on another topology version). */
  get refusedBatches(): number {
    return this.receiver?.refused ?? 0;
  }

  /** Counts a refused batch; the first of a run is logged at once, the rest with the next heartbeat. */
  private refused(err: unknown): void {
    this.lastRefusal = describe(err);
    if (this.refusedUnreported++ === 0) {
      this.logger.log('warn', `worker ${this.options.supervisor}:${this.options.port} refused a batch on its port: ${this.lastRefusal}`);
    }
  }

  /** Publishes errors reported since the last heartbeat, grouped per component. */
  private async sendErrors(): Promise<void> {
    const runtime = this.runtime;
    const state = this.state;
    if (runtime === undefined || state === undefined) return;
    // The runtime keeps a bounded list: count what is new from its end.
    const all = runtime.errors;
    const fresh = all.slice(Math.max(0, all.length - (runtime.errorCount - this.errorsSent)));
    this.errorsSent = runtime.errorCount;
    const byComponent = new Map<string, typeof fresh>();
    for (const e of fresh) {
      const list = byComponent.get(e.component);
      if (list === undefined) byComponent.set(e.component, [e]);
      else list.push(e);
    }
    const host = this.options.host ?? os.hostname();
    if (this.refusedUnreported > 0) {
      // Not any component's fault: reported under the transport, with the count.
      const n = this.refusedUnreported;
      this.refusedUnreported = 0;
      const message = `refused ${n} batch(es) received on port ${this.options.port} (${this.refusedBatches} since the worker started); the last: ${this.lastRefusal}`;
      if (n > 1) this.logger.log('warn', `worker ${this.options.supervisor}:${this.options.port} ${message}`);
      byComponent.set(TRANSPORT_COMPONENT, [{ component: TRANSPORT_COMPONENT, task: -1, message, time: this.clock.now() }]);
    }
    for (const [component, errors] of byComponent) {
      await state.reportErrors(
        this.options.topology,
        component,
        errors.map((e) => ({ task: e.task, host, port: this.options.port, message: e.message, time: e.time })),
      );
    }
  }

  /** Stops spouts, waits for in-flight tuples (up to `drainMs`), and closes everything. */
  stop(drainMs = 5000): Promise<void> {
    this.stopping ??= this.shutdown(drainMs);
    return this.stopping;
  }

  private async shutdown(drainMs: number): Promise<void> {
    this.clock.clear(this.pollTimer);
    if (this.runtime !== undefined) {
      await this.runtime.drain(drainMs);
      await this.runtime.stop();
    }
    this.flush();
    for (const s of this.senders.values()) {
      await s.flushed();
      s.close();
    }
    await this.receiver?.close();
    await this.state?.removeWorker(this.options.supervisor, this.options.port).catch(() => undefined);
    await this.state?.close();
    this.clock.clear(this.beatTimer);
  }
}
