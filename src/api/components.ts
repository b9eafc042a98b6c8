import type { Config, TopologyConfig } from '../config/index.js';
import { Fields, DEFAULT_STREAM, type Tuple, type Value } from '../tuple/index.js';
import type { BasicOutputCollector, OutputCollector, SpoutOutputCollector } from './collectors.js';
import type { TopologyContext } from './context.js';
import { SquallError } from '../common/index.js';

/** Where a component declares the streams it emits on and their fields. */
export interface OutputFieldsDeclarer {
  /** Declares the default stream. */
  declare(fields: readonly string[] | Fields, direct?: boolean): void;
  declareStream(streamId: string, fields: readonly string[] | Fields, direct?: boolean): void;
}

/** A source of tuples (Storm's `IRichSpout`). `ack`, `fail` and `nextTuple` never run concurrently. */
export interface Spout {
  open(config: TopologyConfig, context: TopologyContext, collector: SpoutOutputCollector): void | Promise<void>;
  /** Emits zero or more tuples; should return quickly (the runtime waits a little when it emits nothing). */
  nextTuple(): void;
  ack?(messageId: unknown): void;
  fail?(messageId: unknown): void;
  activate?(): void;
  deactivate?(): void;
  close?(): void | Promise<void>;
  declareOutputFields?(declarer: OutputFieldsDeclarer): void;
  getComponentConfiguration?(): Config;
}

/** A processing step (Storm's `IRichBolt`): acks or fails each input itself. */
export interface Bolt {
  prepare(config: TopologyConfig, context: TopologyContext, collector: OutputCollector): void | Promise<void>;
  /** May return a promise: the input counts as in flight until it settles (see `topology.bolt.max.async.pending`). */
  execute(input: Tuple): void | Promise<void>;
  cleanup?(): void | Promise<void>;
  declareOutputFields?(declarer: OutputFieldsDeclarer): void;
  getComponentConfiguration?(): Config;
}

export const BASIC_BOLT: unique symbol = Symbol.for('squall.basicBolt');

/**
 * A bolt whose emits are anchored to the input and whose input is acked when `execute` returns
 * (or its promise resolves), and failed when it throws {@link FailedError} (Storm's `IBasicBolt`).
 * Extend {@link BaseBasicBolt} so the runtime recognises it.
 */
export interface BasicBolt {
  readonly [BASIC_BOLT]: true;
  prepare?(config: TopologyConfig, context: TopologyContext): void | Promise<void>;
  execute(input: Tuple, collector: BasicOutputCollector): void | Promise<void>;
  cleanup?(): void | Promise<void>;
  declareOutputFields?(declarer: OutputFieldsDeclarer): void;
  getComponentConfiguration?(): Config;
}

export function isBasicBolt(x: unknown): x is BasicBolt {
  return typeof x === 'object' && x !== null && (x as Partial<BasicBolt>)[BASIC_BOLT] === true;
}

/** A spout with do-nothing defaults that keeps what `open` receives. */
export abstract class BaseRichSpout implements Spout {
  protected collector!: SpoutOutputCollector;
  protected context!: TopologyContext;
  protected config!: TopologyConfig;

  open(config: TopologyConfig, context: TopologyContext, collector: SpoutOutputCollector): void {
    this.config = config;
    this.context = context;
    this.collector = collector;
  }

  abstract nextTuple(): void;
  ack(_messageId: unknown): void {}
  fail(_messageId: unknown): void {}
  activate(): void {}
  deactivate(): void {}
  close(): void | Promise<void> {}
  declareOutputFields(_declarer: OutputFieldsDeclarer): void {}
  getComponentConfiguration(): Config {
    return {};
  }
}

/** A bolt with do-nothing defaults that keeps what `prepare` receives. */
export abstract class BaseRichBolt implements Bolt {
  protected collector!: OutputCollector;
  protected context!: TopologyContext;
  protected config!: TopologyConfig;

  prepare(config: TopologyConfig, context: TopologyContext, collector: OutputCollector): void {
    this.config = config;
    this.context = context;
    this.collector = collector;
  }

  abstract execute(input: Tuple): void | Promise<void>;
  cleanup(): void | Promise<void> {}
  declareOutputFields(_declarer: OutputFieldsDeclarer): void {}
  getComponentConfiguration(): Config {
    return {};
  }
}

/** Base for basic bolts; see {@link BasicBolt}. */
export abstract class BaseBasicBolt implements BasicBolt {
  readonly [BASIC_BOLT] = true as const;
  protected context!: TopologyContext;
  protected config!: TopologyConfig;

  prepare(config: TopologyConfig, context: TopologyContext): void {
    this.config = config;
    this.context = context;
  }

  abstract execute(input: Tuple, collector: BasicOutputCollector): void | Promise<void>;
  cleanup(): void | Promise<void> {}
  declareOutputFields(_declarer: OutputFieldsDeclarer): void {}
  getComponentConfiguration(): Config {
    return {};
  }
}

/** A declared stream. */
export interface StreamDeclaration {
  readonly fields: Fields;
  readonly direct: boolean;
}

/** Collects declarations, refusing a stream declared twice. */
export class StreamDeclarations implements OutputFieldsDeclarer {
  readonly streams = new Map<string, StreamDeclaration>();

  constructor(private readonly componentId: string) {}

  declare(fields: readonly string[] | Fields, direct = false): void {
    this.declareStream(DEFAULT_STREAM, fields, direct);
  }

  declareStream(streamId: string, fields: readonly string[] | Fields, direct = false): void {
    if (typeof streamId !== 'string' || streamId.length === 0) {
      throw new SquallError('INVALID_TOPOLOGY', `Component '${this.componentId}': stream ids must be non-empty strings`);
    }
    if (this.streams.has(streamId)) {
      throw new SquallError('INVALID_TOPOLOGY', `Component '${this.componentId}': stream '${streamId}' is declared twice`);
    }
    const f = fields instanceof Fields ? fields : new Fields(fields);
    for (const name of f.names) {
      if (typeof name !== 'string' || name.length === 0) {
        throw new SquallError('INVALID_TOPOLOGY', `Component '${this.componentId}', stream '${streamId}': field names must be non-empty strings`);
      }
    }
    this.streams.set(streamId, { fields: f, direct });
  }
}

/** Custom grouping (Storm's `CustomStreamGrouping`). */
export interface CustomStreamGrouping {
  prepare(context: TopologyContext, stream: { component: string; stream: string }, targetTasks: readonly number[]): void;
  chooseTasks(sourceTask: number, values: readonly Value[]): readonly number[];
}

export type { Tuple };
