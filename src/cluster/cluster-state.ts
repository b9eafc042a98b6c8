import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { SquallError, describe } from '../common/index.js';
import { natsServers, type NatsAuth } from '../config/index.js';
import { natsConnectOptions } from '../config/nats-connect.js';
import {
  decodeRecord,
  encodeRecord,
  type ApiOperation,
  type ApiReply,
  type ApiRequest,
  type AssignmentRecord,
  type ClusterRecords,
  type ComponentErrors,
  type RecordKind,
  type LeaderLease,
  type SupervisorHeartbeat,
  type TopologyRecord,
  type WorkerHeartbeat,
} from '../protocol/cluster-records.js';

/**
 * Cluster state in NATS JetStream: the role ZooKeeper plays for Storm. Daemons share nothing else.
 * Key-value buckets hold topologies, assignments, supervisor heartbeats (expiring with the bucket's
 * TTL) and the leader lease; every value is a validated, versioned record.
 */
export class ClusterError extends SquallError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CLUSTER', message, options);
  }
}

/** Where NATS is and how to log in (user/pass, token, a creds file, TLS: NatsAuth). */
export interface ClusterConnectOptions extends NatsAuth {
  /** NATS URLs; default `SQUALL_NATS` or nats://127.0.0.1:4222. */
  readonly servers?: string | readonly string[];
  /** Heartbeats older than this are gone (the bucket's TTL). @defaultValue 10000 */
  readonly heartbeatTtlMs?: number;
  /** A leader that stops renewing loses the lease after this long. @defaultValue 4000 */
  readonly leaseTtlMs?: number;
  /** Name shown in the NATS server's connection list. */
  readonly name?: string;
  /**
   * Prefix of the bucket names, so several clusters can share one NATS server. TTLs are fixed
   * when a bucket is first created. @defaultValue "squall"
   */
  readonly bucketPrefix?: string;
}

/** Heartbeats older than this are gone (the TTL of the heartbeat buckets). */
export const DEFAULT_HEARTBEAT_TTL_MS = 10_000;
/** A leader that stops renewing loses the lease after this long (the leader bucket's TTL). */
export const DEFAULT_LEASE_TTL_MS = 4000;

/** A NATS connection as `options` say, reconnecting forever; a clear error when NATS is not reached. */
export async function connectNats(options: ClusterConnectOptions): Promise<NatsConnection> {
  const servers = natsServers(options.servers);
  try {
    return await connect(natsConnectOptions(servers, options.name ?? 'squall', options));
  } catch (err) {
    throw new ClusterError(`cannot reach NATS at ${servers.join(', ')}: ${describe(err)}`, { cause: err });
  }
}

/**
 * One request to the leading coordinator on `<prefix>.api.<op>`, with clear errors when none
 * answers, it is too slow, or NATS refuses this user the operation's subject.
 */
export async function requestApi(
  nc: NatsConnection,
  prefix: string,
  servers: readonly string[],
  op: ApiOperation,
  args: Record<string, unknown>,
  timeoutMs = 30_000,
): Promise<ApiReply> {
  const subject = `${prefix}.api.${op}`;
  try {
    const msg = await nc.request(subject, encodeRecord('request', { v: 1, op, args }), { timeout: timeoutMs });
    return decodeRecord('reply', msg.data);
  } catch (err) {
    const text = describe(err);
    if (/permissions violation/i.test(text)) {
      throw new ClusterError(`NATS does not let this user ${op} (no permission to publish to ${subject}, or to receive the reply): ${text}`, { cause: err });
    }
    if (/no responders/i.test(text) || (err as { isNoResponders?: () => boolean }).isNoResponders?.() === true) {
      throw new ClusterError(`no coordinator answers on ${subject} (NATS at ${servers.join(', ')} is reachable; start one with \`squall coordinator\`)`, {
        cause: err,
      });
    }
    if (/timeout/i.test(text)) throw new ClusterError(`the coordinator did not answer ${op} within ${timeoutMs / 1000} s`, { cause: err });
    throw err;
  }
}

const LEADER_KEY = 'leader';

/** The buckets listed by key. */
export type Bucket = 'topologies' | 'assignments' | 'supervisors' | 'workers' | 'errors';

/** A record that could not be decoded, left out of a listing. */
export interface SkippedRecord {
  /** The bucket's full name (with the cluster's prefix). */
  readonly bucket: string;
  readonly key: string;
  readonly revision: number;
  readonly problem: string;
}

/** "the malformed record 'k' (revision n) in bucket b: problem", for logs and `squall list`. */
export function describeSkipped(r: SkippedRecord): string {
  return `the malformed record '${r.key}' (revision ${r.revision}) in bucket ${r.bucket}: ${r.problem}`;
}

/** The leadership of one coordinator; renew it well within the lease TTL. */
export interface Leadership {
  readonly lease: LeaderLease;
  /** Extends the lease; false means it was lost (another coordinator leads now). */
  renew(): Promise<boolean>;
  /** Gives the lease up so a standby takes over at once. */
  release(): Promise<void>;
}

export class ClusterState {
  private constructor(
    readonly connection: NatsConnection,
    private readonly topologies: KV,
    private readonly assignments: KV,
    private readonly supervisors: KV,
    private readonly leader: KV,
    private readonly packages: ObjectStore,
    private readonly workers: KV,
    private readonly errors: KV,
    private readonly jsm: JetStreamManager,
    /** Prefix of buckets and API subjects. */
    readonly prefix: string,
    /** The NATS servers tried, for error messages. */
    readonly servers: readonly string[],
  ) {}

  private readonly skipped = new Map<string, SkippedRecord>();
  /** Told of each malformed record a read skipped, once per key and revision (daemons log it). */
  onSkippedRecord: ((record: SkippedRecord) => void) | undefined;

  /** Connects and opens (creating when missing) the buckets. */
  static async connect(options: ClusterConnectOptions = {}): Promise<ClusterState> {
    const servers = natsServers(options.servers);
    const nc = await connectNats(options);
    try {
      const kvm = new Kvm(nc);
      const prefix = options.bucketPrefix ?? 'squall';
      const [topologies, assignments, supervisors, leader, packages, workers, errors] = await Promise.all([
        // Bucket TTLs are in milliseconds: a heartbeat or lease not renewed in time disappears.
        kvm.create(`${prefix}_topologies`, { history: 1 }),
        kvm.create(`${prefix}_assignments`, { history: 1 }),
        kvm.create(`${prefix}_supervisors`, { history: 1, ttl: options.heartbeatTtlMs ?? DEFAULT_HEARTBEAT_TTL_MS }),
        kvm.create(`${prefix}_leader`, { history: 1, ttl: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS }),
        new Objm(nc).create(`${prefix}_packages`),
        kvm.create(`${prefix}_workers`, { history: 1, ttl: options.heartbeatTtlMs ?? DEFAULT_HEARTBEAT_TTL_MS }),
        kvm.create(`${prefix}_errors`, { history: 1 }),
      ]);
      return new ClusterState(nc, topologies, assignments, supervisors, leader, packages, workers, errors, await jetstreamManager(nc), prefix, servers);
    } catch (err) {
      await nc.close();
      throw new ClusterError(`cannot open the cluster state buckets (is JetStream enabled on the NATS server? start it with -js): ${describe(err)}`, {
        cause: err,
      });
    }
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /**
   * The keys of a bucket, read from its stream's per-subject counts in one JetStream API request
   * (bounded by the request timeout). KV's keys() runs a consumer that can wait forever when
   * entries expire while it reads, and then the coordinator's loop would stall with it.
   */
  private async keysOf(bucket: Bucket): Promise<string[]> {
    const name = `${this.prefix}_${bucket}`;
    const info = await this.jsm.streams.info(`KV_${name}`, { subjects_filter: `$KV.${name}.>` });
    const prefix = `$KV.${name}.`;
    return Object.keys(info.state.subjects ?? {})
      .filter((s) => s.startsWith(prefix))
      .map((s) => s.slice(prefix.length));
  }

  /** One record, when its key holds one (not deleted, not expired); a malformed one is an error naming bucket and key. */
  private async readRecord<K extends RecordKind>(kv: KV, kind: K, key: string, bucket: Bucket): Promise<ClusterRecords[K] | undefined> {
    const e = await kv.get(key);
    if (e === null || e.operation !== 'PUT') return undefined;
    try {
      return decodeRecord(kind, e.value);
    } catch (err) {
      throw new ClusterError(`the record '${key}' (revision ${e.revision}) in bucket ${this.prefix}_${bucket} is malformed: ${describe(err)}`, { cause: err });
    }
  }

  /**
   * Every record of a bucket (whose key passes `keep`), read in parallel, with the revision of
   * each. A malformed record is skipped, so that one bad value cannot stop the daemons or
   * `squall list`: it is kept in `skippedRecords()` and told to `onSkippedRecord` once per revision.
   */
  private async readEntries<K extends RecordKind>(
    bucket: Bucket,
    kind: K,
    keep: (key: string) => boolean = () => true,
  ): Promise<{ record: ClusterRecords[K]; revision: number }[]> {
    const keys = (await this.keysOf(bucket)).filter(keep);
    const kv = this.bucket(bucket);
    const entries = await Promise.all(keys.map(async (key) => ({ key, e: await kv.get(key) })));
    const out: { record: ClusterRecords[K]; revision: number }[] = [];
    for (const { key, e } of entries) {
      const id = `${bucket}/${key}`;
      if (e === null || e.operation !== 'PUT') {
        this.skipped.delete(id);
        continue;
      }
      try {
        out.push({ record: decodeRecord(kind, e.value), revision: e.revision });
        this.skipped.delete(id);
      } catch (err) {
        const before = this.skipped.get(id);
        const skipped: SkippedRecord = { bucket: `${this.prefix}_${bucket}`, key, revision: e.revision, problem: describe(err) };
        this.skipped.set(id, skipped);
        if (before?.revision !== e.revision) this.onSkippedRecord?.(skipped);
      }
    }
    // Keys gone from the bucket are no longer skipped.
    const listed = new Set(keys);
    for (const [id, r] of this.skipped) if (id.startsWith(`${bucket}/`) && keep(r.key) && !listed.has(r.key)) this.skipped.delete(id);
    return out;
  }

  private async readAll<K extends RecordKind>(bucket: Bucket, kind: K, keep?: (key: string) => boolean): Promise<ClusterRecords[K][]> {
    return (await this.readEntries(bucket, kind, keep)).map((e) => e.record);
  }

  /** Malformed records the last reads skipped (of this process), by bucket and key. */
  skippedRecords(bucket?: Bucket): SkippedRecord[] {
    return [...this.skipped.values()].filter((r) => bucket === undefined || r.bucket === `${this.prefix}_${bucket}`);
  }

  private bucket(name: Bucket): KV {
    return { topologies: this.topologies, assignments: this.assignments, supervisors: this.supervisors, workers: this.workers, errors: this.errors }[name];
  }

  // --- topologies

  async putTopology(record: TopologyRecord): Promise<void> {
    await this.topologies.put(record.name, encodeRecord('topology', record));
  }

  /** Creates the record only if no topology of that name exists; false when the name is taken. */
  async createTopology(record: TopologyRecord): Promise<boolean> {
    try {
      await this.topologies.create(record.name, encodeRecord('topology', record));
      return true;
    } catch (err) {
      if (/wrong last sequence|key exists/i.test(describe(err))) return false;
      throw err;
    }
  }

  getTopology(name: string): Promise<TopologyRecord | undefined> {
    return this.readRecord(this.topologies, 'topology', name, 'topologies');
  }

  async listTopologies(): Promise<TopologyRecord[]> {
    return (await this.readAll('topologies', 'topology')).sort((a, b) => a.name.localeCompare(b.name));
  }

  async deleteTopology(name: string): Promise<void> {
    await this.topologies.delete(name);
    await this.assignments.delete(name);
  }

  // --- topology packages (the bundled module and its resources, see topology-package.ts)

  async putPackage(id: string, bytes: Uint8Array): Promise<void> {
    await this.packages.putBlob({ name: id }, bytes);
  }

  async getPackage(id: string): Promise<Uint8Array | undefined> {
    return (await this.packages.getBlob(id)) ?? undefined;
  }

  async deletePackage(id: string): Promise<void> {
    await this.packages.delete(id);
  }

  // --- assignments

  async putAssignment(record: AssignmentRecord): Promise<void> {
    await this.assignments.put(record.topology, encodeRecord('assignment', record));
  }

  getAssignment(topology: string): Promise<AssignmentRecord | undefined> {
    return this.readRecord(this.assignments, 'assignment', topology, 'assignments');
  }

  async listAssignments(): Promise<AssignmentRecord[]> {
    return (await this.readAll('assignments', 'assignment')).sort((a, b) => a.topology.localeCompare(b.topology));
  }

  async deleteAssignment(topology: string): Promise<void> {
    await this.assignments.delete(topology);
  }

  // --- supervisors

  /** Records a supervisor as alive; it stays listed for the heartbeat TTL. */
  async heartbeatSupervisor(record: SupervisorHeartbeat): Promise<void> {
    await this.supervisors.put(record.id, encodeRecord('supervisor', record));
  }

  /**
   * Supervisors whose heartbeat has not expired, each with the revision of its last heartbeat: a
   * revision that stops changing tells an observer the supervisor went quiet, whatever its clock.
   */
  async liveSupervisors(): Promise<(SupervisorHeartbeat & { readonly revision: number })[]> {
    const entries = await this.readEntries('supervisors', 'supervisor');
    return entries.map((e) => ({ ...e.record, revision: e.revision })).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Removes a supervisor's heartbeat at once (on a clean shutdown), so its slots are freed now. */
  async removeSupervisor(id: string): Promise<void> {
    await this.supervisors.delete(id);
  }

  // --- worker heartbeats (stats for `list` and the UI)

  async heartbeatWorker(record: WorkerHeartbeat): Promise<void> {
    await this.workers.put(`${record.supervisor}.${record.port}`, encodeRecord('worker', record));
  }

  async removeWorker(supervisor: string, port: number): Promise<void> {
    await this.workers.delete(`${supervisor}.${port}`);
  }

  liveWorkers(): Promise<WorkerHeartbeat[]> {
    return this.readAll('workers', 'worker');
  }

  // --- reported errors, the last few per component

  /** Adds errors reported by a component, keeping the last `keep`. */
  async reportErrors(topology: string, component: string, errors: ComponentErrors['errors'], keep = 10): Promise<void> {
    const key = `${topology}.${component.replace(/[^-_a-zA-Z0-9]/g, '_')}`;
    // A malformed record of earlier errors is replaced rather than blocking every report after it.
    const previous = (await this.readRecord(this.errors, 'errors', key, 'errors').catch(() => undefined))?.errors ?? [];
    const record: ComponentErrors = { v: 1, topology, component, errors: [...previous, ...errors].slice(-keep) };
    await this.errors.put(key, encodeRecord('errors', record));
  }

  /** The errors of every component of `topology`, or of every topology. */
  async componentErrors(topology?: string): Promise<ComponentErrors[]> {
    const records = await this.readAll('errors', 'errors', (key) => topology === undefined || key.startsWith(`${topology}.`));
    return records.sort((a, b) => a.component.localeCompare(b.component));
  }

  async deleteErrors(topology: string): Promise<void> {
    for (const key of await this.keysOf('errors')) if (key.startsWith(`${topology}.`)) await this.errors.purge(key);
  }

  // --- the coordinator's API: request/reply on <prefix>.api.<op>

  private apiSubject(op: ApiOperation | '*'): string {
    return `${this.prefix}.api.${op}`;
  }

  /**
   * Serves the API (the leading coordinator does). The operation is the subject's last token, so
   * NATS subject permissions decide who may do what: a request whose body names another operation
   * than its subject is refused. Every request is decoded and validated before the handler sees
   * it; a handler's thrown error becomes an error reply with its code.
   */
  serveApi(handler: (request: ApiRequest) => Promise<unknown>): Subscription {
    const subjectPrefix = this.apiSubject('*').slice(0, -1);
    return this.connection.subscribe(this.apiSubject('*'), {
      callback: (err, msg) => {
        if (err !== null) return;
        const answer = async (): Promise<ApiReply> => {
          try {
            const op = msg.subject.slice(subjectPrefix.length);
            const request = decodeRecord('request', msg.data);
            if (request.op !== op) {
              throw new ClusterError(`refused a request on ${msg.subject} whose body names the operation '${request.op}': an operation is asked on its own subject`);
            }
            return { v: 1, ok: true, result: await handler(request) };
          } catch (e) {
            const code = typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'CLUSTER';
            return { v: 1, ok: false, error: { code, message: describe(e) } };
          }
        };
        void answer().then((reply) => msg.respond(encodeRecord('reply', reply)));
      },
    });
  }

  /** Sends a request to the leading coordinator; a clear error when none answers. */
  request(op: ApiOperation, args: Record<string, unknown>, timeoutMs = 30_000): Promise<ApiReply> {
    return requestApi(this.connection, this.prefix, this.servers, op, args, timeoutMs);
  }


  // --- leadership

  /** The current leader, if any. */
  async currentLeader(): Promise<LeaderLease | undefined> {
    const e = await this.leader.get(LEADER_KEY);
    return e === null || e.operation !== 'PUT' ? undefined : decodeRecord('lease', e.value);
  }

  /**
   * Tries to become the leader: succeeds when nobody holds the lease (never taken, released, or
   * expired because its holder stopped renewing). Returns undefined when another leads.
   */
  async tryAcquireLeadership(id: string, host: string): Promise<Leadership | undefined> {
    const lease: LeaderLease = { v: 1, id, host, since: Date.now() };
    const bytes = encodeRecord('lease', lease);
    let revision: number;
    try {
      revision = await this.leader.create(LEADER_KEY, bytes);
    } catch (err) {
      if (/wrong last sequence|key exists/i.test(describe(err))) return undefined;
      throw err;
    }
    const leader = this.leader;
    return {
      lease,
      renew: async () => {
        try {
          revision = await leader.update(LEADER_KEY, bytes, revision);
          return true;
        } catch {
          // Another renewal of ours (one that outlived its run) may have moved the revision: the
          // lease is still ours when the key holds our very record.
          const e = await leader.get(LEADER_KEY).catch(() => null);
          if (e === null || e.operation !== 'PUT' || Buffer.compare(Buffer.from(e.value), Buffer.from(bytes)) !== 0) return false;
          revision = e.revision;
          return true;
        }
      },
      release: async () => {
        await leader.delete(LEADER_KEY, { previousSeq: revision }).catch(() => undefined);
      },
    };
  }
}
