import type { Tuple, Values } from '../tuple/index.js';

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
