import type { TopologyContext } from '../api/index.js';
import type { TopologyConfig } from '../config/index.js';
import type { GroupingSpec } from '../protocol/index.js';
import { RESERVED_PREFIX } from '../tuple/index.js';

/** A grouping as Storm's `TopologyContext.toJSONString()` writes it: the Thrift member name. */
export interface StormGrouping {
  readonly type: string;
  readonly fields?: readonly string[];
}

export function stormGrouping(g: GroupingSpec): StormGrouping {
  switch (g.type) {
    case 'shuffle':
      return { type: 'SHUFFLE' };
    case 'fields':
      return { type: 'FIELDS', fields: [...g.fields] };
    // Storm's global grouping is a fields grouping on no fields.
    case 'global':
      return { type: 'FIELDS', fields: [] };
    case 'all':
      return { type: 'ALL' };
    case 'none':
      return { type: 'NONE' };
    case 'direct':
      return { type: 'DIRECT' };
    case 'localOrShuffle':
      return { type: 'LOCAL_OR_SHUFFLE' };
    // Storm implements partial key grouping as a custom (serialized) grouping.
    case 'partialKey':
    case 'custom':
      return { type: 'CUSTOM_SERIALIZED' };
  }
}

const isSystem = (id: string): boolean => id.startsWith(RESERVED_PREFIX);

/**
 * The task's context as Storm sends it in the handshake (PROTOCOL.md §2). System streams and the
 * acker's subscriptions are left out: they are the runtime's business, and Storm's own
 * components never use them. `task->component` does list the acker tasks.
 */
export function stormContext(context: TopologyContext): Record<string, unknown> {
  const taskToComponent: Record<string, string> = {};
  for (const component of context.getComponentIds()) {
    for (const task of context.getComponentTasks(component)) taskToComponent[String(task)] = component;
  }
  const me = context.thisComponentId;
  const streams = context.getThisStreams().filter((s) => !isSystem(s));
  const outputFields: Record<string, string[]> = {};
  for (const s of streams) outputFields[s] = [...context.getComponentOutputFields(me, s).names];
  const sourceFields: Record<string, Record<string, string[]>> = {};
  const sourceGroupings: Record<string, Record<string, StormGrouping>> = {};
  for (const [source, byStream] of context.getThisSources()) {
    if (isSystem(source)) continue;
    for (const [stream, grouping] of byStream) {
      if (isSystem(stream)) continue;
      (sourceFields[source] ??= {})[stream] = [...context.getComponentOutputFields(source, stream).names];
      (sourceGroupings[source] ??= {})[stream] = stormGrouping(grouping);
    }
  }
  const targetGroupings: Record<string, Record<string, StormGrouping>> = {};
  for (const [stream, byTarget] of context.getThisTargets()) {
    if (isSystem(stream)) continue;
    for (const [target, grouping] of byTarget) {
      if (isSystem(target)) continue;
      (targetGroupings[stream] ??= {})[target] = stormGrouping(grouping);
    }
  }
  return {
    taskid: context.thisTaskId,
    componentid: me,
    'task->component': taskToComponent,
    streams,
    'stream->outputfields': outputFields,
    'source->stream->fields': sourceFields,
    'stream->target->grouping': targetGroupings,
    'source->stream->grouping': sourceGroupings,
  };
}

/**
 * The topology configuration as the child sees it: every key with a value both serializers can
 * carry (functions, symbols and undefined dropped), plus Storm's `topology.name` and `storm.id`.
 */
export function handshakeConf(config: TopologyConfig, context: TopologyContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const plain = plainData(value, 0);
    if (plain !== undefined) out[key] = plain;
  }
  out['topology.name'] ??= context.topologyName;
  out['storm.id'] ??= context.topologyName;
  return out;
}

function plainData(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : null;
    case 'object': {
      if (v === null) return null;
      if (depth > 16) return undefined;
      if (Array.isArray(v)) return v.map((x) => plainData(x, depth + 1) ?? null);
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return undefined;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const p = plainData(x, depth + 1);
        if (p !== undefined) out[k] = p;
      }
      return out;
    }
    default:
      return undefined;
  }
}
