import type { Config, TopologyConfig } from '../../config/index.js';
import type { Tuple, Values } from '../../tuple/index.js';
import type { Anchors } from '../collectors.js';
import type { OutputFieldsDeclarer } from '../components.js';
import type { TopologyContext } from '../context.js';
import { toPlainMeasure, type PlainMeasure, type WindowMeasure } from './measures.js';
import type { TupleWindow } from './tuple-window.js';

export const WINDOWED_BOLT: unique symbol = Symbol.for('squall.windowedBolt');

/** Reads a tuple's event time in ms. */
export type TimestampExtractor = (tuple: Tuple) => number;

/** A windowed bolt's settings, as the runtime reads them (plain data: it survives the per-task copy). */
export interface WindowConfiguration {
  /** Undefined until `withWindow` or `withTumblingWindow` is called. */
  readonly length: PlainMeasure | undefined;
  readonly slide: PlainMeasure | undefined;
  /** Field holding each tuple's event time (ms); setting it (or an extractor) means event time. */
  readonly timestampField: string | undefined;
  /** How far behind the latest timestamp the watermark stays, ms. @defaultValue 0 */
  readonly lagMs: number;
  /** How often watermarks are computed (event time), ms. @defaultValue 1000 */
  readonly watermarkIntervalMs: number;
  /** Stream that receives late tuples, in field `late_tuple`; undefined: they are counted and acked. */
  readonly lateTupleStream: string | undefined;
}

/**
 * Emits from a windowed bolt. Without anchors, an emit is anchored to the new tuples of the window
 * being executed (see the README's "Windows"); `emit(anchors, values)` anchors explicitly
 * (`null` for an unanchored emit), which also works outside `execute`. Acking is the runtime's:
 * tuples are acked when they leave the window.
 */
export interface WindowedOutputCollector {
  emit(values: Values): number[];
  emit(streamId: string, values: Values): number[];
  emit(anchors: Anchors, values: Values): number[];
  emit(streamId: string, anchors: Anchors, values: Values): number[];
  emitDirect(taskId: number, values: Values): void;
  emitDirect(taskId: number, streamId: string, values: Values): void;
  emitDirect(taskId: number, anchors: Anchors, values: Values): void;
  emitDirect(taskId: number, streamId: string, anchors: Anchors, values: Values): void;
  reportError(error: unknown): void;
}

/**
 * A bolt that processes windows of tuples (Storm's `IWindowedBolt`). Extend {@link BaseWindowedBolt}
 * so the runtime recognises it and runs it through its window manager.
 */
export interface WindowedBolt {
  readonly [WINDOWED_BOLT]: true;
  getWindowConfiguration(): WindowConfiguration;
  /** A custom timestamp extractor, if one was set (it wins over `timestampField`). */
  getTimestampExtractor(): TimestampExtractor | undefined;
  prepare?(config: TopologyConfig, context: TopologyContext, collector: WindowedOutputCollector): void | Promise<void>;
  /**
   * Called with each window that closes with at least one tuple in it. Synchronous: emits anchor
   * to this window, whose tuples may be acked as soon as it returns.
   */
  execute(window: TupleWindow): void;
  cleanup?(): void | Promise<void>;
  declareOutputFields?(declarer: OutputFieldsDeclarer): void;
  getComponentConfiguration?(): Config;
}

export function isWindowedBolt(x: unknown): x is WindowedBolt {
  return typeof x === 'object' && x !== null && (x as Partial<WindowedBolt>)[WINDOWED_BOLT] === true;
}

/**
 * Base for windowed bolts, configured fluently:
 *
 * ```ts
 * new TopTags(10)
 *   .withWindow(Duration.ofSeconds(60), Duration.ofSeconds(10))   // sliding: length, slide
 *   .withTimestampField('ts')                                     // event time
 *   .withLag(5000)
 *   .withLateTupleStream('late')
 * ```
 *
 * Without a timestamp, windows are in processing time (arrival). Count windows (`Count.of(n)`)
 * close on arrival; time windows end on multiples of the slide and close at the watermark
 * (event time) or the wall clock (processing time).
 */
export abstract class BaseWindowedBolt implements WindowedBolt {
  readonly [WINDOWED_BOLT] = true as const;
  protected collector!: WindowedOutputCollector;
  protected context!: TopologyContext;
  protected config!: TopologyConfig;
  private windowing: WindowConfiguration = {
    length: undefined,
    slide: undefined,
    timestampField: undefined,
    lagMs: 0,
    watermarkIntervalMs: 1000,
    lateTupleStream: undefined,
  };
  private timestampExtractor: TimestampExtractor | undefined;

  /**
   * A sliding window of `length`, evaluated every `slide` (tuples or time, in any combination).
   * Without `slide`, the window slides on every tuple.
   */
  withWindow(length: WindowMeasure, slide: WindowMeasure = { count: 1 }): this {
    this.windowing = { ...this.windowing, length: toPlainMeasure(length), slide: toPlainMeasure(slide) };
    return this;
  }

  /** Back-to-back windows of `length`: every tuple is in exactly one window. */
  withTumblingWindow(length: WindowMeasure): this {
    const plain = toPlainMeasure(length);
    this.windowing = { ...this.windowing, length: plain, slide: plain };
    return this;
  }

  /** Event time, read from this numeric field (ms). */
  withTimestampField(field: string): this {
    this.windowing = { ...this.windowing, timestampField: field };
    return this;
  }

  /** Event time, computed from each tuple (ms). */
  withTimestampExtractor(extractor: TimestampExtractor): this {
    this.timestampExtractor = extractor;
    return this;
  }

  /** Out-of-orderness allowed: the watermark trails the latest timestamp by this much. */
  withLag(lag: number | { readonly ms: number }): this {
    this.windowing = { ...this.windowing, lagMs: typeof lag === 'number' ? lag : lag.ms };
    return this;
  }

  /** How often the watermark advances (and event-time windows close). */
  withWatermarkInterval(interval: number | { readonly ms: number }): this {
    this.windowing = { ...this.windowing, watermarkIntervalMs: typeof interval === 'number' ? interval : interval.ms };
    return this;
  }

  /** Sends late tuples (timestamp at or below the watermark) to this stream, declared for you. */
  withLateTupleStream(streamId: string): this {
    this.windowing = { ...this.windowing, lateTupleStream: streamId };
    return this;
  }

  getWindowConfiguration(): WindowConfiguration {
    return this.windowing;
  }

  getTimestampExtractor(): TimestampExtractor | undefined {
    return this.timestampExtractor;
  }

  prepare(config: TopologyConfig, context: TopologyContext, collector: WindowedOutputCollector): void | Promise<void> {
    this.config = config;
    this.context = context;
    this.collector = collector;
  }

  abstract execute(window: TupleWindow): void;
  cleanup(): void | Promise<void> {}
  declareOutputFields(_declarer: OutputFieldsDeclarer): void {}
  getComponentConfiguration(): Config {
    return {};
  }
}
