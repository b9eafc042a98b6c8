import { mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClusterError, ClusterState, decodePackage, unpackTopology, type ClusterConnectOptions } from '../cluster/index.js';
import { ConsoleLogger, type Logger } from '../common/index.js';
import { WorkerRuntime } from '../executor/index.js';
import type { WorkerSlot } from '../protocol/cluster-records.js';
import type { TupleImpl } from '../tuple/index.js';
import { BatchReceiver, BatchSender } from '../transport/index.js';
import { loadTopologyFile } from './load-topology.js';
import { TupleBatch, decodeTupleBatch } from './tuple-batch.js';

export interface WorkerOptions {
  readonly topology: string;
  readonly supervisor: string;
  readonly port: number;
  /** Where the topology package is unpacked. */
  readonly codeDir?: string;
  readonly cluster?: ClusterConnectOptions;
  readonly logger?: Logger;
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
  private flushScheduled = false;
  private state: ClusterState | undefined;

  constructor(private readonly options: WorkerOptions) {}

  async start(): Promise<void> {
    const o = this.options;
    const logger = o.logger ?? new ConsoleLogger('info');
    const state = (this.state = await ClusterState.connect({ ...o.cluster, name: `worker ${o.supervisor}:${o.port}` }));
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
    const loaded = await loadTopologyFile(unpackTopology(decodePackage(bytes), codeDir));
    const topology = loaded.topology.withConfig(record.config);

    const endpointOfTask = new Map<number, string>();
    for (const w of assignment.workers) for (const t of w.tasks) endpointOfTask.set(t, endpointOf(w));
    const batchSize = topology.config['topology.transfer.batch.size'];
    const runtime = (this.runtime = new WorkerRuntime({
      name: o.topology,
      topology,
      tasks: mine.tasks,
      logger,
      resourcesDir: codeDir,
      remoteTransfer: (task, tuple) => this.transfer(endpointOfTask.get(task), task, tuple, batchSize),
      remoteBackpressured: () => {
        for (const s of this.senders.values()) if (s.isBackpressured) return true;
        return false;
      },
    }));
    this.receiver = new BatchReceiver((batch) => decodeTupleBatch(batch, runtime.plan, (task, t) => runtime.receive(task, t)));
    await this.receiver.bind(`tcp://0.0.0.0:${o.port}`);
    await runtime.start(record.status === 'ACTIVE');
    logger.log('info', `worker ${o.supervisor}:${o.port} runs tasks ${mine.tasks.join(',')} of '${o.topology}'`);
  }

  private transfer(endpoint: string | undefined, task: number, tuple: TupleImpl, batchSize: number): void {
    if (endpoint === undefined) throw new ClusterError(`Task ${task} is not assigned to any worker`);
    let batch = this.batches.get(endpoint);
    if (batch === undefined) this.batches.set(endpoint, (batch = new TupleBatch()));
    batch.add(task, tuple);
    if (batch.size >= batchSize) this.send(endpoint, batch);
    else if (!this.flushScheduled) {
      // Whatever the executors emit in this turn travels together.
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private send(endpoint: string, batch: TupleBatch): void {
    let sender = this.senders.get(endpoint);
    if (sender === undefined) this.senders.set(endpoint, (sender = new BatchSender(endpoint)));
    sender.send(batch.take());
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const [endpoint, batch] of this.batches) if (batch.size > 0) this.send(endpoint, batch);
  }

  /** Stops spouts, waits for in-flight tuples (up to `drainMs`), and closes everything. */
  async stop(drainMs = 5000): Promise<void> {
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
    await this.state?.close();
  }
}
