import { SquallError } from '../common/index.js';
import type { TopologySpec } from './topology-spec.js';

/**
 * Everything the daemons store in NATS or send each other, as typed and versioned records (the
 * role storm.thrift plays). Records are JSON with a `v` field; readers validate before use, so a
 * record from an incompatible version or a corrupted entry is refused with a clear error instead
 * of misread.
 */
export const RECORD_VERSION = 1;

export type TopologyStatus = 'ACTIVE' | 'INACTIVE' | 'KILLED' | 'REBALANCING';

export interface TopologyRecord {
  readonly v: 1;
  readonly name: string;
  readonly status: TopologyStatus;
  readonly spec: TopologySpec;
  readonly config: Readonly<Record<string, unknown>>;
  /** Object-store name of the topology package (bundled module + resources). */
  readonly packageId: string;
  readonly submittedAt: number;
  /** Worker processes asked for (`topology.workers`, or the latest rebalance). */
  readonly workers?: number;
  /** Status to return to once a rebalance is done. */
  readonly resumeStatus?: 'ACTIVE' | 'INACTIVE';
  /** When a pending kill or rebalance acts (epoch ms): after the wait for in-flight tuples. */
  readonly actAt?: number;
}

export interface SupervisorHeartbeat {
  readonly v: 1;
  readonly id: string;
  readonly host: string;
  readonly slots: readonly number[];
  readonly time: number;
}

export interface WorkerSlot {
  readonly supervisor: string;
  readonly host: string;
  readonly port: number;
  readonly tasks: readonly number[];
}

export interface AssignmentRecord {
  readonly v: 1;
  readonly topology: string;
  /** Increases with every reassignment, so workers can tell a new plan from a repeat. */
  readonly version: number;
  readonly workers: readonly WorkerSlot[];
}

/** What a worker tells the cluster every few seconds (for `list` and the UI; liveness is the supervisor's job). */
export interface WorkerHeartbeat {
  readonly v: 1;
  readonly topology: string;
  readonly supervisor: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  readonly tasks: readonly number[];
  readonly startedAt: number;
  readonly time: number;
  /** Counters per component since the worker started. */
  readonly stats: Readonly<Record<string, { readonly emitted: number; readonly acked: number; readonly failed: number; readonly executed: number }>>;
  /** CURVE public key (Z85) of the worker's data-plane port, when the cluster runs CURVE. */
  readonly curveKey?: string;
}

/** The last errors reported by one component of a topology (Storm keeps ten per component). */
export interface ComponentErrors {
  readonly v: 1;
  readonly topology: string;
  readonly component: string;
  readonly errors: readonly { readonly task: number; readonly host: string; readonly port: number; readonly message: string; readonly time: number }[];
}

export type ApiOperation = 'submit' | 'list' | 'kill' | 'activate' | 'deactivate' | 'rebalance';

/** A request to the leading coordinator on `<prefix>.api.<op>`. */
export interface ApiRequest {
  readonly v: 1;
  readonly op: ApiOperation;
  /** Operation arguments; each handler validates its own. */
  readonly args: Readonly<Record<string, unknown>>;
}

/** The coordinator's answer: a result, or an error with the code of the SquallError it stands for. */
export interface ApiReply {
  readonly v: 1;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface LeaderLease {
  readonly v: 1;
  readonly id: string;
  readonly host: string;
  readonly since: number;
}

export class RecordError extends SquallError {
  constructor(kind: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_RECORD', `Invalid ${kind} record: ${message}`, options);
  }
}

type Check = (value: unknown, path: string) => string | undefined;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const str: Check = (x, p) => (typeof x === 'string' && x.length > 0 ? undefined : `${p} must be a non-empty string`);
const num: Check = (x, p) => (typeof x === 'number' && Number.isFinite(x) ? undefined : `${p} must be a number`);
const ints: Check = (x, p) =>
  Array.isArray(x) && x.every((n) => Number.isInteger(n)) ? undefined : `${p} must be a list of integers`;
const obj: Check = (x, p) => (isObject(x) ? undefined : `${p} must be an object`);
const oneOf =
  (...values: string[]): Check =>
  (x, p) =>
    typeof x === 'string' && values.includes(x) ? undefined : `${p} must be one of ${values.join(', ')}`;
const list =
  (item: Record<string, Check>): Check =>
  (x, p) => {
    if (!Array.isArray(x)) return `${p} must be a list`;
    for (let i = 0; i < x.length; i++) {
      const r = checkFields(x[i], item, `${p}[${i}]`);
      if (r !== undefined) return r;
    }
    return undefined;
  };

function checkFields(x: unknown, fields: Record<string, Check>, path: string): string | undefined {
  if (!isObject(x)) return `${path} must be an object`;
  for (const [k, check] of Object.entries(fields)) {
    const r = check(x[k], `${path}.${k}`);
    if (r !== undefined) return r;
  }
  return undefined;
}

const SHAPES = {
  topology: { name: str, status: oneOf('ACTIVE', 'INACTIVE', 'KILLED', 'REBALANCING'), spec: obj, config: obj, packageId: str, submittedAt: num },
  supervisor: { id: str, host: str, slots: ints, time: num },
  assignment: { topology: str, version: num, workers: list({ supervisor: str, host: str, port: num, tasks: ints }) },
  lease: { id: str, host: str, since: num },
  worker: { topology: str, supervisor: str, host: str, port: num, pid: num, tasks: ints, startedAt: num, time: num, stats: obj },
  errors: { topology: str, component: str, errors: list({ task: num, host: str, port: num, message: str, time: num }) },
  request: { op: oneOf('submit', 'list', 'kill', 'activate', 'deactivate', 'rebalance'), args: obj },
  reply: { ok: (x: unknown, p: string) => (typeof x === 'boolean' ? undefined : `${p} must be true or false`) },
} satisfies Record<string, Record<string, Check>>;

export type RecordKind = keyof typeof SHAPES;

/** Each record kind's shape. */
export interface ClusterRecords {
  topology: TopologyRecord;
  supervisor: SupervisorHeartbeat;
  assignment: AssignmentRecord;
  lease: LeaderLease;
  worker: WorkerHeartbeat;
  errors: ComponentErrors;
  request: ApiRequest;
  reply: ApiReply;
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
  if (!isObject(value)) throw new RecordError(kind, 'not an object');
  if (value.v !== RECORD_VERSION) {
    throw new RecordError(kind, `version ${String(value.v)} is not supported (this build reads version ${RECORD_VERSION})`);
  }
  const problem = checkFields(value, SHAPES[kind], kind);
  if (problem !== undefined) throw new RecordError(kind, problem);
  return value as unknown as ClusterRecords[K];
}
