import * as v from 'valibot';
import { SquallError } from '../common/index.js';
import { TopologySpecSchema } from './topology-spec.js';

/**
 * Everything the daemons store in NATS or send each other, as typed and versioned records (the
 * role storm.thrift plays). Records are JSON with a `v` field; readers validate before use, so a
 * record from an incompatible version or a corrupted entry is refused with a clear error instead
 * of misread.
 */
export const RECORD_VERSION = 1;

/** Messages that name the field, as `topology.spec.components.split.tasks: ...`. */
const text = v.pipe(v.string('must be a non-empty string'), v.minLength(1, 'must be a non-empty string'));
const num = v.pipe(v.number('must be a number'), v.finite('must be a number'));
const int = v.pipe(v.number('must be a number'), v.integer('must be an integer'));
const ints = v.pipe(v.array(int, 'must be a list of integers'), v.readonly());
const version = v.literal(RECORD_VERSION);
const record = <E extends v.ObjectEntries>(entries: E) => v.pipe(v.object(entries, 'must be an object'), v.readonly());

export const TopologyStatusSchema = v.picklist(['ACTIVE', 'INACTIVE', 'KILLED', 'REBALANCING'], 'must be one of ACTIVE, INACTIVE, KILLED, REBALANCING');
export type TopologyStatus = v.InferOutput<typeof TopologyStatusSchema>;

const TopologyRecordSchema = record({
  v: version,
  name: text,
  status: TopologyStatusSchema,
  spec: TopologySpecSchema,
  config: v.pipe(v.record(v.string(), v.unknown(), 'must be an object'), v.readonly()),
  /** Object-store name of the topology package (bundled module + resources). */
  packageId: text,
  submittedAt: num,
  /** Worker processes asked for (`topology.workers`, or the latest rebalance). */
  workers: v.exactOptional(int),
  /** Status to return to once a rebalance is done. */
  resumeStatus: v.exactOptional(v.picklist(['ACTIVE', 'INACTIVE'], 'must be ACTIVE or INACTIVE')),
  /** When a pending kill or rebalance acts (epoch ms): after the wait for in-flight tuples. */
  actAt: v.exactOptional(num),
});
export type TopologyRecord = v.InferOutput<typeof TopologyRecordSchema>;

const SupervisorHeartbeatSchema = record({ v: version, id: text, host: text, slots: ints, time: num });
export type SupervisorHeartbeat = v.InferOutput<typeof SupervisorHeartbeatSchema>;

/** A worker's slot and tasks; the entries also make the listing's worker rows. */
export const workerSlotEntries = { supervisor: text, host: text, port: int, tasks: ints };
export const WorkerSlotSchema = record(workerSlotEntries);
export type WorkerSlot = v.InferOutput<typeof WorkerSlotSchema>;

const AssignmentRecordSchema = record({
  v: version,
  topology: text,
  /** Increases with every reassignment, so workers can tell a new plan from a repeat. */
  version: int,
  workers: v.pipe(v.array(WorkerSlotSchema, 'must be a list'), v.readonly()),
});
export type AssignmentRecord = v.InferOutput<typeof AssignmentRecordSchema>;

const counters = record({ emitted: num, acked: num, failed: num, executed: num });

/** What a worker tells the cluster every few seconds (for `list` and the UI; liveness is the supervisor's job). */
const WorkerHeartbeatSchema = record({
  v: version,
  topology: text,
  supervisor: text,
  host: text,
  port: int,
  pid: int,
  tasks: ints,
  startedAt: num,
  time: num,
  /** Counters per component since the worker started. */
  stats: v.pipe(v.record(v.string(), counters, 'must be an object'), v.readonly()),
  /** CURVE public key (Z85) of the worker's data-plane port, when the cluster runs CURVE. */
  curveKey: v.exactOptional(v.string('must be a string')),
});
export type WorkerHeartbeat = v.InferOutput<typeof WorkerHeartbeatSchema>;

/** The last errors reported by one component of a topology (Storm keeps ten per component). */
const ComponentErrorsSchema = record({
  v: version,
  topology: text,
  component: text,
  errors: v.pipe(v.array(record({ task: int, host: text, port: int, message: v.string('must be a string'), time: num }), 'must be a list'), v.readonly()),
});
export type ComponentErrors = v.InferOutput<typeof ComponentErrorsSchema>;

export const API_OPERATIONS = ['submit', 'list', 'kill', 'activate', 'deactivate', 'rebalance'] as const;
export type ApiOperation = (typeof API_OPERATIONS)[number];

/** A request to the leading coordinator on `<prefix>.api.<op>`. */
const ApiRequestSchema = record({
  v: version,
  op: v.picklist(API_OPERATIONS, `must be one of ${API_OPERATIONS.join(', ')}`),
  /** Operation arguments; each handler validates its own. */
  args: v.pipe(v.record(v.string(), v.unknown(), 'must be an object'), v.readonly()),
});
export type ApiRequest = v.InferOutput<typeof ApiRequestSchema>;

/** The coordinator's answer: a result, or an error with the code of the SquallError it stands for. */
const ApiReplySchema = record({
  v: version,
  ok: v.boolean('must be true or false'),
  result: v.exactOptional(v.unknown()),
  error: v.exactOptional(record({ code: v.string('must be a string'), message: v.string('must be a string') })),
});
export type ApiReply = v.InferOutput<typeof ApiReplySchema>;

const LeaderLeaseSchema = record({ v: version, id: text, host: text, since: num });
export type LeaderLease = v.InferOutput<typeof LeaderLeaseSchema>;

export class RecordError extends SquallError {
  constructor(kind: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_RECORD', `Invalid ${kind} record: ${message}`, options);
  }
}

const SCHEMAS = {
  topology: TopologyRecordSchema,
  supervisor: SupervisorHeartbeatSchema,
  assignment: AssignmentRecordSchema,
  lease: LeaderLeaseSchema,
  worker: WorkerHeartbeatSchema,
  errors: ComponentErrorsSchema,
  request: ApiRequestSchema,
  reply: ApiReplySchema,
} as const;

export type RecordKind = keyof typeof SCHEMAS;

/** Each record kind's shape. */
export type ClusterRecords = { [K in RecordKind]: v.InferOutput<(typeof SCHEMAS)[K]> };

/** `kind.path: message` for the first thing wrong. */
export function problemAt(kind: string, issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (issue === undefined) return `${kind} is invalid`;
  const path = (issue.path ?? []).map((p) => (typeof p.key === 'number' ? `[${p.key}]` : `.${String(p.key)}`)).join('');
  const message = issue.input === undefined && path !== '' ? 'is missing' : issue.message;
  return `${kind}${path}${/^(must|is) /.test(message) ? ' ' : ': '}${message}`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeRecord<K extends RecordKind>(_kind: K, record: ClusterRecords[K]): Uint8Array {
  return encoder.encode(JSON.stringify(record));
}

/** Parses and validates a stored record; throws {@link RecordError} naming what is wrong. */
export function decodeRecord<K extends RecordKind>(kind: K, bytes: Uint8Array): ClusterRecords[K] {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (err) {
    throw new RecordError(kind, 'not JSON', { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RecordError(kind, 'not an object');
  const v0 = (value as { v?: unknown }).v;
  if (v0 !== RECORD_VERSION) {
    throw new RecordError(kind, `version ${String(v0)} is not supported (this build reads version ${RECORD_VERSION})`);
  }
  const r = v.safeParse(SCHEMAS[kind], value);
  if (!r.success) throw new RecordError(kind, problemAt(kind, r.issues));
  // The record as stored, fields this build does not know included, so a rewrite loses nothing.
  return value as ClusterRecords[K];
}
