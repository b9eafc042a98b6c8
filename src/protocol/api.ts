import * as v from 'valibot';
import { RecordError, WorkerSlotSchema, problemAt, workerSlotEntries, type ApiOperation } from './cluster-records.js';
import { TopologySpecSchema } from './topology-spec.js';

/**
 * The coordinator API, one declaration per operation: the arguments it takes and the result it
 * answers with. The types come from these schemas, and a client checks each reply against its
 * operation's result before using it (a coordinator of another version, or a broken reply, is an
 * INVALID_RECORD error, not a misread).
 */

const name = v.pipe(v.string('must be a string'), v.minLength(1, 'must be a non-empty string'));
const count = v.pipe(v.number('must be a number'), v.integer('must be an integer'));
/** Workers and executors: at least one. */
const atLeastOne = v.pipe(count, v.minValue(1, 'must be at least 1'));
const seconds = v.pipe(v.number('must be a number'), v.finite('must be a number'), v.minValue(0, 'must not be negative'));
const readonlyObject = <E extends v.ObjectEntries>(entries: E) => v.pipe(v.object(entries, 'must be an object'), v.readonly());
const list = <S extends v.GenericSchema>(item: S) => v.pipe(v.array(item, 'must be a list'), v.readonly());

const TopologyListingSchema = readonlyObject({
  name,
  status: v.string('must be a string'),
  workersRequested: count,
  workers: list(v.pipe(v.object({ ...workerSlotEntries, alive: v.boolean('must be true or false') }), v.readonly())),
  tasks: count,
  uptimeSecs: v.number('must be a number'),
  emitted: v.number('must be a number'),
  acked: v.number('must be a number'),
  failed: v.number('must be a number'),
  /** The last error of each component that reported one. */
  lastErrors: v.pipe(v.record(v.string(), v.string(), 'must be an object'), v.readonly()),
  /** What to do about a placement the coordinator cannot mend itself (an unbalanced topology). */
  hint: v.exactOptional(v.string('must be a string')),
});
/** What `squall list` shows of one topology. */
export type TopologyListing = v.InferOutput<typeof TopologyListingSchema>;

const ClusterListingSchema = readonlyObject({
  /** The leading coordinator (absent when none leads). */
  leader: v.optional(v.string('must be a string')),
  supervisors: list(readonlyObject({ id: name, host: v.string('must be a string'), slots: count, used: count })),
  topologies: list(TopologyListingSchema),
  /** Malformed records left out of this listing (bucket, key, revision, what is wrong). */
  skipped: list(readonlyObject({ bucket: v.string('must be a string'), key: v.string('must be a string'), revision: count, problem: v.string('must be a string') })),
});
export type ClusterListing = v.InferOutput<typeof ClusterListingSchema>;

const SubmitResultSchema = readonlyObject({
  name,
  status: v.string('must be a string'),
  workers: list(WorkerSlotSchema),
});

/** Each operation's arguments and result. */
export const API = {
  submit: {
    args: readonlyObject({
      name,
      spec: TopologySpecSchema,
      config: v.exactOptional(v.pipe(v.record(v.string(), v.unknown(), 'must be an object'), v.readonly())),
      packageId: name,
      workers: v.exactOptional(atLeastOne),
      inactive: v.exactOptional(v.boolean('must be true or false')),
    }),
    result: SubmitResultSchema,
  },
  list: { args: readonlyObject({}), result: ClusterListingSchema },
  kill: { args: readonlyObject({ name, waitSecs: v.exactOptional(seconds) }), result: readonlyObject({ name, waitSecs: seconds }) },
  activate: { args: readonlyObject({ name }), result: readonlyObject({ name, status: v.string('must be a string') }) },
  deactivate: { args: readonlyObject({ name }), result: readonlyObject({ name, status: v.string('must be a string') }) },
  rebalance: {
    args: readonlyObject({
      name,
      workers: v.exactOptional(atLeastOne),
      executors: v.exactOptional(v.pipe(v.record(v.string(), atLeastOne, 'must be an object'), v.readonly())),
      waitSecs: v.exactOptional(seconds),
    }),
    result: readonlyObject({ name, waitSecs: seconds }),
  },
} as const satisfies Record<ApiOperation, { args: v.GenericSchema; result: v.GenericSchema }>;

export type ApiArgs<O extends ApiOperation> = v.InferOutput<(typeof API)[O]['args']>;
export type ApiResult<O extends ApiOperation> = v.InferOutput<(typeof API)[O]['result']>;

/** A reply's result checked against its operation's declaration. */
export function decodeApiResult<O extends ApiOperation>(op: O, result: unknown): ApiResult<O> {
  const r = v.safeParse(API[op].result, result);
  if (!r.success) throw new RecordError(`${op} reply`, problemAt('result', r.issues));
  return result as ApiResult<O>;
}

/** A request's arguments checked against its operation's declaration; the message names the argument. */
export function checkApiArgs<O extends ApiOperation>(op: O, args: unknown): ApiArgs<O> {
  const r = v.safeParse(API[op].args, args);
  if (!r.success) throw new RecordError(`${op} request`, problemAt('args', r.issues));
  return args as ApiArgs<O>;
}
