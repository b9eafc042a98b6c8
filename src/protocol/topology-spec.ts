import * as v from 'valibot';
import type { TopologyProblem } from '../common/index.js';
import {
  ACKER_ACK_STREAM,
  ACKER_COMPONENT,
  ACKER_FAIL_STREAM,
  ACKER_INIT_STREAM,
  ACKER_RESET_TIMEOUT_STREAM,
  RESERVED_PREFIX,
} from '../tuple/index.js';

/**
 * The plain-data description of a topology: what `TopologyBuilder` produces, what the coordinator
 * stores and validates, what workers plan their tasks from. It plays the role of Storm's
 * `StormTopology` thrift struct; component code is not in it (it travels as the topology package).
 * Declared once as a schema (valibot): the types below come from it, and a spec read from NATS is
 * checked against it before {@link validateTopologySpec} checks the graph.
 */
const names = v.pipe(v.array(v.string()), v.readonly());
const grouping = <T extends string>(type: T) => v.pipe(v.object({ type: v.literal(type) }), v.readonly());
const withFields = <T extends string>(type: T) => v.pipe(v.object({ type: v.literal(type), fields: names }), v.readonly());

export const GroupingSpecSchema = v.variant('type', [
  grouping('shuffle'),
  withFields('fields'),
  grouping('all'),
  grouping('global'),
  grouping('none'),
  grouping('direct'),
  grouping('localOrShuffle'),
  withFields('partialKey'),
  v.pipe(v.object({ type: v.literal('custom'), name: v.string() }), v.readonly()),
]);
export type GroupingSpec = v.InferOutput<typeof GroupingSpecSchema>;

export type GroupingType = GroupingSpec['type'];

export const StreamSpecSchema = v.pipe(v.object({ fields: names, direct: v.boolean() }), v.readonly());
export type StreamSpec = v.InferOutput<typeof StreamSpecSchema>;

export const InputSpecSchema = v.pipe(v.object({ component: v.string(), stream: v.string(), grouping: GroupingSpecSchema }), v.readonly());
export type InputSpec = v.InferOutput<typeof InputSpecSchema>;

const count = v.pipe(v.number(), v.integer());

export const ComponentSpecSchema = v.pipe(
  v.object({
    id: v.string(),
    kind: v.picklist(['spout', 'bolt']),
    /** Executors. */
    parallelism: count,
    /** Tasks, fixed for the topology's life (at least `parallelism`). */
    tasks: count,
    streams: v.pipe(v.record(v.string(), StreamSpecSchema), v.readonly()),
    inputs: v.pipe(v.array(InputSpecSchema), v.readonly()),
    /** Component-level configuration overrides. */
    config: v.pipe(v.record(v.string(), v.unknown()), v.readonly()),
    /** A stateful bolt: the topology gets checkpointing (see {@link systemTopology}). */
    stateful: v.exactOptional(v.boolean()),
  }),
  v.readonly(),
);
export type ComponentSpec = v.InferOutput<typeof ComponentSpecSchema>;

export const TopologySpecSchema = v.pipe(
  v.object({ version: v.literal(1), components: v.pipe(v.record(v.string(), ComponentSpecSchema), v.readonly()) }),
  v.readonly(),
);
export type TopologySpec = v.InferOutput<typeof TopologySpecSchema>;

/** The system spout that drives checkpoint rounds of stateful bolts (Storm's `$checkpointspout`). */
export const CHECKPOINT_COMPONENT = '__checkpointspout';
/** The stream checkpoint tuples travel on, from the spout and from every bolt (Storm's `$checkpoint`). */
export const CHECKPOINT_STREAM = '__checkpoint';
export const CHECKPOINT_FIELDS: readonly string[] = ['txid', 'action'];

/** Checks the graph: ids, parallelism, subscriptions, streams and grouping fields. */
export function validateTopologySpec(spec: TopologySpec): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const components = Object.values(spec.components);
  if (!components.some((c) => c.kind === 'spout')) {
    problems.push({ message: 'a topology needs at least one spout' });
  }
  for (const c of components) {
    if (c.id.length === 0) problems.push({ component: c.id, message: 'component ids must not be empty' });
    if (c.id.startsWith(RESERVED_PREFIX)) {
      problems.push({ component: c.id, message: `ids starting with '${RESERVED_PREFIX}' are reserved for the system` });
    }
    if (!Number.isInteger(c.parallelism) || c.parallelism < 1) {
      problems.push({ component: c.id, message: `parallelism must be an integer of at least 1, got ${c.parallelism}` });
    }
    if (!Number.isInteger(c.tasks) || c.tasks < 1) {
      problems.push({ component: c.id, message: `task count must be an integer of at least 1, got ${c.tasks}` });
    }
    for (const [streamId, stream] of Object.entries(c.streams)) {
      if (streamId.startsWith(RESERVED_PREFIX)) {
        problems.push({ component: c.id, stream: streamId, message: `stream ids starting with '${RESERVED_PREFIX}' are reserved` });
      }
      const seen = new Set<string>();
      for (const f of stream.fields) {
        if (seen.has(f)) problems.push({ component: c.id, stream: streamId, field: f, message: 'field declared twice' });
        seen.add(f);
      }
    }
    if (c.stateful === true && c.kind !== 'bolt') {
      problems.push({ component: c.id, message: 'only bolts can be stateful' });
    }
    if (c.kind === 'spout' && c.inputs.length > 0) {
      problems.push({ component: c.id, message: 'a spout cannot subscribe to streams' });
    }
    if (c.kind === 'bolt' && c.inputs.length === 0) {
      problems.push({ component: c.id, message: 'the bolt subscribes to no stream, so it would never receive a tuple' });
    }
    const subscribed = new Set<string>();
    for (const input of c.inputs) {
      const key = `${input.component}\u0000${input.stream}`;
      if (subscribed.has(key)) {
        problems.push({
          component: c.id,
          stream: input.stream,
          message: `subscribes twice to stream '${input.stream}' of '${input.component}' (every tuple would arrive twice)`,
        });
      }
      subscribed.add(key);
      problems.push(...checkInput(spec, c, input));
    }
  }
  return problems;
}

function checkInput(spec: TopologySpec, c: ComponentSpec, input: InputSpec): TopologyProblem[] {
  const source = spec.components[input.component];
  const at = { component: c.id, stream: input.stream };
  if (source === undefined) {
    const known = Object.keys(spec.components).join(', ');
    return [{ ...at, message: `subscribes to unknown component '${input.component}' (components: ${known})` }];
  }
  const stream = source.streams[input.stream];
  if (stream === undefined) {
    const declared = Object.keys(source.streams);
    return [
      {
        ...at,
        message: `subscribes to stream '${input.stream}' of '${input.component}', which declares ${declared.length === 0 ? 'no streams' : `only ${declared.map((s) => `'${s}'`).join(', ')}`}`,
      },
    ];
  }
  const g = input.grouping;
  if (g.type === 'direct' && !stream.direct) {
    return [{ ...at, message: `direct grouping on '${input.component}' stream '${input.stream}', which is not declared direct` }];
  }
  if (g.type !== 'direct' && stream.direct) {
    return [{ ...at, message: `${g.type} grouping on '${input.component}' stream '${input.stream}', which is declared direct (use a direct grouping)` }];
  }
  if (g.type === 'fields' || g.type === 'partialKey') {
    if (g.fields.length === 0) return [{ ...at, message: `${g.type} grouping needs at least one field` }];
    return g.fields
      .filter((f) => !stream.fields.includes(f))
      .map((f) => ({
        ...at,
        field: f,
        message: `${g.type} grouping on field '${f}', which '${input.component}' does not declare on '${input.stream}' (declared: ${stream.fields.join(', ') || 'none'})`,
      }));
  }
  return [];
}

/**
 * The topology as the runtime runs it: the user's components plus the system acker bolt and the
 * acking streams wired between them (Storm's `StormCommon.systemTopology`), and, when a bolt is
 * stateful, the checkpoint spout and streams.
 */
export function systemTopology(userSpec: TopologySpec, ackers: number): TopologySpec {
  const spec = withCheckpointStreams(userSpec);
  if (ackers === 0) return spec;
  const components: Record<string, ComponentSpec> = {};
  const ackerInputs: InputSpec[] = [];
  // Ids are 64-bit, carried as two int32 halves; the low half is random enough to group on.
  const byId: GroupingSpec = { type: 'fields', fields: ['id-lo'] };
  for (const c of Object.values(spec.components)) {
    if (c.kind === 'spout') {
      components[c.id] = {
        ...c,
        streams: {
          ...c.streams,
          [ACKER_INIT_STREAM]: { fields: ['id-hi', 'id-lo', 'val-hi', 'val-lo', 'spout-task'], direct: false },
        },
        inputs: [
          ...c.inputs,
          { component: ACKER_COMPONENT, stream: ACKER_ACK_STREAM, grouping: { type: 'direct' } },
          { component: ACKER_COMPONENT, stream: ACKER_FAIL_STREAM, grouping: { type: 'direct' } },
          { component: ACKER_COMPONENT, stream: ACKER_RESET_TIMEOUT_STREAM, grouping: { type: 'direct' } },
        ],
      };
      ackerInputs.push({ component: c.id, stream: ACKER_INIT_STREAM, grouping: byId });
    } else {
      components[c.id] = {
        ...c,
        streams: {
          ...c.streams,
          [ACKER_ACK_STREAM]: { fields: ['id-hi', 'id-lo', 'val-hi', 'val-lo'], direct: false },
          [ACKER_FAIL_STREAM]: { fields: ['id-hi', 'id-lo'], direct: false },
          [ACKER_RESET_TIMEOUT_STREAM]: { fields: ['id-hi', 'id-lo'], direct: false },
        },
      };
      for (const s of [ACKER_ACK_STREAM, ACKER_FAIL_STREAM, ACKER_RESET_TIMEOUT_STREAM]) {
        ackerInputs.push({ component: c.id, stream: s, grouping: byId });
      }
    }
  }
  components[ACKER_COMPONENT] = {
    id: ACKER_COMPONENT,
    kind: 'bolt',
    parallelism: ackers,
    tasks: ackers,
    streams: {
      [ACKER_ACK_STREAM]: { fields: ['id-hi', 'id-lo'], direct: true },
      [ACKER_FAIL_STREAM]: { fields: ['id-hi', 'id-lo'], direct: true },
      [ACKER_RESET_TIMEOUT_STREAM]: { fields: ['id-hi', 'id-lo'], direct: true },
    },
    inputs: ackerInputs,
    config: {},
  };
  return { version: 1, components };
}

/**
 * Checkpoint wiring, as Storm's `TopologyBuilder` adds it when a bolt is stateful: a checkpoint
 * spout, a `__checkpoint` stream declared by every bolt, and every bolt subscribed (all grouping)
 * to the checkpoint stream of each component it reads from, with the checkpoint spout standing in
 * for user spouts. Each bolt forwards a checkpoint once it has it from every upstream task, so one
 * checkpoint tuple tree covers the whole graph and its ack tells the spout the round is done.
 */
function withCheckpointStreams(spec: TopologySpec): TopologySpec {
  const all = Object.values(spec.components);
  if (!all.some((c) => c.stateful === true) || spec.components[CHECKPOINT_COMPONENT] !== undefined) return spec;
  const stream: StreamSpec = { fields: CHECKPOINT_FIELDS, direct: false };
  const components: Record<string, ComponentSpec> = {};
  for (const c of all) {
    if (c.kind !== 'bolt') {
      components[c.id] = c;
      continue;
    }
    const sources = new Set<string>();
    for (const input of c.inputs) {
      sources.add(spec.components[input.component]?.kind === 'spout' ? CHECKPOINT_COMPONENT : input.component);
    }
    components[c.id] = {
      ...c,
      streams: { ...c.streams, [CHECKPOINT_STREAM]: stream },
      inputs: [...c.inputs, ...[...sources].map((s): InputSpec => ({ component: s, stream: CHECKPOINT_STREAM, grouping: { type: 'all' } }))],
    };
  }
  components[CHECKPOINT_COMPONENT] = {
    id: CHECKPOINT_COMPONENT,
    kind: 'spout',
    parallelism: 1,
    tasks: 1,
    streams: { [CHECKPOINT_STREAM]: stream },
    inputs: [],
    // It runs on its own timers: nextTuple has nothing to do, so the loop need not poll it often.
    config: { 'topology.sleep.spout.wait.strategy.time.ms': 50 },
  };
  return { version: 1, components };
}

/** Task ids per component: components sorted by id, tasks numbered contiguously from 1, as Storm does. */
export function computeTaskIds(spec: TopologySpec): Map<string, number[]> {
  const out = new Map<string, number[]>();
  let next = 1;
  for (const id of Object.keys(spec.components).sort()) {
    const c = spec.components[id];
    if (c === undefined) continue;
    const tasks: number[] = [];
    for (let i = 0; i < c.tasks; i++) tasks.push(next++);
    out.set(id, tasks);
  }
  return out;
}

/** Tasks split as evenly as possible over a component's executors (Storm's `computeExecutors`). */
export function splitIntoExecutors(tasks: readonly number[], executors: number): number[][] {
  const n = Math.max(1, Math.min(executors, tasks.length));
  const out: number[][] = [];
  const base = Math.floor(tasks.length / n);
  let extra = tasks.length % n;
  let i = 0;
  for (let e = 0; e < n; e++) {
    const size = base + (extra > 0 ? 1 : 0);
    if (extra > 0) extra--;
    out.push(tasks.slice(i, i + size));
    i += size;
  }
  return out;
}
