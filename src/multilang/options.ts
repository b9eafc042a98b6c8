import type { OutputFieldsDeclarer } from '../api/index.js';
import { InvalidTopologyError, type Logger } from '../common/index.js';
import type { Config } from '../config/index.js';
import { DEFAULT_STREAM } from '../tuple/index.js';
import type { SerializerName } from './codec.js';
import { ShellComponentStats } from './stats.js';

/** One output stream of a multilang component. */
export interface ShellStreamDeclaration {
  readonly fields: readonly string[];
  /** Consumers must subscribe with a direct grouping; the component emits with a `task`. */
  readonly direct?: boolean;
}

/** What every multilang component takes. */
export interface ShellComponentOptions {
  /**
   * The command line, e.g. `['python3', 'split.py']`. It runs in the topology's resources
   * directory (the folder of the topology file; the worker's cwd when there is none), so
   * relative script paths are relative to that folder.
   */
  readonly command: readonly string[];
  /** Fields of the default stream. Give this or `streams`. */
  readonly outputFields?: readonly string[];
  /** Every output stream with its fields. Give this or `outputFields`. */
  readonly streams?: Readonly<Record<string, ShellStreamDeclaration>>;
  /** Serializer on the pipes. @defaultValue the topology's `topology.multilang.serializer` */
  readonly serializer?: SerializerName;
  /** Extra environment. `PATH` is appended to the worker's PATH (as Storm does); others replace. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory, relative to the resources directory. @defaultValue the resources directory */
  readonly cwd?: string;
  /**
   * Offer Squall's protocol extension (batches, spout credits) in the handshake. Components that
   * do not know it ignore the offer, so turning it off is only for comparisons and tests.
   * @defaultValue true
   */
  readonly extension?: boolean;
  /** Largest message accepted from the subprocess; a bigger one is a fault. @defaultValue 64 MiB */
  readonly maxMessageBytes?: number;
  /**
   * Where the subprocess's `log` messages and stderr lines go. @defaultValue the topology's
   * logger when the runtime provides one, else a console logger at info.
   */
  readonly logger?: Logger;
  /** Returned by `getComponentConfiguration()`, e.g. `{ 'topology.tick.tuple.freq.secs': 5 }`. */
  readonly config?: Config;
  /** Milliseconds between heartbeats (bolts) and liveness checks. @defaultValue 1000 */
  readonly heartbeatIntervalMs?: number;
  /** First restart delay after a fault; doubles per consecutive fault. @defaultValue 100 */
  readonly restartDelayMs?: number;
  /** Longest restart delay. @defaultValue 10000 */
  readonly maxRestartDelayMs?: number;
}

export interface ShellBoltOptions extends ShellComponentOptions {
  /**
   * Most tuples at the subprocess (sent, not yet acked or failed). Beyond it `execute` returns a
   * promise that resolves when there is room. @defaultValue `topology.shellbolt.max.pending` in
   * legacy mode; `max(topology.shellbolt.max.pending, 4000)` in extension mode
   */
  readonly maxPending?: number;
  /** Most tuples in one `tuples` message (extension mode). @defaultValue 250 */
  readonly batchSize?: number;
}

export interface ShellSpoutOptions extends ShellComponentOptions {
  /**
   * Most `next_tuple` calls one `next` asks for (extension mode); the credits are also capped by
   * the room left under `topology.max.spout.pending`. @defaultValue 500
   */
  readonly maxCredits?: number;
}

const MiB = 1024 * 1024;

/**
 * Validated options, shared by the per-task copies of one component (a class instance, so the
 * runtime's per-task copy shares it rather than cloning it; it is immutable apart from `stats`).
 */
export class ShellSettings {
  readonly command: readonly string[];
  readonly streams: Readonly<Record<string, { readonly fields: readonly string[]; readonly direct: boolean }>>;
  readonly serializer: SerializerName | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | undefined;
  readonly extension: boolean;
  readonly maxMessageBytes: number;
  readonly logger: Logger | undefined;
  readonly config: Config;
  readonly heartbeatIntervalMs: number;
  readonly restartDelayMs: number;
  readonly maxRestartDelayMs: number;
  readonly maxPending: number | undefined;
  readonly batchSize: number;
  readonly maxCredits: number;
  /** Counters and metrics of every task of the component. */
  readonly stats = new ShellComponentStats();

  constructor(kind: 'bolt' | 'spout', o: ShellBoltOptions & ShellSpoutOptions) {
    const what = `Shell${kind === 'bolt' ? 'Bolt' : 'Spout'}`;
    if (typeof o !== 'object' || o === null) throw optionError(`${what}: options are required`);
    const command: unknown = o.command;
    if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string' && c.length > 0)) {
      throw optionError(`${what}: 'command' must be a non-empty array of strings, e.g. ['python3', 'split.py']`);
    }
    this.command = (command as string[]).slice();
    if (o.outputFields !== undefined && o.streams !== undefined) {
      throw optionError(`${what} ${this.command.join(' ')}: give 'outputFields' or 'streams', not both`);
    }
    const streams: Record<string, { fields: readonly string[]; direct: boolean }> = {};
    if (o.outputFields !== undefined) streams[DEFAULT_STREAM] = { fields: [...o.outputFields], direct: false };
    for (const [id, s] of Object.entries(o.streams ?? {})) streams[id] = { fields: [...s.fields], direct: s.direct === true };
    this.streams = streams;
    if (o.serializer !== undefined && o.serializer !== 'msgpack' && o.serializer !== 'json') {
      throw optionError(`${what}: 'serializer' must be "msgpack" or "json", got ${JSON.stringify(o.serializer)}`);
    }
    this.serializer = o.serializer;
    this.env = { ...(o.env ?? {}) };
    this.cwd = o.cwd;
    this.extension = o.extension ?? true;
    this.maxMessageBytes = positive(what, 'maxMessageBytes', o.maxMessageBytes, 64 * MiB);
    this.logger = o.logger;
    this.config = { ...(o.config ?? {}) };
    this.heartbeatIntervalMs = positive(what, 'heartbeatIntervalMs', o.heartbeatIntervalMs, 1000);
    this.restartDelayMs = positive(what, 'restartDelayMs', o.restartDelayMs, 100);
    this.maxRestartDelayMs = positive(what, 'maxRestartDelayMs', o.maxRestartDelayMs, 10_000);
    this.maxPending = o.maxPending === undefined ? undefined : positive(what, 'maxPending', o.maxPending, 1);
    this.batchSize = positive(what, 'batchSize', o.batchSize, 250);
    this.maxCredits = positive(what, 'maxCredits', o.maxCredits, 500);
  }

  declare(declarer: OutputFieldsDeclarer): void {
    for (const [id, s] of Object.entries(this.streams)) declarer.declareStream(id, s.fields, s.direct);
  }

  /** How the component is named in messages: its command line. */
  get commandLine(): string {
    return this.command.join(' ');
  }
}

function optionError(message: string): InvalidTopologyError {
  return new InvalidTopologyError([{ message }]);
}

function positive(what: string, name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw optionError(`${what}: '${name}' must be a positive number, got ${String(v)}`);
  }
  return v;
}

/** What ShellBolt and ShellSpout share: their settings, stats and declarations. */
export abstract class ShellComponent {
  private readonly checked: ShellSettings | InvalidTopologyError;

  /**
   * Bad options are kept, not thrown, so that the builder reports them when it declares the
   * component, with the component's id (unknown here); any other use throws them.
   */
  protected constructor(kind: 'bolt' | 'spout', options: ShellBoltOptions & ShellSpoutOptions) {
    try {
      this.checked = new ShellSettings(kind, options);
    } catch (err) {
      if (!(err instanceof InvalidTopologyError)) throw err;
      this.checked = err;
    }
  }

  get settings(): ShellSettings {
    if (this.checked instanceof InvalidTopologyError) throw this.checked;
    return this.checked;
  }

  /** Metrics, starts and faults of every task of this component. */
  get stats(): ShellComponentStats {
    return this.settings.stats;
  }

  declareOutputFields(declarer: OutputFieldsDeclarer): void {
    this.settings.declare(declarer);
  }

  getComponentConfiguration(): Config {
    return { ...this.settings.config };
  }
}
