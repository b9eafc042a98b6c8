import type { CustomStreamGrouping } from '../api/index.js';
import type { GroupingSpec } from '../protocol/index.js';
import type { Fields, Value } from '../tuple/index.js';
import { hashFields } from './hash.js';
import { SquallError } from '../common/index.js';

/**
 * Chooses the tasks a tuple goes to. Returns one task id, or an array for groupings that may
 * pick several (all, custom): one number avoids an allocation per tuple on the common path.
 */
export interface Grouper {
  choose(values: readonly Value[]): number | readonly number[];
}

export interface GrouperOptions {
  /** The subscribing component's tasks, sorted ascending. */
  readonly targets: readonly number[];
  /** The fields of the stream being grouped. */
  readonly streamFields: Fields;
  /** Tasks running in the emitter's worker (for local-or-shuffle). */
  readonly localTasks: ReadonlySet<number>;
  /** The emitting task. */
  readonly sourceTask: number;
  /** For custom groupings: the user's grouping, already prepared. */
  readonly custom?: CustomStreamGrouping;
  /** Random source in [0, 1); injectable for deterministic tests. */
  readonly random?: () => number;
}

function shuffled(tasks: readonly number[], random: () => number): number[] {
  const a = [...tasks];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a;
}

/** Round-robin over a shuffled order: every task gets the same share, whatever the values. */
class ShuffleGrouper implements Grouper {
  private readonly order: number[];
  private next: number;

  constructor(targets: readonly number[], random: () => number) {
    this.order = shuffled(targets, random);
    this.next = Math.floor(random() * this.order.length);
  }

  choose(): number {
    const t = this.order[this.next] as number;
    this.next = this.next + 1 === this.order.length ? 0 : this.next + 1;
    return t;
  }
}

class FieldsGrouper implements Grouper {
  constructor(
    private readonly targets: readonly number[],
    private readonly indexes: readonly number[],
  ) {}

  choose(values: readonly Value[]): number {
    return this.targets[hashFields(values, this.indexes) % this.targets.length] as number;
  }
}

/**
 * Partial key grouping (Nasir et al., "The power of both choices"): two candidate tasks per key;
 * this emitter sends to whichever it has sent less to.
 */
class PartialKeyGrouper implements Grouper {
  private readonly sent: Float64Array;

  constructor(
    private readonly targets: readonly number[],
    private readonly indexes: readonly number[],
  ) {
    this.sent = new Float64Array(targets.length);
  }

  choose(values: readonly Value[]): number {
    const n = this.targets.length;
    const a = hashFields(values, this.indexes) % n;
    const b = hashFields(values, this.indexes, 0x9e3779b9) % n;
    const pick = (this.sent[a] ?? 0) <= (this.sent[b] ?? 0) ? a : b;
    this.sent[pick] = (this.sent[pick] ?? 0) + 1;
    return this.targets[pick] as number;
  }
}

class FixedGrouper implements Grouper {
  constructor(private readonly task: number) {}
  choose(): number {
    return this.task;
  }
}

class AllGrouper implements Grouper {
  constructor(private readonly targets: readonly number[]) {}
  choose(): readonly number[] {
    return this.targets;
  }
}

class RandomGrouper implements Grouper {
  constructor(
    private readonly targets: readonly number[],
    private readonly random: () => number,
  ) {}
  choose(): number {
    return this.targets[Math.floor(this.random() * this.targets.length)] as number;
  }
}

class CustomGrouper implements Grouper {
  private readonly allowed: ReadonlySet<number>;

  constructor(
    private readonly grouping: CustomStreamGrouping,
    private readonly sourceTask: number,
    targets: readonly number[],
  ) {
    this.allowed = new Set(targets);
  }

  choose(values: readonly Value[]): readonly number[] {
    const tasks = this.grouping.chooseTasks(this.sourceTask, values);
    for (const t of tasks) {
      if (!this.allowed.has(t)) {
        throw new SquallError('INVALID_TUPLE', `custom grouping chose task ${t}, which is not one of its targets (${[...this.allowed].join(', ')})`);
      }
    }
    return tasks;
  }
}

function fieldIndexes(fields: readonly string[], streamFields: Fields): number[] {
  return fields.map((f) => {
    const i = streamFields.indexOf(f);
    if (i < 0) throw new SquallError('INVALID_TOPOLOGY', `grouping field '${f}' is not declared (declared: ${streamFields.names.join(', ')})`);
    return i;
  });
}

/** The grouper for one subscription; `undefined` for direct groupings (the emitter chooses). */
export function createGrouper(spec: GroupingSpec, options: GrouperOptions): Grouper | undefined {
  const targets = [...options.targets].sort((a, b) => a - b);
  const random = options.random ?? Math.random;
  if (targets.length === 0) throw new SquallError('INVALID_TOPOLOGY', 'a grouping needs at least one target task');
  switch (spec.type) {
    case 'shuffle':
      return targets.length === 1 ? new FixedGrouper(targets[0] as number) : new ShuffleGrouper(targets, random);
    case 'localOrShuffle': {
      const local = targets.filter((t) => options.localTasks.has(t));
      const pool = local.length > 0 ? local : targets;
      return pool.length === 1 ? new FixedGrouper(pool[0] as number) : new ShuffleGrouper(pool, random);
    }
    case 'fields':
    case 'partialKey': {
      const indexes = fieldIndexes(spec.fields, options.streamFields);
      // One target needs no hashing (the common case for the acker stream in a one-worker topology).
      if (targets.length === 1) return new FixedGrouper(targets[0] as number);
      return spec.type === 'fields' ? new FieldsGrouper(targets, indexes) : new PartialKeyGrouper(targets, indexes);
    }
    case 'global':
      return new FixedGrouper(targets[0] as number);
    case 'all':
      return new AllGrouper(targets);
    case 'none':
      return new RandomGrouper(targets, random);
    case 'direct':
      return undefined;
    case 'custom':
      if (options.custom === undefined) throw new SquallError('INVALID_TOPOLOGY', `custom grouping '${spec.name}' was not provided`);
      return new CustomGrouper(options.custom, options.sourceTask, targets);
  }
}
