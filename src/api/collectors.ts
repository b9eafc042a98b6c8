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

/** A bolt's emit with its overload resolved by {@link readEmit}. */
export interface EmitCall {
  stream: string;
  /** False when the call passed no anchors argument (a windowed bolt then anchors to its window). */
  anchored: boolean;
  /** Null when not anchored, or anchored to nothing. */
  anchors: Anchors;
  values: Values;
}

/** A fresh {@link EmitCall} for a collector to reuse on every emit. */
export function emitCall(): EmitCall {
  return { stream: DEFAULT_STREAM, anchored: false, anchors: null, values: [] };
}

/**
 * The one place the overloads of {@link OutputCollector}'s and {@link BasicOutputCollector}'s
 * `emit` (and `emitDirect`, after its task id) are told apart: by the number of arguments `argc`,
 * then, for two, by whether the first is a stream id. Fills `into`, which the caller reuses, so
 * an emit allocates nothing here; read it before emitting again.
 */
export function readEmit(argc: number, a: unknown, b: unknown, c: unknown, into: EmitCall): EmitCall {
  if (argc <= 1) {
    into.stream = DEFAULT_STREAM;
    into.anchored = false;
    into.anchors = null;
    into.values = a as Values;
  } else if (argc === 2) {
    const named = typeof a === 'string';
    into.stream = named ? a : DEFAULT_STREAM;
    into.anchored = !named;
    into.anchors = named ? null : (a as Anchors);
    into.values = b as Values;
  } else {
    into.stream = a as string;
    into.anchored = true;
    into.anchors = b as Anchors;
    into.values = c as Values;
  }
  return into;
}
