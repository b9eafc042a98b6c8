import * as v from 'valibot';

/**
 * Building blocks of the configuration schemas (valibot), each with the message Squall has always
 * given, so that an error names the key and says what was expected and what came.
 */

export function show(x: unknown): string {
  if (typeof x === 'string') return `"${x}"`;
  if (typeof x === 'bigint') return `${x}n`;
  return JSON.stringify(x) ?? String(x);
}

const orNull = (nullable: boolean): string => (nullable ? ' or null' : '');

/** An integer of at least `min`. */
export function int(min: number, nullable = false) {
  const expected = (i: v.BaseIssue<unknown>): string => `expected an integer${orNull(nullable)}, got ${show(i.input)}`;
  return v.pipe(v.number(expected), v.finite(expected), v.integer(expected), v.minValue(min, (i) => `must be at least ${min}, got ${show(i.input)}`));
}

/** A finite number from `min` (to `max`). */
export function num(min: number, max?: number, nullable = false) {
  const expected = (i: v.BaseIssue<unknown>): string => `expected a number${orNull(nullable)}, got ${show(i.input)}`;
  const base = v.pipe(v.number(expected), v.finite(expected), v.minValue(min, (i) => `must be at least ${min}, got ${show(i.input)}`));
  return max === undefined ? base : v.pipe(base, v.maxValue(max, (i) => `must be at most ${max}, got ${show(i.input)}`));
}

export function bool() {
  return v.boolean((i) => `expected true or false, got ${show(i.input)}`);
}

export function oneOf<const T extends readonly string[]>(values: T) {
  return v.picklist(values, (i) => `expected one of ${values.map((x) => `"${x}"`).join(', ')}, got ${show(i.input)}`);
}

/** What is wrong, from the first issue: `url must be ...` inside an object, the message alone at the top. */
export function problemOf(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (issue === undefined) return 'invalid';
  const path = (issue.path ?? []).map((p) => String(p.key)).join('.');
  return path === '' ? issue.message : `${path} ${issue.message}`;
}
