import { InvalidTupleError, drawId, drawn, type Logger } from '../common/index.js';
import { createGrouper, type Grouper } from '../grouping/index.js';
import { decodeValues, encodeValues } from '../protocol/index.js';
import {
  Fields,
  TupleImpl,
  findRoot,
  pushRoot,
  rootCount,
  rootHi,
  rootLo,
  singleRootId,
  unserializableReason,
  xorEdge,
  type Value,
  type Values,
} from '../tuple/index.js';
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

const NO_ANCHORS: readonly number[] = [];

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
  /** The root id of the tracked spout emit in progress (set by the spout collector). */
  rootHi = 0;
  rootLo = 0;
  /** XOR of the edges drawn by the last tracked spout emit (the `__ack_init` value). */
  xorHi = 0;
  xorLo = 0;
  private readonly systemTargets: number[] = [];
  private readonly rootScratch: Value[] = [0, 0];

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
   * Sends an acking message about tree (rootHi, rootLo) to the acker that owns it (fields
   * grouping on the id): applied directly when that acker runs in this worker, sent as a tuple
   * otherwise.
   */
  toAcker(route: StreamRoute, rootHi: number, rootLo: number, valHi: number, valLo: number, spoutTask: number): void {
    const scratch = this.rootScratch;
    scratch[0] = rootHi;
    scratch[1] = rootLo;
    const chosen = (route.groupers[0] as Grouper).choose(scratch);
    const task = typeof chosen === 'number' ? chosen : (chosen[0] as number);
    const acker = this.options.localAcker(task);
    if (acker !== undefined) {
      acker.apply(route.id, rootHi, rootLo, valHi, valLo, spoutTask);
      return;
    }
    const values: Values =
      route.id === ACKER_INIT_STREAM
        ? [rootHi, rootLo, valHi, valLo, spoutTask]
        : route.id === ACKER_ACK_STREAM
          ? [rootHi, rootLo, valHi, valLo]
          : [rootHi, rootLo];
    this.transfer(task, new TupleImpl(values, route.fields, this.component, route.id, this.task));
  }

  allRoutes(): IterableIterator<StreamRoute> {
    return this.routes.values();
  }

  /**
   * Emits `values` on `route`, to `directTask` when it is >= 0. A bolt's anchored emit passes its
   * `anchors`; a tracked spout emit sets `rootHi`/`rootLo` first and passes `spoutRoot`; neither
   * means untracked. Returns the task ids the tuple went to.
   */
  emit(
    route: StreamRoute,
    values: Values,
    directTask: number,
    anchors: readonly TupleImpl[] | null,
    spoutRoot: boolean,
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
    this.xorHi = 0;
    this.xorLo = 0;
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
      this.deliver(route, values, directTask, anchors, spoutRoot, out);
    } else {
      if (route.direct) {
        throw new InvalidTupleError(this.component, route.id, `the stream is declared direct: emit on it with emitDirect`);
      }
      const groupers = route.groupers;
      for (let g = 0; g < groupers.length; g++) {
        const chosen = (groupers[g] as Grouper).choose(values);
        if (typeof chosen === 'number') this.deliver(route, values, chosen, anchors, spoutRoot, out);
        else for (let i = 0; i < chosen.length; i++) this.deliver(route, values, chosen[i] as number, anchors, spoutRoot, out);
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
    spoutRoot: boolean,
    out: number[],
  ): void {
    let messageId = NO_ANCHORS;
    if (spoutRoot) {
      drawId();
      this.xorHi ^= drawn.hi;
      this.xorLo ^= drawn.lo;
      messageId = singleRootId(this.rootHi, this.rootLo, drawn.hi, drawn.lo);
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
 * the anchor's ack value and, for each root the anchor belongs to, into the new tuple's id for
 * that root (Storm's `BoltOutputCollectorImpl`). Ids are [rootHi, rootLo, edgeHi, edgeLo]...
 */
function anchorIds(anchors: readonly TupleImpl[]): readonly number[] {
  if (anchors.length === 1) {
    const a = anchors[0] as TupleImpl;
    const ids = a.anchors;
    const n = rootCount(ids);
    if (n === 0) return NO_ANCHORS;
    drawId();
    const eHi = drawn.hi;
    const eLo = drawn.lo;
    a.ackHi ^= eHi;
    a.ackLo ^= eLo;
    if (n === 1) return singleRootId(rootHi(ids, 0), rootLo(ids, 0), eHi, eLo);
    const out: number[] = [];
    for (let k = 0; k < n; k++) pushRoot(out, rootHi(ids, k), rootLo(ids, k), eHi, eLo);
    return out;
  }
  const out: number[] = [];
  // Anchors sharing a root contribute one combined edge for it. Few anchors: scan the output;
  // many (a window's worth): index roots by position, or the merge turns quadratic.
  const index = anchors.length > 16 ? new Map<string, number>() : undefined;
  for (const a of anchors) {
    const ids = a.anchors;
    const n = rootCount(ids);
    if (n === 0) continue;
    drawId();
    const eHi = drawn.hi;
    const eLo = drawn.lo;
    a.ackHi ^= eHi;
    a.ackLo ^= eLo;
    for (let k = 0; k < n; k++) {
      const rHi = rootHi(ids, k);
      const rLo = rootLo(ids, k);
      let j: number;
      if (index !== undefined) {
        const key = `${rHi}:${rLo}`;
        j = index.get(key) ?? -1;
        if (j < 0) index.set(key, rootCount(out));
      } else {
        j = findRoot(out, rHi, rLo);
      }
      if (j >= 0) xorEdge(out, j, eHi, eLo);
      else pushRoot(out, rHi, rLo, eHi, eLo);
    }
  }
  return out.length === 0 ? NO_ANCHORS : out;
}
