/**
 * Typed errors. Every error Squall throws carries a stable `code` so that programs (and the CLI)
 * can tell failures apart without parsing messages, and a `cause` when it wraps another error.
 */

/** Every error code, once: the type below and `isSquallError` both come from this list. */
const ERROR_CODES = [
  'INVALID_TOPOLOGY',
  'INVALID_CONFIG',
  'INVALID_TUPLE',
  'TOPOLOGY_LOAD',
  'NOT_ALIVE',
  'ALREADY_ALIVE',
  'FAILED',
  'REPORTED_FAILED',
  'COMPONENT_ERROR',
  'SERIALIZATION',
  'MULTILANG',
  'STATE',
  'SHUTDOWN',
  'TRANSPORT',
  'INVALID_RECORD',
  'CLUSTER',
  'NO_FREE_SLOTS',
  'TRIDENT',
  'INCOMPATIBLE_STATE',
  'SIMULATED_TIME',
  /** An API was called with an argument it cannot take (a programming error, Node's ERR_INVALID_ARG_VALUE). */
  'INVALID_ARGUMENT',
  /** Something did not finish in the time it was given (a NATS call, a cluster command waiting for the cluster). */
  'TIMEOUT',
] as const;

/** Every error code, for tools that list or check them. */
export const errorCodes: readonly ErrorCode[] = ERROR_CODES;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class SquallError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** One thing wrong with a topology, naming where it is. */
export interface TopologyProblem {
  readonly component?: string;
  readonly stream?: string;
  readonly field?: string;
  readonly message: string;
}

function formatProblem(p: TopologyProblem): string {
  const where = [
    p.component === undefined ? undefined : `component '${p.component}'`,
    p.stream === undefined ? undefined : `stream '${p.stream}'`,
    p.field === undefined ? undefined : `field '${p.field}'`,
  ].filter((s) => s !== undefined);
  return where.length > 0 ? `${where.join(', ')}: ${p.message}` : p.message;
}

/** The topology is refused before it runs; `problems` lists every check that failed. */
export class InvalidTopologyError extends SquallError {
  readonly problems: readonly TopologyProblem[];

  constructor(problems: readonly TopologyProblem[], options?: { cause?: unknown }) {
    const lines = problems.map(formatProblem);
    const message =
      lines.length === 1
        ? `Invalid topology: ${lines[0] ?? ''}`
        : `Invalid topology (${lines.length} problems):\n${lines.map((l) => `  - ${l}`).join('\n')}`;
    super('INVALID_TOPOLOGY', message, options);
    this.problems = problems;
  }
}

/** A configuration value is missing, of the wrong type or out of range. */
export class ConfigError extends SquallError {
  readonly key: string;

  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_CONFIG', `Invalid configuration '${key}': ${message}`, options);
    this.key = key;
  }
}

/** Values emitted do not fit the stream they were emitted on. */
export class InvalidTupleError extends SquallError {
  readonly component: string;
  readonly stream: string;

  constructor(component: string, stream: string, message: string) {
    super('INVALID_TUPLE', `Component '${component}', stream '${stream}': ${message}`);
    this.component = component;
    this.stream = stream;
  }
}

/** A topology file could not be loaded (missing, does not compile, no default export...). */
export class TopologyLoadError extends SquallError {
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('TOPOLOGY_LOAD', `Cannot load topology from ${file}: ${message}`, options);
    this.file = file;
  }
}

export class NotAliveError extends SquallError {
  constructor(topology: string) {
    super('NOT_ALIVE', `No running topology named '${topology}'`);
  }
}

export class AlreadyAliveError extends SquallError {
  constructor(topology: string) {
    super('ALREADY_ALIVE', `A topology named '${topology}' is already running`);
  }
}

/**
 * Thrown by a basic bolt's `execute` to fail the input tuple (so the spout replays it) without
 * reporting an error: the Storm `FailedException`.
 */
export class FailedError extends SquallError {
  constructor(message = 'tuple failed', options?: { cause?: unknown }) {
    super('FAILED', message, options);
  }
}

/** Like {@link FailedError}, and also reported as a component error (Storm's `ReportedFailedException`). */
export class ReportedFailedError extends SquallError {
  constructor(message = 'tuple failed', options?: { cause?: unknown }) {
    super('REPORTED_FAILED', message, options);
  }
}

/** Wraps an exception thrown by user code, naming the component and task where it happened. */
export class ComponentError extends SquallError {
  readonly component: string;
  readonly task: number;

  constructor(component: string, task: number, during: string, cause: unknown) {
    super('COMPONENT_ERROR', `Component '${component}' task ${task} threw in ${during}: ${describe(cause)}`, {
      cause,
    });
    this.component = component;
    this.task = task;
  }
}

const CODES: ReadonlySet<string> = new Set<string>(ERROR_CODES);

/** Whether `code` is one of Squall's error codes (a code read from a reply or a record). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && CODES.has(code);
}

/**
 * Whether `err` is a Squall error, also when it comes from another copy of the package (a
 * topology file resolving `squall` elsewhere): checked by code, not by class identity.
 */
export function isSquallError(err: unknown, code?: ErrorCode): err is SquallError {
  if (!(err instanceof Error)) return false;
  const c = (err as { code?: unknown }).code;
  return typeof c === 'string' && CODES.has(c) && (code === undefined || c === code);
}

/** A short human description of anything thrown. */
export function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Every error class, for `instanceof` checks by users. */
export const errors = {
  SquallError,
  InvalidTopologyError,
  ConfigError,
  InvalidTupleError,
  TopologyLoadError,
  NotAliveError,
  AlreadyAliveError,
  FailedError,
  ReportedFailedError,
  ComponentError,
} as const;
