import { SquallError } from '../../common/index.js';
/**
 * How long a window is and how far it slides: a number of tuples ({@link Count}) or a span of time
 * ({@link Duration}, milliseconds). Plain `{ count: 5 }` and `{ ms: 10_000 }` objects work too.
 */

/** A number of tuples (Storm's `BaseWindowedBolt.Count`). */
export class Count {
  private constructor(readonly count: number) {}

  static of(count: number): Count {
    return new Count(count);
  }

  toString(): string {
    return `${this.count} tuple${this.count === 1 ? '' : 's'}`;
  }
}

/** A span of time in milliseconds (Storm's `BaseWindowedBolt.Duration`). */
export class Duration {
  private constructor(readonly ms: number) {}

  static ofMillis(ms: number): Duration {
    return new Duration(ms);
  }

  static ofSeconds(seconds: number): Duration {
    return new Duration(seconds * 1000);
  }

  static ofMinutes(minutes: number): Duration {
    return new Duration(minutes * 60_000);
  }

  static ofHours(hours: number): Duration {
    return new Duration(hours * 3_600_000);
  }

  toString(): string {
    return formatMs(this.ms);
  }
}

/** A window length or sliding interval: so many tuples, or so many milliseconds. */
export type WindowMeasure = { readonly count: number } | { readonly ms: number };

/**
 * A measure in the plain form the bolt keeps: `{ count }` or `{ ms }` objects survive the per-task
 * copy of a component instance (class instances inside plain data would lose their prototype).
 */
export type PlainMeasure = { readonly count: number; readonly ms?: undefined } | { readonly ms: number; readonly count?: undefined };

export function toPlainMeasure(m: WindowMeasure): PlainMeasure {
  if (typeof m === 'object' && m !== null) {
    if ('count' in m && typeof m.count === 'number') return { count: m.count };
    if ('ms' in m && typeof m.ms === 'number') return { ms: m.ms };
  }
  throw new SquallError('INVALID_TOPOLOGY', `expected Count.of(n), Duration.of...(n), { count } or { ms }, got ${JSON.stringify(m)}`);
}

export function formatMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`;
  if (ms >= 1000) return `${ms / 1000} s`;
  return `${ms} ms`;
}

export function describeMeasure(m: PlainMeasure): string {
  return m.count !== undefined ? `${m.count} tuple${m.count === 1 ? '' : 's'}` : formatMs(m.ms);
}
