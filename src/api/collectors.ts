import { DEFAULT_STREAM, type Tuple, type Values } from '../tuple/index.js';

/** How a spout emits (Storm's `SpoutOutputCollector`). A message id makes the tuple tracked. */
export interface SpoutOutputCollector {
  /** Emits on the default stream; returns the task ids the tuple went to. */
  emit(values: Values, messageId?: unknown): number[];
  emit(streamId: string, values: Values, messageId?: unknown): number[];
  /** Emits to one task, which must subscribe to the stream with a direct grouping. */
  emitDirect(taskId: number, values: Values, messageId?: unknown): void;
  emitDirect(taskId: number, streamId: string, values: Values, messageId?: unknown): void;
  reportError(error: unknown): void;
  /** Tracked tuples of this task not yet acked or failed. */
  getPendingCount(): number;
}

export type Anchors = Tuple | readonly Tuple[] | null;

/** How a bolt emits, acks and fails (Storm's `OutputCollector`). Anchored emits extend the tuple tree. */
export interface OutputCollector {
  emit(values: Values): number[];
  emit(anchors: Anchors, values: Values): number[];
  emit(streamId: string, values: Values): number[];
  emit(streamId: string, anchors: Anchors, values: Values): number[];
  emitDirect(taskId: number, values: Values): void;
  emitDirect(taskId: number, anchors: Anchors, values: Values): void;
  emitDirect(taskId: number, streamId: string, values: Values): void;
  emitDirect(taskId: number, streamId: string, anchors: Anchors, values: Values): void;
  ack(input: Tuple): void;
  fail(input: Tuple): void;
  /** Restarts the timeout of the tuple tree `input` belongs to, for long-running work. */
  resetTimeout(input: Tuple): void;
  reportError(error: unknown): void;
}

/** What a basic bolt emits with: every emit is anchored to the input being executed. */
export interface BasicOutputCollector {
  emit(values: Values): number[];
  emit(streamId: string, values: Values): number[];
  emitDirect(taskId: number, values: Values): void;
  emitDirect(taskId: number, streamId: string, values: Values): void;
  resetTimeout(): void;
  reportError(error: unknown): void;
}

/*
 * The one place the overloads of OutputCollector's and BasicOutputCollector's `emit` (and of
 * `emitDirect`, after its task id) are told apart: (values), (stream, values), (anchors, values),
 * (stream, anchors, values); by the number of arguments `argc`, then, for two, by whether the
 * first is a stream id. Four tiny functions rather than one returning a record: V8 inlines them
 * into the collectors, so the hot emit path pays nothing for the indirection (a record cost ~2%).
 */

/** The stream an emit goes on. */
export function emitStream(argc: number, a: unknown): string {
  return argc >= 3 || (argc === 2 && typeof a === 'string') ? (a as string) : DEFAULT_STREAM;
}

/** Whether the call passed an anchors argument (a windowed bolt anchors the others to its window). */
export function emitAnchored(argc: number, a: unknown): boolean {
  return argc >= 3 || (argc === 2 && typeof a !== 'string');
}

/** The anchors passed, or null (none passed, or anchored to nothing). */
export function emitAnchors(argc: number, a: unknown, b: unknown): Anchors {
  return argc >= 3 ? (b as Anchors) : argc === 2 && typeof a !== 'string' ? (a as Anchors) : null;
}

/** The values emitted. */
export function emitValues(argc: number, a: unknown, b: unknown, c: unknown): Values {
  return (argc >= 3 ? c : argc === 2 ? b : a) as Values;
}
