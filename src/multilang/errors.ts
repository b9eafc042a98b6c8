import { SquallError } from '../common/index.js';

/**
 * What went wrong with a multilang subprocess. Every kind but `reported`, `emit` and
 * `unknown-command` is a fault: the subprocess is killed, its in-flight tuples fail and it is
 * restarted.
 */
export type MultilangFaultKind =
  /** The subprocess exited (or was killed) while it should have been running. */
  | 'exit'
  /** It exited, or answered something else than `{"pid"}`, before finishing the handshake. */
  | 'handshake'
  /** It did not answer within `topology.subprocess.timeout.secs`. */
  | 'timeout'
  /** Its stdout held bytes that are not messages of the serializer in use. */
  | 'decode'
  /** A message larger than the component's `maxMessageBytes`. */
  | 'oversized'
  /** A well-formed message that breaks the protocol (unknown id, bad shape, spout command). */
  | 'protocol'
  /** The command could not be started at all (no such executable, not executable). */
  | 'spawn'
  /** The component sent an `error` message; not a fault, it keeps running. */
  | 'reported'
  /** The runtime refused one of its emits (fields, stream, direct task); the inputs it is anchored to fail. */
  | 'emit'
  /** A bolt sent a command the host does not know; ignored, as Storm does, and reported once. */
  | 'unknown-command';

export interface MultilangErrorInfo {
  readonly kind: MultilangFaultKind;
  readonly component: string;
  readonly task: number;
  /** The subprocess's pid, when it had one. */
  readonly pid: number | undefined;
  /** The last lines the subprocess wrote to stderr, oldest first. */
  readonly stderrTail?: readonly string[];
}

/** A multilang component failed or reported an error; the message says which, where and why. */
export class MultilangError extends SquallError {
  readonly kind: MultilangFaultKind;
  readonly component: string;
  readonly task: number;
  readonly pid: number | undefined;
  readonly stderrTail: readonly string[];

  constructor(info: MultilangErrorInfo, message: string, options?: { cause?: unknown }) {
    super('MULTILANG', message, options);
    this.kind = info.kind;
    this.component = info.component;
    this.task = info.task;
    this.pid = info.pid;
    this.stderrTail = info.stderrTail ?? [];
  }
}

/** Raised by the stdout decoders; the component turns it into a {@link MultilangError}. */
export class WireError extends SquallError {
  constructor(
    readonly kind: 'decode' | 'oversized' | 'protocol',
    message: string,
  ) {
    super('MULTILANG', message);
  }
}

/**
 * A short, printable view of bytes: the text they start with when they start with text (what a
 * stray print() puts on stdout), hex otherwise.
 */
export function previewBytes(bytes: Uint8Array, max = 64): string {
  let text = 0;
  while (text < bytes.length && text < max) {
    const b = bytes[text] as number;
    if (!((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x09 || b === 0x0d)) break;
    text++;
  }
  if (text >= Math.min(8, bytes.length)) {
    return JSON.stringify(Buffer.from(bytes.subarray(0, text)).toString('latin1')) + (bytes.length > text ? '...' : '');
  }
  const slice = bytes.subarray(0, Math.min(max, 32));
  return `<${Buffer.from(slice).toString('hex').replace(/(..)(?!$)/g, '$1 ')}${bytes.length > slice.length ? ' ...' : ''}>`;
}
