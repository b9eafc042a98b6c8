import { InvalidTupleError, randomId64, type Logger } from '../common/index.js';
import { createGrouper, type Grouper } from '../grouping/index.js';
import { decodeValues, encodeValues } from '../protocol/index.js';
import { Fields, TupleImpl, unserializableReason, type Value, type Values } from '../tuple/index.js';
import type { TopologyPlan } from './plan.js';
import type { TaskStats } from './stats.js';
import type { TaskContext } from './task-context.js';
import type { AckerBolt } from '../acker/index.js';
import type { Topology } from '../api/index.js';
import { ACKER_ACK_STREAM, ACKER_INIT_STREAM } from '../tuple/index.js';

/** Delivers a tuple to a task: into a local queue, or onto the wire for a task in another worker. */
export type Transfer = (task: number, tuple: TupleImpl) => void;

/** One declared output stream of a task, with its subscribers' groupers. */
export class StreamRoute {
  readonly groupers: Grouper[] = [];
  /** Tasks that subscribe to this stream with a direct grouping. */
  readonly directTasks = new Set<number>();
  emitted = 0;

  constructor(
    readonly id: string,
    readonly fields: Fields,
    readonly direct: boolean,
    /** System streams (acking) are not counted as user emits. */
    readonly system: boolean,
  ) {}
}

const NO_ANCHORS: readonly bigint[] = [];

export interface EmitterOptions {
  readonly debug: boolean;
  readonly trySerialize: boolean;
  readonly logger: Logger;
  /** The acker of a task that runs in this worker, to apply acking messages without a queue hop. */
  readonly localAcker: (task: number) => AckerBolt | undefined;
}

/**
 * Routes one task's emits: checks values against the declared fields, picks target tasks through
 * the groupings, builds the tuple (with its message id when tracked) and transfers it.
 */
export class TaskEmitter {
  private readonly routes = new Map<string, StreamRoute>();
  /** XOR of the edges drawn by the last tracked spout emit (the `__ack_init` value). */
  lastEdgeXor = 0n;
  private readonly systemTargets: number[] = [];
  private readonly rootScratch: Value[] = [0n];

  constructor(
    plan: TopologyPlan,
    topology: Topology,
    readonly component: string,
    readonly task: number,
    readonly context: TaskContext,
    private readonly transfer: Transfer,
    private readonly stats: TaskStats,
    private readonly options: EmitterOptions,
    localTasks: ReadonlySet<number>,
  ) {
    const spec = plan.component(component);
    const targets = plan.targetsOf(component);
    for (const [streamId, stream] of Object.entries(spec.streams)) {
      const fields = plan.streamFields(component, streamId) ?? new Fields(stream.fields);
      const route = new StreamRoute(streamId, fields, stream.direct, streamId.startsWith('__'));
      for (const [subscriber, grouping] of targets.get(streamId) ?? []) {
        const subscriberTasks = plan.tasksOf(subscriber);
        if (grouping.type === 'direct') {
          for (const t of subscriberTasks) route.directTasks.add(t);
          continue;
        }
        const custom =
          grouping.type === 'custom' ? topology.createCustomGrouping(grouping.name) : undefined;
        custom?.prepare(context, { component, stream: streamId }, subscriberTasks);
        const grouper = createGrouper(grouping, {
          targets: subscriberTasks,
          streamFields: fields,
          localTasks,
          sourceTask: task,
          ...(custom === undefined ? {} : { custom }),
        });
        if (grouper !== undefined) route.groupers.push(grouper);
      }
      this.routes.set(streamId, route);
    }
  }

  route(streamId: string): StreamRoute {
    const r = this.routes.get(streamId);
    if (r === undefined) {
      const declared = [...this.routes.keys()].filter((s) => !s.startsWith('__'));
      throw new InvalidTupleError(
        this.component,
        streamId,
        `emitted on a stream that was not declared (declared: ${declared.length === 0 ? 'none' : declared.join(', ')})`,
      );
    }
    return r;
  }

  /**
   * Sends an acking message about tree `root` to the acker that owns it (fields grouping on the
   * root id): applied directly when that acker runs in this worker, sent as a tuple otherwise.
   */
  toAcker(route: StreamRoute, root: bigint, value: bigint, spoutTask: number): void {
    this.rootScratch[0] = root;
    const chosen = (route.groupers[0] as Grouper).choose(this.rootScratch);
    const task = typeof chosen === 'number' ? chosen : (chosen[0] as number);
    const acker = this.options.localAcker(task);
    if (acker !== undefined) {
      acker.apply(route.id, root, value, spoutTask);
      return;
    }
    const values: Values =
      route.id === ACKER_INIT_STREAM ? [root, value, spoutTask] : route.id === ACKER_ACK_STREAM ? [root, value] : [root];
    this.transfer(task, new TupleImpl(values, route.fields, this.component, route.id, this.task));
  }

  allRoutes(): IterableIterator<StreamRoute> {
    return this.routes.values();
  }

  /**
   * Emits `values` on `route`, to `directTask` when it is >= 0. Exactly one of `anchors` (a bolt's
   * anchored emit) or `root` (a tracked spout emit, non-zero) may be given; neither means untracked.
   * Returns the task ids the tuple went to.
   */
  emit(
    route: StreamRoute,
    values: Values,
    directTask: number,
    anchors: readonly TupleImpl[] | null,
    root: bigint,
  ): number[] {
    if (!Array.isArray(values)) {
      throw new InvalidTupleError(this.component, route.id, `values must be an array, got ${values === null ? 'null' : typeof values}`);
    }
    if (values.length !== route.fields.size) {
      throw new InvalidTupleError(
        this.component,
        route.id,
        `emitted ${values.length} value(s) but the stream declares ${route.fields.size} field(s) (${route.fields.names.join(', ')})`,
      );
    }
    if (this.options.trySerialize && !route.system) values = this.roundTrip(route, values);
    // Nobody reads the targets of acking messages: reuse one array instead of allocating.
    let out: number[];
    if (route.system) {
      out = this.systemTargets;
      out.length = 0;
    } else {
      out = [];
    }
    this.lastEdgeXor = 0n;
    if (directTask >= 0) {
      if (!route.direct) {
        throw new InvalidTupleError(this.component, route.id, `emitDirect on a stream that is not declared direct`);
      }
      if (!route.directTasks.has(directTask)) {
        throw new InvalidTupleError(
          this.component,
          route.id,
          `emitDirect to task ${directTask}, which does not subscribe to this stream with a direct grouping (direct subscribers: ${[...route.directTasks].join(', ') || 'none'})`,
        );
      }
      this.deliver(route, values, directTask, anchors, root, out);
    } else {
      if (route.direct) {
        throw new InvalidTupleError(this.component, route.id, `the stream is declared direct: emit on it with emitDirect`);
      }
      const groupers = route.groupers;
      for (let g = 0; g < groupers.length; g++) {
        const chosen = (groupers[g] as Grouper).choose(values);
        if (typeof chosen === 'number') this.deliver(route, values, chosen, anchors, root, out);
        else for (let i = 0; i < chosen.length; i++) this.deliver(route, values, chosen[i] as number, anchors, root, out);
      }
    }
    if (!route.system) {
      route.emitted++;
      this.stats.emitted++;
      this.stats.transferred += out.length;
      if (this.options.debug) {
        this.options.logger.log('info', `Emitting: ${this.component}:${this.task} ${route.id}`, { values, to: out });
      }
      const hooks = this.context.hooks;
      if (hooks.length > 0) for (const h of hooks) h.emit?.({ stream: route.id, values, outTasks: out });
    }
    return out;
  }

  private deliver(
    route: StreamRoute,
    values: readonly Value[],
    task: number,
    anchors: readonly TupleImpl[] | null,
    root: bigint,
    out: number[],
  ): void {
    let messageId = NO_ANCHORS;
    if (root !== 0n) {
      const edge = randomId64();
      this.lastEdgeXor ^= edge;
      messageId = [root, edge];
    } else if (anchors !== null) {
      messageId = anchorIds(anchors);
    }
    this.transfer(task, new TupleImpl(values, route.fields, this.component, route.id, this.task, messageId));
    out.push(task);
  }

  private roundTrip(route: StreamRoute, values: Values): Values {
    const reason = unserializableReason(values, 'values');
    if (reason !== undefined) {
      throw new InvalidTupleError(this.component, route.id, `cannot be serialized: ${reason}`);
    }
    return decodeValues(encodeValues(values));
  }
}

/**
 * The message id of a tuple emitted anchored to `anchors`: one new edge per anchor, XORed into
 * the anchor's ackVal and, for each root the anchor belongs to, into the new tuple's id for that
 * root (Storm's `BoltOutputCollectorImpl`).
 */
function anchorIds(anchors: readonly TupleImpl[]): readonly bigint[] {
  if (anchors.length === 1) {
    const a = anchors[0] as TupleImpl;
    const ids = a.anchors;
    if (ids.length === 0) return NO_ANCHORS;
    const edge = randomId64();
    a.ackVal ^= edge;
    if (ids.length === 2) return [ids[0] as bigint, edge];
    const out: bigint[] = [];
    for (let i = 0; i < ids.length; i += 2) out.push(ids[i] as bigint, edge);
    return out;
  }
  const byRoot = new Map<bigint, bigint>();
  for (const a of anchors) {
    const ids = a.anchors;
    if (ids.length === 0) continue;
    const edge = randomId64();
    a.ackVal ^= edge;
    for (let i = 0; i < ids.length; i += 2) {
      const r = ids[i] as bigint;
      byRoot.set(r, (byRoot.get(r) ?? 0n) ^ edge);
    }
  }
  if (byRoot.size === 0) return NO_ANCHORS;
  const out: bigint[] = [];
  for (const [r, e] of byRoot) out.push(r, e);
  return out;
}
